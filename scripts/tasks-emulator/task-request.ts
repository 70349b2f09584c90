/**
 * Reads the parts of a CreateTask request that do not depend on the queue's contents: the HTTP target,
 * the schedule and deadline, the headers. Each throws INVALID_ARGUMENT naming the bad field.
 */
import http from 'node:http';
import { grpc } from 'google-gax';
import { EmulatorError, invalidArgument } from '../lib/grpc-emulator.js';
import { durationToMs, type HttpRequestMessage, type TaskMessage, timestampToMs } from './wire.js';

const MAX_URL_LENGTH = 2083;
const DEFAULT_DISPATCH_DEADLINE_MS = 10 * 60_000;
const MAX_DISPATCH_DEADLINE_MS = 30 * 60_000;
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;

/** The HTTP call a task makes, validated. */
export interface HttpTarget {
  url: string;
  method: string;
  body: Buffer;
  /** As the task gave them; see {@link readHeaders}. */
  rawHeaders: Record<string, string>;
  oidcToken: { serviceAccountEmail: string; audience: string } | null;
  oauthToken: { serviceAccountEmail: string; scope: string } | null;
}

function readUrl(request: HttpRequestMessage): string {
  const url = request.url ?? '';
  if (!url) throw invalidArgument('task.http_request.url is required.');
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw invalidArgument(`task.http_request.url is not a valid URL: "${url}".`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw invalidArgument(`task.http_request.url must start with http:// or https://, got "${url}".`);
  }
  if (url.length > MAX_URL_LENGTH) {
    throw invalidArgument(`task.http_request.url is longer than ${MAX_URL_LENGTH}.`);
  }
  return url;
}

function readMethodAndBody(request: HttpRequestMessage): { method: string; body: Buffer } {
  const method =
    !request.httpMethod || request.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : request.httpMethod;
  const body = Buffer.from(request.body ?? Buffer.alloc(0));
  if (body.length > 0 && !['POST', 'PUT', 'PATCH'].includes(method)) {
    throw invalidArgument(`A body is allowed only with POST, PUT or PATCH, not ${method}.`);
  }
  return { method, body };
}

function readTokens(request: HttpRequestMessage): Pick<HttpTarget, 'oidcToken' | 'oauthToken'> {
  const oidc = request.oidcToken;
  if (oidc && !oidc.serviceAccountEmail)
    throw invalidArgument('oidc_token.service_account_email is required.');
  const oauth = request.oauthToken;
  if (oauth && !oauth.serviceAccountEmail) {
    throw invalidArgument('oauth_token.service_account_email is required.');
  }
  return {
    oidcToken: oidc
      ? { serviceAccountEmail: oidc.serviceAccountEmail ?? '', audience: oidc.audience ?? '' }
      : null,
    oauthToken: oauth
      ? { serviceAccountEmail: oauth.serviceAccountEmail ?? '', scope: oauth.scope ?? '' }
      : null,
  };
}

/** The task's http_request; App Engine tasks are UNIMPLEMENTED. */
export function readHttpTarget(message: TaskMessage | null | undefined): HttpTarget {
  if (!message) throw invalidArgument('task is required.');
  if (message.appEngineHttpRequest) {
    throw new EmulatorError(
      grpc.status.UNIMPLEMENTED,
      'App Engine tasks are not supported by the emulator: use http_request.',
    );
  }
  const request = message.httpRequest;
  if (!request) throw invalidArgument('task.http_request is required.');
  const url = readUrl(request);
  const { method, body } = readMethodAndBody(request);
  return { url, method, body, rawHeaders: request.headers ?? {}, ...readTokens(request) };
}

/**
 * When the task is due and how long one attempt may take. Lenient on purpose: a dispatch deadline under
 * Cloud Tasks' 15 s minimum is accepted, so tests can run fast.
 */
export function readTiming(
  message: TaskMessage,
  now: number,
): { scheduleTimeMs: number; dispatchDeadlineMs: number } {
  const scheduleTimeMs = timestampToMs(message.scheduleTime) || now;
  if (scheduleTimeMs > now + MAX_SCHEDULE_AHEAD_MS) {
    throw invalidArgument('schedule_time is more than 30 days ahead.');
  }
  const dispatchDeadlineMs = durationToMs(message.dispatchDeadline) || DEFAULT_DISPATCH_DEADLINE_MS;
  if (dispatchDeadlineMs < 0 || dispatchDeadlineMs > MAX_DISPATCH_DEADLINE_MS) {
    throw invalidArgument('dispatch_deadline must be at most 30 minutes.');
  }
  return { scheduleTimeMs, dispatchDeadlineMs };
}

/**
 * Headers Cloud Tasks computes itself or reserves; a task cannot set them (HttpRequest.headers docs:
 * Host, Content-Length, User-Agent "will be set to Google-Cloud-Tasks", X-Google-*, X-AppEngine-*, X-CloudTasks-*).
 */
function isReservedHeader(lowerName: string): boolean {
  return (
    lowerName === 'host' ||
    lowerName === 'content-length' ||
    lowerName === 'user-agent' ||
    lowerName.startsWith('x-google-') ||
    lowerName.startsWith('x-appengine-') ||
    lowerName.startsWith('x-cloudtasks-')
  );
}

/** The headers the task may set; reserved ones are dropped and reported to `onReserved`. */
export function readHeaders(
  rawHeaders: Record<string, string>,
  onReserved: (header: string) => void,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(rawHeaders)) {
    try {
      http.validateHeaderName(header);
      http.validateHeaderValue(header, value);
    } catch {
      // Caught here, not at dispatch: node:http would throw then and leave the task in flight forever.
      throw invalidArgument(
        `task.http_request.headers: "${header}" is not a valid HTTP header name or value.`,
      );
    }
    if (isReservedHeader(header.toLowerCase())) onReserved(header);
    else headers[header] = value;
  }
  return headers;
}

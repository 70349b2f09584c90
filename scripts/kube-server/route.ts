/**
 * How the server is extended: a Route is a path pattern and one handler per HTTP method. Routes are
 * tried in order (handlers/index.ts); the first whose path matches answers, a method it lacks is
 * 405, and no match is 404. A new resource is a new file in handlers/, not a branch here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FaultQueue } from './faults.js';
import type { JobControl } from './job-control.js';
import type { JobRunner } from './job-runner.js';
import type { JobStore } from './job-store.js';
import type { RequestLog } from './request-log.js';
import { methodNotAllowed, type StatusError, unknownResource } from './status-error.js';
import type { JsonObject } from './types.js';

/** A request as a handler sees it. */
export interface KubeRequest {
  /** Upper-case. */
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** The path pattern's capture groups, URI-decoded. */
  params: string[];
  /** The body as JSON (undefined when empty); throws 400 when it is not JSON, 413 when too large. */
  json(): Promise<unknown>;
}

/** True when the query parameter `name` is `true` or `1` (a flag such as `watch` or `follow`). */
export function queryFlag(request: Pick<KubeRequest, 'url'>, name: string): boolean {
  const value = request.url.searchParams.get(name);
  return value === 'true' || value === '1';
}

/** What a handler answers: a status code and a JSON body, or plain text (a pod's log). */
export interface Reply {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Sent as text/plain instead of `body`. */
  text?: string;
  /**
   * A watch instead of `body`: the answer stays open and carries one JSON event per line, each `send`
   * given; `subscribe` returns what stops it. It ends when the client leaves, or after `timeoutMs`.
   */
  watch?: { subscribe: (send: (event: unknown) => void) => () => void; timeoutMs: number };
  /**
   * Plain text that goes on (a followed log) instead of `body`: `start` writes what there is, more as
   * it comes, and calls `end` when there is no more; it returns what stops it (the client left).
   */
  textStream?: { start: (write: (text: string) => void, end: () => void) => () => void };
}

/** The server's state, as handlers reach it. */
export interface ServerContext {
  store: JobStore;
  jobs: JobControl;
  /** Runs new Jobs when the server completes them by itself (jobSeconds > 0). */
  runner: JobRunner;
  faults: FaultQueue;
  requests: RequestLog;
  log: (entry: JsonObject) => void;
  /** The server's clock (ages and durations in Tables). */
  now(): Date;
  /** Deletes every Job and fault and forgets the request log. */
  reset(): void;
}

export type RouteHandler = (request: KubeRequest, context: ServerContext) => Reply | Promise<Reply>;

/** A path and what each method does there. */
export interface Route {
  /** Matched against the whole path (not decoded); capture groups become `params`. */
  path: RegExp;
  GET?: RouteHandler;
  POST?: RouteHandler;
  PUT?: RouteHandler;
  PATCH?: RouteHandler;
  DELETE?: RouteHandler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: ReadonlySet<string> = new Set<Method>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Answers `request` from the first route whose path matches; throws a 405 StatusError for a method
 * that route lacks, and `notFound()` when no route matches.
 */
export async function dispatch(
  routes: readonly Route[],
  request: Omit<KubeRequest, 'params'>,
  context: ServerContext,
  notFound: () => StatusError = unknownResource,
): Promise<Reply> {
  for (const route of routes) {
    const match = route.path.exec(request.url.pathname);
    if (!match) continue;
    const handler = METHODS.has(request.method) ? route[request.method as Method] : undefined;
    if (!handler) throw methodNotAllowed(request.method);
    const params = match.slice(1).map((param) => (param === undefined ? '' : decodeURIComponent(param)));
    return handler({ ...request, params }, context);
  }
  throw notFound();
}

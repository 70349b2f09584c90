/**
 * The server's request listener: bearer-token auth, injected faults, routing to the handlers, the
 * request log, and every error answered as a `Status`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FaultSpec } from './faults.js';
import { API_ROUTES, CONTROL_PREFIX, CONTROL_ROUTES } from './handlers/index.js';
import { parseJson, readBody, sendJson, sendReply } from './http.js';
import { dispatch, type ServerContext } from './route.js';
import { failureStatus, reasonFor, StatusError, unauthorized } from './status-error.js';

export interface RequestListenerOptions {
  /** The bearer token every request must carry. */
  token: string;
  context: ServerContext;
  /** Waits `ms` for a delayed fault; the server cancels pending waits when it stops. */
  delay(ms: number): Promise<void>;
}

/** A listener for `http.createServer` / `https.createServer`. */
export function createRequestListener(options: RequestListenerOptions): RequestListener {
  const { context } = options;
  return (req, res) => {
    answer(req, res, options).catch((error: unknown) => {
      context.log({ severity: 'ERROR', message: 'request failed', error: String(error) });
      if (!res.headersSent) res.destroy();
    });
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, options: RequestListenerOptions) {
  const { context } = options;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const isControl = url.pathname.startsWith(CONTROL_PREFIX);
  const record = (status: number, isFault: boolean) => {
    if (!isControl) context.requests.record(req.method ?? 'GET', url, status, isFault);
  };

  const fault = isControl ? null : context.faults.take(method);
  if (fault && (await serveFault(fault, req, res, options, url, record))) return;

  try {
    if (req.headers.authorization !== `Bearer ${options.token}`) throw unauthorized();
    const request = {
      method,
      url,
      headers: req.headers,
      json: async () => parseJson(await readBody(req)),
    };
    const reply = isControl
      ? await dispatch(CONTROL_ROUTES, request, context, () => noControlEndpoint(method, url))
      : await dispatch(API_ROUTES, request, context);
    sendReply(res, reply);
    record(reply.code, false);
  } catch (error) {
    const status =
      error instanceof StatusError
        ? error.toStatus()
        : failureStatus(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
    if (!(error instanceof StatusError))
      context.log({ severity: 'ERROR', message: 'unexpected error', error: (error as Error).stack });
    record(status.code, false);
    sendJson(res, status.code, status);
  }
}

/** Serves an injected fault; false when the request should then be served normally (a delay alone). */
async function serveFault(
  fault: FaultSpec,
  req: IncomingMessage,
  res: ServerResponse,
  options: RequestListenerOptions,
  url: URL,
  record: (status: number, isFault: boolean) => void,
): Promise<boolean> {
  if (fault.delayMs !== undefined && fault.delayMs > 0) {
    await options.delay(fault.delayMs);
    if (res.destroyed) return true;
  }
  if (fault.dropConnection) {
    record(0, true);
    req.socket.destroy();
    return true;
  }
  if (fault.status === undefined) return false;
  record(fault.status, true);
  options.context.log({
    severity: 'INFO',
    message: 'injected fault',
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    status: fault.status,
  });
  sendJson(
    res,
    fault.status,
    failureStatus(fault.status, reasonFor(fault.status), fault.message ?? 'injected fault'),
    fault.status === 429 ? { 'Retry-After': '1' } : {},
  );
  return true;
}

function noControlEndpoint(method: string, url: URL): StatusError {
  return new StatusError(404, 'NotFound', `no control endpoint ${method} ${url.pathname}`);
}

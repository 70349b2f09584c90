/**
 * Makes the Functions Framework hand every request to our code with the body read by us
 * (read-body.ts), so that a body its parsers would refuse reaches the function, which checks its
 * caller first and then answers in JSON.
 *
 * Why a hook: the framework (5.0.x, src/server.ts) runs body-parser's json, text, urlencoded and raw
 * parsers, each with a 1024 MB limit and gzip/deflate/br inflation, before the function; a body they
 * refuse (not JSON with `Content-Type: application/json`, a charset they do not know, 1,000 form fields,
 * a bad gzip stream) goes to express' default error handler, which answers an HTML page with the stack
 * trace and the server's paths (outside NODE_ENV=production) to any caller, before any signature or
 * token is checked. It offers no error hook (GoogleCloudPlatform/functions-framework-nodejs issue #686,
 * PR #685, both open), and exposes no option for the parsers.
 *
 * The hook wraps the framework's `getServer` (its CLI and `getTestServer` both call it through the
 * module's exports, after the function's module is loaded): the server it returns gets a request
 * listener that reads the body (at most the function's limit, never inflated), sets `req.rawBody`
 * (the field the framework documents), and then runs the framework's express app, whose parsers skip a
 * request whose stream is already finished (body-parser `read.js`: "body already parsed").
 */
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DEFAULT_BODY_LIMIT_BYTES } from './body-limits.js';
import { hasBody, readBody, setBodyProblem } from './read-body.js';

const BODY_LIMIT = Symbol.for('kubeflow-auto-deploy.bodyLimitBytes');

/*
 * The marks below are global symbols on shared objects, not module variables: one process can hold two
 * instances of this module (tsx loads a file once as CommonJS and once as ESM when both import it), and
 * a second hook would read an already-read stream and wait forever for its end.
 */
/** On the framework's getServer once it is ours. */
const HOOKED = Symbol.for('kubeflow-auto-deploy.getServerHooked');
/** On a server whose request listener is ours. */
const TAKEN_OVER = Symbol.for('kubeflow-auto-deploy.bodiesTakenOver');

type FrameworkGetServer = (userFunction: unknown, options: unknown) => Server;

/** Thrown when the framework's layout is not the one the hook knows (a framework upgrade). */
export class BodyReaderHookError extends Error {
  override name = 'BodyReaderHookError';
}

/** Tags `handler` with the largest body its function reads; returns it. */
export function withBodyLimit<T extends object>(handler: T, limitBytes: number): T {
  Object.defineProperty(handler, BODY_LIMIT, { value: limitBytes, configurable: true });
  return handler;
}

/** The body limit `handler` was tagged with, or the default one. */
export function bodyLimitOfHandler(handler: unknown): number {
  const limit = (handler as Record<symbol, unknown> | null)?.[BODY_LIMIT];
  return typeof limit === 'number' ? limit : DEFAULT_BODY_LIMIT_BYTES;
}

async function readThenServe(
  app: RequestListener,
  limitBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (hasBody(req)) {
    const read = await readBody(req, limitBytes);
    // The client went away (or sent far too much): nobody reads an answer.
    if (read.kind === 'aborted') {
      res.destroy();
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = read.raw;
    if (read.problem) setBodyProblem(req, read.problem);
  }
  app(req, res);
}

/** Makes `server` (one the framework built) read bodies with readBody before its express app runs. */
export function takeOverBodies(server: Server, limitBytes: number): Server {
  if ((server as unknown as Record<symbol, unknown>)[TAKEN_OVER]) return server;
  const listeners = server.listeners('request') as RequestListener[];
  const [app] = listeners;
  if (listeners.length !== 1 || app === undefined) {
    throw new BodyReaderHookError(
      `the Functions Framework's server has ${listeners.length} request listeners, not its express app alone`,
    );
  }
  server.removeListener('request', app);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    readThenServe(app, limitBytes, req, res).catch(() => res.destroy());
  });
  Object.defineProperty(server, TAKEN_OVER, { value: true });
  return server;
}

/**
 * Installs the hook (once per process): every server the Functions Framework builds from now on reads
 * bodies with readBody, at the limit its function was tagged with (withBodyLimit). Throws
 * BodyReaderHookError when the framework does not have the layout this was written for.
 */
export function readBodiesOurselves(): void {
  const require = createRequire(import.meta.url);
  const serverPath = join(dirname(require.resolve('@google-cloud/functions-framework')), 'server.js');
  const serverModule = require(serverPath) as { getServer?: FrameworkGetServer };
  const original = serverModule.getServer;
  if ((original as unknown as Record<symbol, unknown> | undefined)?.[HOOKED]) return;
  if (typeof original !== 'function') {
    throw new BodyReaderHookError(
      `${serverPath} exports no getServer: update functions/http/own-body-reader.ts`,
    );
  }
  const hooked: FrameworkGetServer = (userFunction, options) =>
    takeOverBodies(original(userFunction, options), bodyLimitOfHandler(userFunction));
  Object.defineProperty(hooked, HOOKED, { value: true });
  serverModule.getServer = hooked;
}

/** Reading requests and writing answers (JSON, plain text, watch streams), with the API server's limits and errors. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './route.js';
import { badRequest, StatusError } from './status-error.js';

/** The API server's own limit on a request body. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The whole body as text; a 413 StatusError past 3 MiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new StatusError(413, 'RequestEntityTooLarge', 'the request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The body's JSON; undefined for an empty body, a 400 StatusError when it is not JSON. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't decode the request body as JSON: ${(error as Error).message}`);
  }
}

/** Sends a handler's reply: a watch, a text stream, plain text or JSON. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (reply.watch) sendWatch(res, reply.watch);
  else if (reply.textStream) sendTextStream(res, reply.textStream);
  else if (reply.text !== undefined) sendText(res, reply.code, reply.text);
  else sendJson(res, reply.code, reply.body, reply.headers);
}

/** Answers `text` as plain text (a pod's log), unless the response is already sent or its connection gone. */
export function sendText(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Streams plain text (route.ts `Reply.textStream`, a followed log) until it ends or the client leaves. */
export function sendTextStream(res: ServerResponse, stream: NonNullable<Reply['textStream']>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
  const stop = stream.start(
    (text) => {
      if (!res.writableEnded) res.write(text);
    },
    () => res.end(),
  );
  res.on('close', stop);
}

/**
 * Streams a watch (route.ts `Reply.watch`): one JSON event per line until the client leaves or the
 * watch times out. A subscribe that throws (410 Gone) is thrown before anything is sent.
 */
export function sendWatch(res: ServerResponse, watch: NonNullable<Reply['watch']>): void {
  if (res.headersSent || res.destroyed) return;
  const pending: string[] = [];
  let isOpen = false;
  const send = (event: unknown) => {
    const line = `${JSON.stringify(event)}\n`;
    if (isOpen) res.write(line);
    else pending.push(line);
  };
  const unsubscribe = watch.subscribe(send);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
  isOpen = true;
  for (const line of pending) res.write(line);
  const timer = setTimeout(() => res.end(), watch.timeoutMs);
  timer.unref();
  res.on('close', () => {
    clearTimeout(timer);
    unsubscribe();
  });
}

/** Answers `body` as JSON, unless the response is already sent or its connection gone. */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

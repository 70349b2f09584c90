/**
 * Reads a request's body ourselves, before the Functions Framework's parsers can (see
 * own-body-reader.ts): the raw bytes as sent, at most `limitBytes` of them kept, never inflated.
 *
 * A body over the limit is drained without being kept, so the client reads the 413 instead of a reset
 * connection; a compressed one (`Content-Encoding`) is kept as sent and refused later. Either is
 * recorded as the request's body problem, answered by the function after it checked its caller.
 */
import type { IncomingMessage } from 'node:http';

/** What is wrong with a body the reader did not keep or cannot hand on as JSON text. */
export type BodyProblem =
  | { kind: 'too-large'; bytes: number; limitBytes: number }
  | { kind: 'encoded'; encoding: string };

export type BodyRead =
  | { kind: 'read'; raw: Buffer | undefined; problem: BodyProblem | null }
  | { kind: 'aborted' };

/**
 * Past this many bytes a body over its limit is no longer drained: the connection is dropped.
 * Cloud Functions refuses requests over 32 MB before they reach the function; this bounds a local run.
 */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Where the problem is kept: on the request, under a global symbol, so that the reader and the handler
 * agree even when the process holds two instances of this module (see own-body-reader.ts).
 */
const BODY_PROBLEM = Symbol.for('kubeflow-auto-deploy.bodyProblem');

/** The body problem the reader recorded for `req`, if any. */
export function bodyProblemOf(req: object): BodyProblem | null {
  return ((req as Record<symbol, BodyProblem | undefined>)[BODY_PROBLEM] as BodyProblem | undefined) ?? null;
}

/** Records `problem` for `req` (the reader does; tests of handlers may too). */
export function setBodyProblem(req: object, problem: BodyProblem): void {
  Object.defineProperty(req, BODY_PROBLEM, { value: problem, configurable: true });
}

/** True when the request has a body to read (the rule of body-parser's `type-is`). */
export function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']))
  );
}

function encodingOf(req: IncomingMessage): string | null {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  return encoding === 'identity' || encoding === '' ? null : encoding;
}

/** Reads the whole body of `req`, keeping at most `limitBytes`. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  const encoding = encodingOf(req);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let isOver = Number.isFinite(declared) && declared > limitBytes;
    let isSettled = false;
    const settle = (read: BodyRead) => {
      if (isSettled) return;
      isSettled = true;
      resolve(read);
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limitBytes) isOver = true;
      if (isOver) {
        chunks.length = 0;
        if (bytes > MAX_DRAIN_BYTES) {
          req.destroy();
          settle({ kind: 'aborted' });
        }
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (isOver) {
        const size = Math.max(bytes, Number.isFinite(declared) ? declared : 0);
        settle({ kind: 'read', raw: undefined, problem: { kind: 'too-large', bytes: size, limitBytes } });
        return;
      }
      const raw = Buffer.concat(chunks, bytes);
      settle({ kind: 'read', raw, problem: encoding ? { kind: 'encoded', encoding } : null });
    });
    req.once('error', () => settle({ kind: 'aborted' }));
    req.once('close', () => settle({ kind: 'aborted' }));
  });
}

/**
 * A request's body as JSON, read from the raw bytes after the function checked its caller. What the
 * reader recorded (read-body.ts: over the limit, compressed) comes first, then UTF-8, then JSON.
 */
import { bodyProblemOf } from './read-body.js';

/** A request as far as the body goes: `rawBody` (ours, or the framework's) and, without it, `body`. */
export interface BodySource {
  rawBody?: Buffer | undefined;
  body?: unknown;
}

export type JsonBody =
  /** `value` is undefined when the request has no body (or only whitespace). */
  | { kind: 'ok'; value: unknown }
  | { kind: 'too-large'; bytes: number; limitBytes: number }
  | { kind: 'encoded'; encoding: string }
  | { kind: 'not-json'; message: string };

/** A refused body's status code and message. */
export interface BodyRefusal {
  status: 400 | 413 | 415;
  error: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseText(text: string): JsonBody {
  if (text.trim() === '') return { kind: 'ok', value: undefined };
  try {
    return { kind: 'ok', value: JSON.parse(text) };
  } catch (err) {
    return { kind: 'not-json', message: (err as Error).message };
  }
}

/** The body of `req` as JSON, or why it is not; `limitBytes` applies when nobody checked the size yet. */
export function readJsonBody(req: BodySource & object, limitBytes: number): JsonBody {
  const problem = bodyProblemOf(req);
  if (problem) return problem;
  const raw = req.rawBody;
  if (raw === undefined) {
    // Not read by us nor the framework (a handler called directly): whatever the caller parsed.
    return typeof req.body === 'string' ? parseText(req.body) : { kind: 'ok', value: req.body };
  }
  if (raw.length > limitBytes) return { kind: 'too-large', bytes: raw.length, limitBytes };
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { kind: 'not-json', message: 'the body is not valid UTF-8' };
  }
  return parseText(text);
}

/** What to answer for a body that is not `ok`. */
export function refusalOf(body: Exclude<JsonBody, { kind: 'ok' }>): BodyRefusal {
  switch (body.kind) {
    case 'too-large':
      return {
        status: 413,
        error: `the body is ${body.bytes} bytes; at most ${body.limitBytes} are accepted`,
      };
    case 'encoded':
      return {
        status: 415,
        error: `Content-Encoding ${body.encoding} is not accepted: send the body uncompressed`,
      };
    case 'not-json':
      return { status: 400, error: `the body is not JSON (${body.message})` };
  }
}

/** The 413 of a body over `limitBytes` (recorded by the reader, or measured here); null when it fits. */
export function sizeRefusal(req: BodySource & object, limitBytes: number): BodyRefusal | null {
  const problem = bodyProblemOf(req);
  if (problem?.kind === 'too-large') return refusalOf(problem);
  const bytes = req.rawBody?.length ?? 0;
  return bytes > limitBytes ? refusalOf({ kind: 'too-large', bytes, limitBytes }) : null;
}

/** The refusal of a body that is too large or compressed, whatever it holds; null when neither. */
export function sizeOrEncodingRefusal(req: BodySource & object, limitBytes: number): BodyRefusal | null {
  const problem = bodyProblemOf(req);
  return problem ? refusalOf(problem) : sizeRefusal(req, limitBytes);
}

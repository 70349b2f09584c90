/**
 * The body of a mutating status route, read from the raw bytes (so a `curl -d` without a JSON content
 * type works too), with a size limit: a lease body is a few hundred bytes.
 */
import type { Request } from '@google-cloud/functions-framework';

/** Largest body accepted, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

export type JsonBody =
  /** `value` is undefined when the request has no body. */
  | { kind: 'ok'; value: unknown }
  | { kind: 'too-large'; bytes: number }
  | { kind: 'not-json'; message: string };

/** The request's body as JSON: none, too large, not JSON, or the parsed value. */
export function readJsonBody(req: Request): JsonBody {
  const raw = req.rawBody;
  if (raw === undefined || raw.length === 0) return { kind: 'ok', value: undefined };
  if (raw.length > MAX_BODY_BYTES) return { kind: 'too-large', bytes: raw.length };
  const text = raw.toString('utf8');
  if (text.trim() === '') return { kind: 'ok', value: undefined };
  try {
    return { kind: 'ok', value: JSON.parse(text) };
  } catch (err) {
    return { kind: 'not-json', message: (err as Error).message };
  }
}

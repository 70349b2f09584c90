/**
 * The body of a mutating status route, read from the raw bytes (so a `curl -d` without a JSON content
 * type works too), with a size limit: a lease body is a few hundred bytes. Read after the caller check
 * (functions/http/ reads the bytes; nothing is refused before the route runs).
 */
import type { Request } from '@google-cloud/functions-framework';
import { MAX_STATUS_BODY_BYTES } from '../http/body-limits.js';
import { type JsonBody, readJsonBody as readJson } from '../http/json-body.js';

/** Largest body accepted, in bytes. */
export const MAX_BODY_BYTES = MAX_STATUS_BODY_BYTES;

export type { JsonBody } from '../http/json-body.js';

/** The request's body as JSON: none, too large, compressed, not JSON, or the parsed value. */
export function readJsonBody(req: Request): JsonBody {
  return readJson(req, MAX_BODY_BYTES);
}

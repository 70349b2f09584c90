/**
 * The lease API's request bodies, checked strictly: every problem is reported with the field it is about,
 * and a field the API does not know is a problem too (a misspelt `ttl` must not silently become the
 * default). Pure.
 */
import { LEASE_TTL_SECONDS } from './leases.js';
import { isValidDnsLabel } from './names.js';

/** Longest `owner` and `requestId` accepted. */
export const MAX_LEASE_TEXT_LENGTH = 200;

/** Longest instance name accepted (a DNS label). */
const MAX_INSTANCE_LENGTH = 63;

/** One problem of a body: the field (`(body)` for the body as a whole) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** What `POST /api/leases` asks for, with the defaults filled in. */
export interface LeaseRequest {
  version: string;
  owner: string;
  ttlSeconds: number;
  requestId: string | null;
  instance: string | null;
}

const ACQUIRE_FIELDS = ['version', 'owner', 'ttlSeconds', 'requestId', 'instance'] as const;
const HEARTBEAT_FIELDS = ['ttlSeconds'] as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

type Body = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How an unknown key is named in an error: as is when it looks like a field, else quoted (and cut). */
function fieldName(key: string): string {
  return /^[A-Za-z_][\w.-]{0,63}$/.test(key) ? key : JSON.stringify(key.slice(0, 64));
}

/** A problem for each field of `body` that is not in `known`, naming the fields there are. */
export function unknownFields(body: Body, known: readonly string[]): FieldError[] {
  return Object.keys(body)
    .filter((key) => !known.includes(key))
    .map((key) => ({ field: fieldName(key), message: `unknown field (the fields are ${known.join(', ')})` }));
}

/** A required or optional text field: a string, not blank, at most `max` characters, no control characters. */
export function text(
  body: Body,
  field: string,
  max: number,
  errors: FieldError[],
  isRequired: boolean,
): string | null {
  const value = body[field];
  if (value === undefined || value === null) {
    if (isRequired) errors.push({ field, message: 'is required' });
    return null;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    errors.push({ field, message: 'must be a non-empty string' });
    return null;
  }
  if (value.length > max || CONTROL_CHARACTERS.test(value)) {
    errors.push({ field, message: `must be at most ${max} characters, without control characters` });
    return null;
  }
  return value;
}

/** `instance`: absent is `null`; else an instance name (a DNS label, as every instance name is). */
function instanceName(body: Body, errors: FieldError[]): string | null {
  const value = text(body, 'instance', MAX_INSTANCE_LENGTH, errors, false);
  if (value === null || isValidDnsLabel(value)) return value;
  errors.push({ field: 'instance', message: 'must be an instance name such as kf-master-1129-3a7' });
  return null;
}

/** `ttlSeconds`: absent is `null`; else an integer within LEASE_TTL_SECONDS. */
function ttl(body: Body, errors: FieldError[]): number | null {
  const value = body.ttlSeconds;
  if (value === undefined || value === null) return null;
  const { min, max } = LEASE_TTL_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    errors.push({ field: 'ttlSeconds', message: `must be a whole number of seconds from ${min} to ${max}` });
    return null;
  }
  return value;
}

/** The answer for a body that is not a JSON object. */
export function notAnObject(): Parsed<never> {
  return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
}

/** Checks a `POST /api/leases` body: `{version, owner, ttlSeconds?, requestId?, instance?}`. */
export function parseLeaseRequest(body: unknown): Parsed<LeaseRequest> {
  if (!isPlainObject(body)) return notAnObject();
  const errors = unknownFields(body, ACQUIRE_FIELDS);
  const version = text(body, 'version', MAX_LEASE_TEXT_LENGTH, errors, true);
  const owner = text(body, 'owner', MAX_LEASE_TEXT_LENGTH, errors, true);
  const ttlSeconds = ttl(body, errors) ?? LEASE_TTL_SECONDS.default;
  const requestId = text(body, 'requestId', MAX_LEASE_TEXT_LENGTH, errors, false);
  const instance = instanceName(body, errors);
  if (errors.length > 0 || version === null || owner === null) return { ok: false, errors };
  return { ok: true, value: { version, owner, ttlSeconds, requestId, instance } };
}

/** Checks a heartbeat body: none, `{}` or `{ttlSeconds}`. `ttlSeconds` null: the lease's own. */
export function parseHeartbeatRequest(body: unknown): Parsed<{ ttlSeconds: number | null }> {
  if (body === undefined) return { ok: true, value: { ttlSeconds: null } };
  if (!isPlainObject(body)) return notAnObject();
  const errors = unknownFields(body, HEARTBEAT_FIELDS);
  const ttlSeconds = ttl(body, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { ttlSeconds } };
}

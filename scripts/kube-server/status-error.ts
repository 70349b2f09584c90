/**
 * Errors answered as `metav1.Status` objects, with the reasons and codes a real API server uses
 * (401 Unauthorized, 404 NotFound, 409 AlreadyExists, 422 Invalid, ...).
 */
import type { KubeStatus } from './types.js';

/** The `reason` of a `Status` for an HTTP error code, as the API server names it. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'Timeout',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The reason a real API server gives for `code` (InternalError for codes it has no name for here). */
export function reasonFor(code: number): string {
  return REASONS[code] ?? 'InternalError';
}

/** An error a handler throws to answer a `Status` object. */
export class StatusError extends Error {
  override name = 'StatusError';

  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatus['details'],
  ) {
    super(message);
  }

  /** The `Status` body of this error. */
  toStatus(): KubeStatus {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

/** A `Status` with `status: Failure`. */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  const status: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 401 Unauthorized, worded like the API server. */
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

/** 404 for a path no route serves. */
export function unknownResource(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 404 for a missing object: `jobs.batch "x" not found`. */
export function objectNotFound(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${qualified(resource, group)} ${JSON.stringify(name)} not found`,
    objectDetails(resource, group, name),
  );
}

/** 409 for a taken name: `jobs.batch "x" already exists`. */
export function alreadyExists(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualified(resource, group)} ${JSON.stringify(name)} already exists`,
    objectDetails(resource, group, name),
  );
}

/** 405 for a method the route does not serve. */
export function methodNotAllowed(method: string): StatusError {
  return new StatusError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

/** The core group ("") is left out of messages and details, as the API server does. */
function objectDetails(resource: string, group: string, name: string): KubeStatus['details'] {
  return group === '' ? { name, kind: resource } : { name, group, kind: resource };
}

function qualified(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

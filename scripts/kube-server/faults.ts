/**
 * Fault injection: API requests that fail on purpose, in the order they were queued.
 * Control endpoints are never affected (the server does not ask for them).
 */
import { KubeServerError } from './kube-server-error.js';
import { isObject } from './types.js';

/**
 * Makes API calls fail on purpose. The next `count` API requests (default 1) whose method matches
 * `method` (any when omitted) are answered with `status` (a `Status` body), after `delayMs` if given,
 * or have their connection dropped (`dropConnection`). `delayMs` alone delays and then serves normally.
 * Control endpoints are never affected.
 */
export interface FaultSpec {
  status?: number;
  count?: number;
  method?: string;
  delayMs?: number;
  dropConnection?: boolean;
  /** Overrides the `Status` message (default: "injected fault"). */
  message?: string;
}

interface PendingFault {
  spec: FaultSpec;
  remaining: number;
}

/** The queue of faults still to serve. */
export class FaultQueue {
  private faults: PendingFault[] = [];

  /** Validates and queues a fault; throws a KubeServerError that says what is wrong with it. */
  add(value: unknown): void {
    const spec = validateFault(value);
    this.faults.push({ spec: { ...spec }, remaining: spec.count ?? 1 });
  }

  /** The first fault for `method`, counted as served; null when none applies. */
  take(method: string): FaultSpec | null {
    const pending = this.faults.find(
      (fault) => fault.spec.method === undefined || fault.spec.method.toUpperCase() === method,
    );
    if (!pending) return null;
    pending.remaining -= 1;
    if (pending.remaining <= 0) this.faults = this.faults.filter((fault) => fault !== pending);
    return pending.spec;
  }

  /** The faults still queued, each with the count it has left. */
  pending(): FaultSpec[] {
    return this.faults.map((fault) => ({ ...fault.spec, count: fault.remaining }));
  }

  clear(): void {
    this.faults = [];
  }
}

function validateFault(value: unknown): FaultSpec {
  if (!isObject(value))
    throw new KubeServerError('A fault must be an object like {"status": 500, "count": 2}.');
  const { status, count, method, delayMs, dropConnection, message } = value;
  if (
    status !== undefined &&
    (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599)
  )
    throw new KubeServerError(
      `fault.status must be an HTTP error status (400-599), got ${JSON.stringify(status)}.`,
    );
  if (count !== undefined && (!Number.isInteger(count) || (count as number) < 1))
    throw new KubeServerError(`fault.count must be a whole number >= 1, got ${JSON.stringify(count)}.`);
  if (method !== undefined && typeof method !== 'string')
    throw new KubeServerError(
      `fault.method must be an HTTP method like "POST", got ${JSON.stringify(method)}.`,
    );
  if (delayMs !== undefined && (typeof delayMs !== 'number' || delayMs < 0))
    throw new KubeServerError(`fault.delayMs must be a number >= 0, got ${JSON.stringify(delayMs)}.`);
  if (dropConnection !== undefined && typeof dropConnection !== 'boolean')
    throw new KubeServerError(
      `fault.dropConnection must be true or false, got ${JSON.stringify(dropConnection)}.`,
    );
  if (message !== undefined && typeof message !== 'string')
    throw new KubeServerError(`fault.message must be a string, got ${JSON.stringify(message)}.`);
  if (status === undefined && delayMs === undefined && dropConnection !== true)
    throw new KubeServerError('A fault needs at least one of status, delayMs or dropConnection: true.');
  return value as FaultSpec;
}

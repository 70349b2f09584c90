/**
 * Fault injection: the next `count` calls of an RPC fail with a chosen gRPC status, so a test can see
 * what a client does when the listing fails (a failed listing must read as "know nothing").
 */
import { grpc } from 'google-gax';
import { EmulatorError } from '../lib/grpc-emulator.js';

/** The RPCs a fault can target: the ones the fake serves. */
export const FAULTABLE_METHODS = ['ListClusters', 'GetCluster', 'DeleteCluster'] as const;
export type FaultableMethod = (typeof FAULTABLE_METHODS)[number];

/** Makes the next `count` calls of `method` fail with `code`. */
export interface FaultSpec {
  /** Default ListClusters. */
  method?: FaultableMethod;
  /** Default 1. */
  count?: number;
  /** A gRPC status code, as a number (14) or a name (`UNAVAILABLE`); not OK. */
  code: number | string;
  /** The status details. Default: "injected fault". */
  message?: string;
}

interface PendingFault {
  method: FaultableMethod;
  code: grpc.status;
  message: string;
  remaining: number;
}

function statusCode(code: number | string): grpc.status {
  const value = typeof code === 'string' ? grpc.status[code as keyof typeof grpc.status] : code;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 16) {
    throw new TypeError(
      `code must be a gRPC status other than OK: 1-16 or a name such as UNAVAILABLE (got ${JSON.stringify(code)}).`,
    );
  }
  return value;
}

/** Validates a fault; throws a TypeError that names the bad field. */
function validateFault(spec: FaultSpec): PendingFault {
  const method = spec.method ?? 'ListClusters';
  if (!FAULTABLE_METHODS.includes(method)) {
    throw new TypeError(
      `method must be one of ${FAULTABLE_METHODS.join(', ')} (got ${JSON.stringify(method)}).`,
    );
  }
  const count = spec.count ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new TypeError(`count must be a whole number >= 1 (got ${JSON.stringify(count)}).`);
  if (spec.message !== undefined && typeof spec.message !== 'string')
    throw new TypeError('message must be a string.');
  return { method, code: statusCode(spec.code), message: spec.message ?? 'injected fault', remaining: count };
}

/** The faults still to serve, in the order they were added. */
export class FaultQueue {
  private faults: PendingFault[] = [];

  /** Queues a fault; throws a TypeError for a bad spec. */
  add(spec: FaultSpec): void {
    this.faults.push(validateFault(spec));
  }

  /** Counts one call of `method`: the error to answer it with, or null to serve it normally. */
  take(method: string): EmulatorError | null {
    const pending = this.faults.find((fault) => fault.method === method);
    if (!pending) return null;
    pending.remaining -= 1;
    if (pending.remaining === 0) this.faults = this.faults.filter((fault) => fault !== pending);
    return new EmulatorError(pending.code, pending.message);
  }

  /** The faults still queued, with the count each has left. */
  pending(): Array<{ method: FaultableMethod; code: string; message: string; count: number }> {
    return this.faults.map((fault) => ({
      method: fault.method,
      code: grpc.status[fault.code],
      message: fault.message,
      count: fault.remaining,
    }));
  }

  clear(): void {
    this.faults = [];
  }
}

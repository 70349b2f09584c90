/**
 * Fault injection: the next `count` calls of an RPC fail with a chosen gRPC status, so a test can see
 * what a client does when the listing fails (a failed listing must read as "know nothing"); and
 * unreachable zones, which ListClusters leaves out and reports in `missingZones`, as GKE does.
 */
import { grpc } from 'google-gax';
import { EmulatorError } from '../lib/grpc-emulator.js';
import { ALL_LOCATIONS, LOCATION_ID } from './cluster-names.js';

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

/** The faults still to serve, in the order they were added, and the unreachable zones. */
export class FaultQueue {
  private faults: PendingFault[] = [];
  private unreachable: string[] = [];

  /** Makes ListClusters leave out these zones (replacing any before); [] makes every zone reachable. */
  setUnreachableZones(zones: string[]): void {
    if (!Array.isArray(zones)) throw new TypeError('zones must be a list of zone names.');
    const bad = zones.filter(
      (zone) => typeof zone !== 'string' || !LOCATION_ID.test(zone) || zone === ALL_LOCATIONS,
    );
    if (bad.length > 0) {
      throw new TypeError(`zones must be zone names such as us-east1-c (got ${JSON.stringify(bad)}).`);
    }
    this.unreachable = [...new Set(zones)].sort();
  }

  /** The unreachable zones that `location` covers: itself, its zones (a region), or all of them (`-`). */
  unreachableZones(location = ALL_LOCATIONS): string[] {
    return this.unreachable.filter(
      (zone) => location === ALL_LOCATIONS || zone === location || zone.startsWith(`${location}-`),
    );
  }

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

  /** Forgets the queued faults and the unreachable zones. */
  clear(): void {
    this.faults = [];
    this.unreachable = [];
  }
}

/**
 * The lease API's use cases: acquire, heartbeat, release, read. Each checks the body (core/lease-body.ts),
 * then lets the store read, decide (core/lease-acquire.ts, core/leases.ts) and write in one transaction.
 * The answers are data; functions/status/lease-routes.ts turns them into HTTP.
 */
import { type AcquireOutcome, decideAcquire } from '../core/lease-acquire.js';
import { type FieldError, parseHeartbeatRequest, parseLeaseRequest } from '../core/lease-body.js';
import {
  type HeartbeatResult,
  heartbeatLease,
  type Lease,
  leaseIdFor,
  type ReleaseResult,
  randomLeaseId,
  releaseLease,
} from '../core/leases.js';
import type { Clock, LeaseStore } from '../core/ports.js';

export interface LeaseActionDeps {
  store: LeaseStore;
  /** The configured versions' names: a lease of any other is 404. */
  versions: readonly string[];
  clock: Clock;
  /** 16 random hex characters, for a lease taken without a requestId. */
  randomHex: () => string;
}

/** A body that did not pass the checks. */
export type Invalid = { kind: 'invalid'; errors: FieldError[] };

export type AcquireAnswer = AcquireOutcome | Invalid | { kind: 'unknown-version'; version: string };

/** `POST /api/leases`: takes a lease on the newest ready (or the pinned) instance of a version. */
export async function acquireLease(
  deps: LeaseActionDeps,
  body: unknown,
  createdBy: string | null,
): Promise<AcquireAnswer> {
  const parsed = parseLeaseRequest(body);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const request = parsed.value;
  if (!deps.versions.includes(request.version)) return { kind: 'unknown-version', version: request.version };
  const leaseId =
    request.requestId === null
      ? randomLeaseId(request.version, deps.randomHex())
      : leaseIdFor(request.version, request.owner, request.requestId);
  return deps.store.acquire({ leaseId, instance: request.instance }, (view) =>
    decideAcquire(request, view, { leaseId, now: deps.clock(), createdBy }),
  );
}

/** `POST /api/leases/<id>/heartbeat`: extends a live lease. `unknown` when there is no such lease. */
export async function heartbeatLeaseById(
  deps: LeaseActionDeps,
  leaseId: string,
  body: unknown,
): Promise<HeartbeatResult | Invalid | { kind: 'unknown' }> {
  const parsed = parseHeartbeatRequest(body);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const result = await deps.store.changeLease(leaseId, (lease) =>
    heartbeatLease(lease, deps.clock(), parsed.value.ttlSeconds),
  );
  return result ?? { kind: 'unknown' };
}

/** `DELETE /api/leases/<id>`: releases a lease; a closed one is answered as it is. */
export async function releaseLeaseById(
  deps: LeaseActionDeps,
  leaseId: string,
): Promise<ReleaseResult | { kind: 'unknown' }> {
  const result = await deps.store.changeLease(leaseId, (lease) => releaseLease(lease, deps.clock()));
  return result ?? { kind: 'unknown' };
}

/** `GET /api/leases/<id>`: the lease, whatever its status, or null. */
export function readLease(deps: LeaseActionDeps, leaseId: string): Promise<Lease | null> {
  return deps.store.getLease(leaseId);
}

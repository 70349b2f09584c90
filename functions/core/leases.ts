/**
 * Leases: "I am using this instance; do not take it away". A test takes a lease on a ready instance of a
 * version for `ttlSeconds`, heartbeats to extend it, and releases it when done. While a lease is live,
 * garbage collection never collects its instance (the planner and the worker's teardown both ask
 * `isLeaseLive`). Pure: what the store read and `now` in, the decision and the lease to write out.
 *
 * Life of a lease: active -> released (DELETE) | expired (its time passed: closed by the tick, or by a
 * heartbeat or release that finds it past `expiresAt`). A closed lease is kept for the record and deleted
 * by Firestore's TTL policy `LEASE_RECORD_DAYS` after it closed (`recordExpiry`).
 */
import { createHash } from 'node:crypto';
import { addSeconds, DAY_MS } from './time.js';
import type { Deployment } from './types.js';

/** Bounds and default of a lease's time to live. */
export const LEASE_TTL_SECONDS = { min: 60, max: 86_400, default: 3_600 } as const;

/** How long a closed lease stays in Firestore for the record. */
export const LEASE_RECORD_DAYS = 7;

/**
 * `revoked`: ended by the system, not by its holder: an operator forced the teardown of its instance
 * through it (core/teardown.ts), or the instance's cluster is gone (`revokeLease`).
 */
export type LeaseStatus = 'active' | 'released' | 'expired' | 'revoked';

/** One lease, as recorded in `leases/{leaseId}`. */
export interface Lease {
  /** `lease-<version>-<16 hex>`; also the document id. */
  leaseId: string;
  version: string;
  instance: string;
  /** The instance's commit, endpoint and get-credentials command when the lease was taken. */
  commit: string;
  endpoint: string;
  credentialsCommand: string;
  /** Who holds it, in the holder's words (e.g. `kubeflow/examples#1234`). */
  owner: string;
  /** The caller's idempotency key, when given. */
  requestId: string | null;
  status: LeaseStatus;
  /** What each heartbeat extends the lease by, unless the heartbeat says otherwise. */
  ttlSeconds: number;
  createdAt: Date;
  expiresAt: Date;
  /** The last heartbeat, null before the first. */
  heartbeatAt: Date | null;
  /** When it was released, found expired or revoked; null while active. */
  closedAt: Date | null;
  /** The authenticated caller who took it; null when the call was not authenticated (the local stack). */
  createdBy: string | null;
}

/** True while `lease` protects its instance: active and not yet past `expiresAt` (exactly at it: expired). */
export function isLeaseLive(lease: Pick<Lease, 'status' | 'expiresAt'>, now: Date): boolean {
  return lease.status === 'active' && lease.expiresAt.getTime() > now.getTime();
}

/** The live leases of `leases`, soonest to expire first. */
export function liveLeases(leases: readonly Lease[], now: Date): Lease[] {
  return leases
    .filter((lease) => isLeaseLive(lease, now))
    .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.leaseId.localeCompare(b.leaseId));
}

/** The live leases of each instance. */
export function liveLeasesByInstance(leases: readonly Lease[], now: Date): Map<string, Lease[]> {
  const byInstance = new Map<string, Lease[]>();
  for (const lease of liveLeases(leases, now)) {
    byInstance.set(lease.instance, [...(byInstance.get(lease.instance) ?? []), lease]);
  }
  return byInstance;
}

/** GC's `isHeld` from the leases read: a deployment with a live lease is held. */
export function heldByLeases(leases: readonly Lease[], now: Date): (deployment: Deployment) => boolean {
  const held = liveLeasesByInstance(leases, now);
  return (deployment) => held.has(deployment.instance);
}

/** When Firestore's TTL policy may delete the lease's document: a week after it closed (or would have). */
export function recordExpiry(lease: Pick<Lease, 'closedAt' | 'expiresAt'>): Date {
  return new Date((lease.closedAt ?? lease.expiresAt).getTime() + LEASE_RECORD_DAYS * DAY_MS);
}

/**
 * The id of a lease taken with an idempotency key: the same version, owner and key always name the same
 * lease, so repeated or concurrent acquires create it once.
 */
export function leaseIdFor(version: string, owner: string, requestId: string): string {
  const digest = createHash('sha256').update(`${owner}\n${requestId}`).digest('hex');
  return `lease-${version}-${digest.slice(0, 16)}`;
}

/** The id of a lease taken without a key, from 16 random hex characters the caller drew. */
export function randomLeaseId(version: string, randomHex: string): string {
  return `lease-${version}-${randomHex.slice(0, 16)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Transitions: heartbeat, release, expiry

/** A decision on one stored lease: what to answer, and the lease to write (null: nothing changes). */
export interface LeaseChange<R> {
  result: R;
  next: Lease | null;
}

export type HeartbeatResult =
  | { kind: 'extended'; lease: Lease }
  /** 410: the lease is over; a heartbeat never revives it. */
  | { kind: 'gone'; reason: 'expired' | 'released' | 'revoked'; lease: Lease };

/** `lease` closed as expired at `now`, unless it is closed already. */
function expired(lease: Lease, now: Date): Lease {
  return lease.status === 'active' ? { ...lease, status: 'expired', closedAt: now } : lease;
}

/**
 * A heartbeat: a live lease is extended to `now + ttlSeconds` (the heartbeat's, which then becomes the
 * lease's, else the lease's own). A released one is gone; an expired one too, and one still marked
 * active but past its time is closed as expired on the way.
 */
export function heartbeatLease(
  lease: Lease,
  now: Date,
  ttlSeconds: number | null,
): LeaseChange<HeartbeatResult> {
  if (lease.status === 'released' || lease.status === 'revoked') {
    return { result: { kind: 'gone', reason: lease.status, lease }, next: null };
  }
  if (!isLeaseLive(lease, now)) {
    const closed = expired(lease, now);
    return {
      result: { kind: 'gone', reason: 'expired', lease: closed },
      next: closed === lease ? null : closed,
    };
  }
  const ttl = ttlSeconds ?? lease.ttlSeconds;
  const next: Lease = { ...lease, ttlSeconds: ttl, expiresAt: addSeconds(now, ttl), heartbeatAt: now };
  return { result: { kind: 'extended', lease: next }, next };
}

export type ReleaseResult = { kind: 'released' | 'already-closed'; lease: Lease };

/**
 * A release: a live lease becomes `released`; one past its time is closed as `expired` instead (it was
 * over before the release came); a closed one is left as it is. Each answers 200: releasing twice is fine.
 */
export function releaseLease(lease: Lease, now: Date): LeaseChange<ReleaseResult> {
  if (lease.status !== 'active') return { result: { kind: 'already-closed', lease }, next: null };
  const next: Lease = isLeaseLive(lease, now)
    ? { ...lease, status: 'released', closedAt: now }
    : expired(lease, now);
  return { result: { kind: next.status === 'released' ? 'released' : 'already-closed', lease: next }, next };
}

/**
 * The tick's revocation of a lease whose instance stopped existing under it (its cluster gone: see
 * `leasedInstancesGone`): an active lease becomes `revoked`, so its holder's next heartbeat is told
 * (410) instead of extending a lease on nothing; a closed one is left alone.
 */
export function revokeLease(lease: Lease, now: Date): LeaseChange<boolean> {
  if (lease.status !== 'active') return { result: false, next: null };
  return { result: true, next: { ...lease, status: 'revoked', closedAt: now } };
}

/**
 * The instances among `deployments` whose cluster is gone for good: lost, and not in the cloud
 * inventory's listing (core/inventory.ts). Such a record never serves again (reconcile.ts keeps it
 * lost), so a lease on it holds nothing.
 */
export function leasedInstancesGone(
  deployments: ReadonlyArray<Pick<Deployment, 'instance' | 'status' | 'cluster'>>,
): Set<string> {
  return new Set(
    deployments.filter((d) => d.status === 'lost' && d.cluster?.listed === false).map((d) => d.instance),
  );
}

/**
 * The leases that end because their instance is being torn down through them (a forced teardown):
 * each live one becomes `revoked` at `now`, so its holder's next heartbeat is told (410) instead of
 * extending a lease on an instance that is going away. Closed and past-time leases are left alone.
 */
export function revokeLiveLeases(leases: readonly Lease[], now: Date): Lease[] {
  return liveLeases(leases, now).map((lease) => ({ ...lease, status: 'revoked', closedAt: now }));
}

/** The tick's expiry: an active lease past its time is closed as `expired`; anything else is left alone. */
export function expireLease(lease: Lease, now: Date): LeaseChange<boolean> {
  if (lease.status !== 'active' || isLeaseLive(lease, now)) return { result: false, next: null };
  return { result: true, next: expired(lease, now) };
}

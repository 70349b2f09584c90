/**
 * Tick step: closes the leases whose time has passed (status `expired`, `closedAt`), so the console and
 * the API say what is true, and revokes the live ones whose instance's cluster is gone (the inventory
 * step, just before, marked it `lost`), so their holders' next heartbeat answers 410 instead of
 * extending a lease on nothing. GC does not wait for it: an active lease past its time protects
 * nothing already (core/leases.ts `isLeaseLive`). A closed lease stays a week for the record
 * (Firestore TTL).
 */
import { expireLease, isLeaseLive, type Lease, leasedInstancesGone, revokeLease } from '../core/leases.js';
import type { Clock, DeploymentStore, LeaseStore } from '../core/ports.js';
import type { Logger } from '../log.js';

export interface CloseExpiredLeasesDeps {
  store: Pick<LeaseStore, 'listActiveLeases' | 'changeLease'>;
  /** The `lost` deployments: a live lease on one whose cluster is gone is revoked. */
  deployments: Pick<DeploymentStore, 'listDeployments'>;
  clock: Clock;
  logger: Logger;
}

export interface CloseExpiredLeasesReport {
  ok: true;
  /** Leases still live after this step. */
  live: number;
  /** Lease ids closed as expired by this step. */
  expired: string[];
  /** Lease ids revoked by this step: their instance's cluster is gone. */
  revoked: string[];
}

export async function closeExpiredLeases(deps: CloseExpiredLeasesDeps): Promise<CloseExpiredLeasesReport> {
  const { store, clock, logger } = deps;
  const active = await store.listActiveLeases();
  const now = clock();
  const expired: string[] = [];
  for (const lease of active.filter((candidate) => !isLeaseLive(candidate, now))) {
    // Decided again in the transaction: a heartbeat may have come in since the list was read.
    if ((await store.changeLease(lease.leaseId, (stored) => expireLease(stored, now))) !== true) continue;
    expired.push(lease.leaseId);
    logger.info('lease expired', {
      lease: lease.leaseId,
      instance: lease.instance,
      version: lease.version,
      owner: lease.owner,
      expiresAt: lease.expiresAt.toISOString(),
    });
  }
  const live = active.filter((lease) => !expired.includes(lease.leaseId));
  const revoked = await revokeLeasesOfGoneInstances(deps, live, now);
  return { ok: true, live: live.length - revoked.length, expired, revoked };
}

/** Revokes the live leases whose instance's cluster is gone; reads the lost records only when a lease is live. */
async function revokeLeasesOfGoneInstances(
  deps: CloseExpiredLeasesDeps,
  live: readonly Lease[],
  now: Date,
): Promise<string[]> {
  if (live.length === 0) return [];
  const gone = leasedInstancesGone(await deps.deployments.listDeployments(['lost']));
  const revoked: string[] = [];
  for (const lease of live.filter((candidate) => gone.has(candidate.instance))) {
    if ((await deps.store.changeLease(lease.leaseId, (stored) => revokeLease(stored, now))) !== true)
      continue;
    revoked.push(lease.leaseId);
    deps.logger.warn('lease revoked: its instance is gone', {
      lease: lease.leaseId,
      instance: lease.instance,
      version: lease.version,
      owner: lease.owner,
    });
  }
  return revoked;
}

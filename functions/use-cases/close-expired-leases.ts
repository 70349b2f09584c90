/**
 * Tick step: closes the leases whose time has passed (status `expired`, `closedAt`), so the console and
 * the API say what is true. GC does not wait for it: an active lease past its time protects nothing
 * already (core/leases.ts `isLeaseLive`). A closed lease stays a week for the record (Firestore TTL).
 */
import { expireLease, isLeaseLive } from '../core/leases.js';
import type { Clock, LeaseStore } from '../core/ports.js';
import type { Logger } from '../log.js';

export interface CloseExpiredLeasesDeps {
  store: Pick<LeaseStore, 'listActiveLeases' | 'changeLease'>;
  clock: Clock;
  logger: Logger;
}

export interface CloseExpiredLeasesReport {
  ok: true;
  /** Leases still live after this step. */
  live: number;
  /** Lease ids closed as expired by this step. */
  expired: string[];
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
  return { ok: true, live: active.length - expired.length, expired };
}

/** Leases in the status API's JSON: dates as ISO strings. Pure. */
import type { Lease } from './leases.js';

/** A lease as `/api/leases` answers it. */
export interface LeaseJson {
  leaseId: string;
  version: string;
  instance: string;
  commit: string;
  endpoint: string;
  credentialsCommand: string;
  owner: string;
  expiresAt: string;
  status: Lease['status'];
  ttlSeconds: number;
  requestId: string | null;
  createdAt: string;
  heartbeatAt: string | null;
  closedAt: string | null;
  createdBy: string | null;
}

/** A live lease as a deployment in `/api/deployments` lists it. */
export interface LeaseSummaryJson {
  leaseId: string;
  owner: string;
  expiresAt: string;
}

export function leaseToJson(lease: Lease): LeaseJson {
  return {
    leaseId: lease.leaseId,
    version: lease.version,
    instance: lease.instance,
    commit: lease.commit,
    endpoint: lease.endpoint,
    credentialsCommand: lease.credentialsCommand,
    owner: lease.owner,
    expiresAt: lease.expiresAt.toISOString(),
    status: lease.status,
    ttlSeconds: lease.ttlSeconds,
    requestId: lease.requestId,
    createdAt: lease.createdAt.toISOString(),
    heartbeatAt: lease.heartbeatAt?.toISOString() ?? null,
    closedAt: lease.closedAt?.toISOString() ?? null,
    createdBy: lease.createdBy,
  };
}

export function leaseSummaryToJson(lease: Lease): LeaseSummaryJson {
  return { leaseId: lease.leaseId, owner: lease.owner, expiresAt: lease.expiresAt.toISOString() };
}

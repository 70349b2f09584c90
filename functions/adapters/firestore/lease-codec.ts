/**
 * `leases/{leaseId}` documents to and from the core's Lease (docs/data-model.md). Flat and readable in the
 * console; `expireAt` is the field Firestore's TTL policy deletes the document by (firestore.indexes.json).
 */
import type { DocumentData, DocumentSnapshot } from '@google-cloud/firestore';
import { type Lease, type LeaseStatus, recordExpiry } from '../../core/leases.js';
import { requiredDate, toDate } from './codec.js';

const STATUSES: readonly LeaseStatus[] = ['active', 'released', 'expired', 'revoked'];

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A lease as stored (the id is also a field, for the console), with the TTL policy's `expireAt`. */
export function leaseDoc(lease: Lease): DocumentData {
  return { ...lease, expireAt: recordExpiry(lease) };
}

/**
 * Reads a leases/{leaseId} document. An unknown status reads as `expired` (a hand-edited lease never
 * protects an instance by accident).
 */
export function leaseFromDoc(snapshot: DocumentSnapshot): Lease | null {
  const data = snapshot.data();
  if (!data) return null;
  return {
    leaseId: snapshot.id,
    version: String(data.version),
    instance: String(data.instance),
    commit: String(data.commit ?? ''),
    endpoint: String(data.endpoint ?? ''),
    credentialsCommand: String(data.credentialsCommand ?? ''),
    owner: String(data.owner ?? ''),
    requestId: stringOrNull(data.requestId),
    status: STATUSES.includes(data.status) ? data.status : 'expired',
    ttlSeconds: typeof data.ttlSeconds === 'number' ? data.ttlSeconds : 0,
    createdAt: requiredDate(data.createdAt),
    expiresAt: requiredDate(data.expiresAt),
    heartbeatAt: toDate(data.heartbeatAt),
    closedAt: toDate(data.closedAt),
    createdBy: stringOrNull(data.createdBy),
  };
}

/** The leases of a query's documents. */
export function leasesFromDocs(docs: DocumentSnapshot[]): Lease[] {
  return docs.map(leaseFromDoc).filter((lease): lease is Lease => lease !== null);
}

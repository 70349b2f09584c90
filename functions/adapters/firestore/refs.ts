/**
 * Where things live in Firestore (docs/data-model.md). Ids are natural keys, so an operator finds a
 * document in the console by what it is about:
 *
 *   versions/{version}                          config mirror, operator switches, the planner's decision
 *   branches/{owner:repo:branch}                head of a followed branch (and the poll's ETag)
 *   branches/{owner:repo:branch}/commits/{sha}  every recorded commit of that branch
 *   deliveries/{X-GitHub-Delivery}              webhook delivery claims (exactly-once intake)
 *   deployRequests/{id}                         a request to deploy a commit or tear an instance down
 *   deployments/{instance}                      one Kubeflow instance and its deploy/teardown Jobs
 *   leases/{leaseId}                            a test's lease on an instance (kept a week after it closed)
 *   versions/{version}/events/{eventId}         what operators asked of the version (pause, teardown, ...)
 *   control/drain                               the global drain switch (pause everything)
 */
import {
  type CollectionReference,
  type DocumentReference,
  type DocumentSnapshot,
  Filter,
  type Firestore,
  type Query,
  type Transaction,
} from '@google-cloud/firestore';
import { branchDocId } from '../../core/names.js';
import { OPEN_REQUEST_STATUSES } from '../../core/requests.js';
import { HOUR_MS } from '../../core/time.js';
import type { Deployment } from '../../core/types.js';
import { uniqueDeployments } from './codec.js';

export const COLLECTIONS = {
  versions: 'versions',
  branches: 'branches',
  commits: 'commits',
  deliveries: 'deliveries',
  deployRequests: 'deployRequests',
  deployments: 'deployments',
  leases: 'leases',
  events: 'events',
  control: 'control',
} as const;

/** Deleted deployments launched within this window are still read: they carry the rate limits. */
export const RECENT_DELETED_HOURS = 48;

/** Statuses the refresh step follows on the cluster. */
export const FOLLOWED_STATUSES = ['launching', 'deploying', 'lost', 'deleting'] as const;

export function versionRef(db: Firestore, version: string): DocumentReference {
  return db.collection(COLLECTIONS.versions).doc(version);
}

export function branchRef(db: Firestore, repo: string, branch: string): DocumentReference {
  return db.collection(COLLECTIONS.branches).doc(branchDocId(repo, branch));
}

export function deliveryRef(db: Firestore, deliveryId: string): DocumentReference {
  return db.collection(COLLECTIONS.deliveries).doc(deliveryId);
}

export function requestRef(db: Firestore, id: string): DocumentReference {
  return db.collection(COLLECTIONS.deployRequests).doc(id);
}

export function deploymentRef(db: Firestore, instance: string): DocumentReference {
  return db.collection(COLLECTIONS.deployments).doc(instance);
}

export function deploymentsCollection(db: Firestore): CollectionReference {
  return db.collection(COLLECTIONS.deployments);
}

/** The global drain switch (core/operator.ts): one document, readable and editable in the console. */
export function drainRef(db: Firestore): DocumentReference {
  return db.collection(COLLECTIONS.control).doc('drain');
}

/** The operator events of one version (its history), newest last by `at`. */
export function versionEventsCollection(db: Firestore, version: string): CollectionReference {
  return versionRef(db, version).collection(COLLECTIONS.events);
}

export function leaseRef(db: Firestore, leaseId: string): DocumentReference {
  return db.collection(COLLECTIONS.leases).doc(leaseId);
}

/** Leases still marked active (live, or past their time until the tick closes them). */
export function activeLeasesQuery(db: Firestore): Query {
  return db.collection(COLLECTIONS.leases).where('status', '==', 'active');
}

/** Every lease of one instance, whatever its status (a handful: closed ones go after a week). */
export function instanceLeasesQuery(db: Firestore, instance: string): Query {
  return db.collection(COLLECTIONS.leases).where('instance', '==', instance);
}

/** Requests still to be acted on. */
export function openRequestsQuery(db: Firestore): Query {
  return db.collection(COLLECTIONS.deployRequests).where('status', 'in', [...OPEN_REQUEST_STATUSES]);
}

/** Runs a query in `tx` when given, else directly. */
export function runQuery(query: Query, tx?: Transaction): Promise<{ docs: DocumentSnapshot[] }> {
  return tx ? tx.get(query) : query.get();
}

/** Reads documents in `tx` when given, else directly (none: no call). */
export async function getAll(
  db: Firestore,
  refs: DocumentReference[],
  tx?: Transaction,
): Promise<DocumentSnapshot[]> {
  if (refs.length === 0) return [];
  return tx ? tx.getAll(...refs) : db.getAll(...refs);
}

/**
 * Every deployment not deleted, plus deleted ones launched in the last `RECENT_DELETED_HOURS` (they
 * carry the rate limits, and the status page shows them): one query, the disjunction of `status` not
 * `deleted` (so a status an operator mistyped in the console still counts against the capacity) and
 * `createdAt` since then. Each disjunct filters one field, served by its single-field index; a document
 * that matches both is returned once. Reads in proportion to the instances alive and
 * recently launched, never to the history; one round trip (it was two queries, one per disjunct).
 */
export async function readRecentDeployments(
  db: Firestore,
  now: Date,
  tx?: Transaction,
): Promise<Deployment[]> {
  const since = new Date(now.getTime() - RECENT_DELETED_HOURS * HOUR_MS);
  const query = deploymentsCollection(db).where(
    Filter.or(Filter.where('status', '!=', 'deleted'), Filter.where('createdAt', '>=', since)),
  );
  return uniqueDeployments((await runQuery(query, tx)).docs);
}

/**
 * The plan-and-enqueue step's store: the planner's snapshot (versions with switches and heads, recent
 * deployments, open requests, active leases), deploy requests claimed once by their derived id, what was enqueued, and
 * each version's decision. Every read-decide-write runs in one transaction; the decisions are the core's.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { EnqueueMark, PipelineSnapshot, PlanStore, StoredDecision } from '../../core/ports.js';
import { enqueuedPatch, enqueueFailedPatch, isNewDecision } from '../../core/requests.js';
import type { DeployRequest, VersionConfig } from '../../core/types.js';
import { isAlreadyExists } from '../grpc-codes.js';
import {
  decisionDoc,
  headFromBranchDoc,
  isSameDecisionDoc,
  requestDoc,
  requestFromDoc,
  switchesFromDoc,
} from './codec.js';
import { leasesFromDocs } from './lease-codec.js';
import {
  activeLeasesQuery,
  branchRef,
  drainRef,
  getAll,
  openRequestsQuery,
  readRecentDeployments,
  requestRef,
  versionRef,
} from './refs.js';

export class FirestorePlanStore implements PlanStore {
  constructor(private readonly db: Firestore) {}

  async readSnapshot(
    configs: VersionConfig[],
    now: Date,
    options: { withLeases?: boolean; headsAfter?: Promise<unknown> } = {},
  ): Promise<PipelineSnapshot> {
    const refs = [
      ...configs.map((config) => versionRef(this.db, config.name)),
      ...configs.map((config) => branchRef(this.db, config.repo, config.branch)),
      drainRef(this.db),
    ];
    const [docs, deployments, open, leases] = await Promise.all([
      // The heads only after `headsAfter` (the pending-plan protocol); nothing else depends on it.
      (options.headsAfter ?? Promise.resolve()).then(() => getAll(this.db, refs)),
      readRecentDeployments(this.db, now),
      openRequestsQuery(this.db).get(),
      options.withLeases === false ? null : activeLeasesQuery(this.db).get(),
    ]);
    const drain = docs[2 * configs.length]?.data();
    const versions = configs.map((config, index) => ({
      config,
      switches: switchesFromDoc(docs[index]?.data(), drain),
      head: headFromBranchDoc(docs[configs.length + index]?.data()),
    }));
    return {
      versions,
      deployments,
      openRequests: open.docs.map(requestFromDoc).filter((request) => request !== null),
      leases: leases ? leasesFromDocs(leases.docs) : [],
    };
  }

  async createRequest(request: DeployRequest): Promise<{ request: DeployRequest; isNew: boolean }> {
    if (request.reason !== 'manual') {
      // One create() (it fails if the id exists): a round trip less than a transaction on the path
      // from a push to its Job. A manual request also clears the version's force switch: transaction.
      const created = await this.createOrRead(request);
      if (created) return created;
    }
    return this.createInTransaction(request);
  }

  /** Null when the request existed and was gone again by the time it was read (the transaction decides). */
  private async createOrRead(
    request: DeployRequest,
  ): Promise<{ request: DeployRequest; isNew: boolean } | null> {
    const ref = requestRef(this.db, request.id);
    try {
      await ref.create(requestDoc(request));
      return { request, isNew: true };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = requestFromDoc(await ref.get());
    return existing ? { request: existing, isNew: false } : null;
  }

  private createInTransaction(request: DeployRequest): Promise<{ request: DeployRequest; isNew: boolean }> {
    return this.db.runTransaction(async (tx) => {
      const ref = requestRef(this.db, request.id);
      const existing = requestFromDoc(await tx.get(ref));
      const version = request.reason === 'manual' ? await tx.get(versionRef(this.db, request.version)) : null;
      if (existing) return { request: existing, isNew: false };
      tx.create(ref, requestDoc(request));
      if (version?.data()?.forceRedeploy === true) {
        tx.update(version.ref, { forceRedeploy: false, forceRedeployUsedAt: request.createdAt });
      }
      return { request, isNew: true };
    });
  }

  async markEnqueued(id: string, mark: EnqueueMark): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const ref = requestRef(this.db, id);
      const patch = enqueuedPatch(requestFromDoc(await tx.get(ref)), mark);
      if (patch) tx.update(ref, patch);
    });
  }

  async markEnqueueFailed(id: string, error: string, now: Date, expectedCount = 0): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const ref = requestRef(this.db, id);
      const patch = enqueueFailedPatch(requestFromDoc(await tx.get(ref)), { expectedCount, error, now });
      if (patch) tx.update(ref, patch);
    });
  }

  async writeDecisions(decisions: StoredDecision[], now: Date): Promise<void> {
    // Only the decisions that may equal the stored one are read, to skip rewriting those that did not change.
    const compared = decisions.filter(({ decision }) => !isNewDecision(decision));
    const snapshots = await getAll(
      this.db,
      compared.map(({ decision }) => versionRef(this.db, decision.version)),
    );
    const previous = new Map(
      compared.map(({ decision }, index) => [decision, snapshots[index]?.data()?.decision]),
    );
    const batch = this.db.batch();
    let writes = 0;
    for (const { decision, text } of decisions) {
      const stored = decisionDoc(decision, text);
      const before = previous.get(decision);
      if (before && isSameDecisionDoc(before, stored)) continue;
      batch.set(versionRef(this.db, decision.version), { decision: stored, decidedAt: now }, { merge: true });
      writes += 1;
    }
    if (writes > 0) await batch.commit();
  }
}

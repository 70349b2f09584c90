/**
 * The intake's store: records a push's commits and moves its branch head exactly once per delivery
 * (`deliveries/{id}`, claimed in the recording transaction), and keeps `versions/{version}` in step
 * with the config. The rules (how a head moves, what a claim means) are the core's (core/intake.ts).
 *
 * The pushes of one branch are recorded in the branch's lane (batch-lanes.ts): one transaction at a
 * time per branch in an instance, and the pushes that arrived meanwhile together in the next one
 * (intake-batch.ts), applied in the order of their chain. The batch also sets the pending-plan
 * marks of the versions it moved (core/pending-plans.ts), so the push that hands the planning over
 * only queues the tasks: no separate write. Concurrent read-modify-write transactions
 * on one branch document would abort each other (Firestore, and far more so its emulator, retries
 * them after a second or more: docs/benchmarks.md); one per push would make a burst wait in line.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import { decideExistingClaim, RecordPushError } from '../../core/intake.js';
import type { IntakeStore, RecordPushResult } from '../../core/ports.js';
import type { BranchHead, PushEvent, VersionConfig } from '../../core/types.js';
import { isAlreadyExists } from '../grpc-codes.js';
import { BatchLanes, type Settled } from './batch-lanes.js';
import { branchHeadFromDoc, claimFromDoc } from './codec.js';
import {
  type ClaimDoc,
  claimDoc,
  commitDoc,
  IntakeBatch,
  type QueuedPush,
  VERSION_SWITCH_DEFAULTS,
} from './intake-batch.js';
import { branchRef, COLLECTIONS, deliveryRef, versionRef } from './refs.js';

export { DELIVERY_RETENTION_DAYS, VERSION_SWITCH_DEFAULTS } from './intake-batch.js';

/** Commits written inside the intake transaction; more are written just before it (Firestore caps a commit at 500 writes). */
export const MAX_COMMITS_IN_TRANSACTION = 400;

/** Pushes recorded in one transaction at most (each adds a claim read and a claim write). */
export const MAX_PUSHES_PER_BATCH = 50;

/** Whether `next` may be recorded in the same transaction as `batch`: within Firestore's 500 writes. */
function fitsInBatch(batch: readonly QueuedPush[], next: QueuedPush): boolean {
  if (batch.length >= MAX_PUSHES_PER_BATCH) return false;
  // A push with a held claim has its own transaction (its extra commits were written before it).
  if (next.claim.kind === 'held' || batch.some((item) => item.claim.kind === 'held')) return false;
  const commits = batch.reduce((sum, item) => sum + item.commits.length, 0) + next.commits.length;
  return commits <= MAX_COMMITS_IN_TRANSACTION;
}

/** The IntakeStore on Firestore. */
export class FirestoreIntakeStore implements IntakeStore {
  private readonly lanes = new BatchLanes<QueuedPush, RecordPushResult>({
    fits: fitsInBatch,
    run: (key, items) => this.recordBatch(key, items),
  });

  constructor(private readonly db: Firestore) {}

  async getBranchHead(repo: string, branch: string): Promise<BranchHead | null> {
    return branchHeadFromDoc(await branchRef(this.db, repo, branch).get());
  }

  async recordPush(
    push: PushEvent,
    branch: string,
    versions: string[],
    now: Date,
  ): Promise<RecordPushResult> {
    const key = branchRef(this.db, push.repo, branch).path;
    if (push.commits.length <= MAX_COMMITS_IN_TRANSACTION) {
      // The usual push: the recording transaction claims the delivery too, so there is no claim to
      // release on failure and one Firestore round trip less than claiming first.
      const claim = { kind: 'fresh', doc: claimDoc(push, branch, randomUUID(), now) } as const;
      return this.submit(key, { push, branch, versions, now, claim, commits: push.commits });
    }
    // Commits beyond one transaction are written before it: the claim, taken first, keeps a
    // redelivery from writing them at the same time and answers it "processing".
    const claimRef = deliveryRef(this.db, push.deliveryId);
    const claimToken = randomUUID();
    const duplicate = await this.claimDelivery(claimRef, claimDoc(push, branch, claimToken, now), now);
    if (duplicate) return duplicate;
    try {
      const commits = await this.writeOverflowCommits(push, branch, now);
      return await this.submit(key, {
        push,
        branch,
        versions,
        now,
        claim: { kind: 'held', claimToken },
        commits,
      });
    } catch (err) {
      // Release the claim so that a redelivery (GitHub's "Redeliver" button) can record the push.
      await this.releaseClaim(claimRef, claimToken).catch(() => {
        // The lease expires by itself; the original error is the one to report.
      });
      throw err;
    }
  }

  private submit(key: string, item: QueuedPush): Promise<RecordPushResult> {
    return this.lanes.submit(key, item);
  }

  /** Records a batch: each push's result, or the batch's failure for each. */
  private async recordBatch(_key: string, items: QueuedPush[]): Promise<Settled<RecordPushResult>[]> {
    try {
      const results = await new IntakeBatch(this.db, items).record();
      return items.map((item) => {
        const value = results.get(item);
        return value
          ? { ok: true, value }
          : { ok: false, error: new Error('the batch did not record this push') };
      });
    } catch (err) {
      const error = new RecordPushError(err);
      return items.map(() => ({ ok: false, error }));
    }
  }

  /** Claims the delivery id; returns a duplicate result when someone else has it. */
  private async claimDelivery(
    claimRef: DocumentReference,
    claim: ClaimDoc,
    now: Date,
  ): Promise<RecordPushResult | null> {
    try {
      // create() fails if the document exists: concurrent redeliveries race on it without a transaction.
      await claimRef.create(claim);
      return null;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return this.db.runTransaction(async (tx) => {
      const data = (await tx.get(claimRef)).data();
      if (!data) {
        tx.create(claimRef, claim);
        return null;
      }
      const decision = decideExistingClaim(claimFromDoc(data), now);
      if (decision.kind === 'duplicate') return decision;
      const { claimToken, claimedAt, leaseExpiresAt } = claim;
      tx.update(claimRef, { claimToken, claimedAt, leaseExpiresAt });
      return null;
    });
  }

  /**
   * Writes the commits that do not fit in the transaction first (idempotent: keyed by sha, same
   * content); returns the ones left for the transaction.
   */
  private async writeOverflowCommits(
    push: PushEvent,
    branch: string,
    now: Date,
  ): Promise<PushEvent['commits']> {
    const commitsRef = branchRef(this.db, push.repo, branch).collection(COLLECTIONS.commits);
    const overflow = push.commits.slice(0, Math.max(0, push.commits.length - MAX_COMMITS_IN_TRANSACTION));
    for (let start = 0; start < overflow.length; start += MAX_COMMITS_IN_TRANSACTION) {
      const batch = this.db.batch();
      for (const commit of overflow.slice(start, start + MAX_COMMITS_IN_TRANSACTION)) {
        batch.set(commitsRef.doc(commit.sha), commitDoc(push, branch, commit, now));
      }
      await batch.commit();
    }
    return push.commits.slice(overflow.length);
  }

  private async releaseClaim(claimRef: DocumentReference, claimToken: string): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const data = (await tx.get(claimRef)).data();
      if (data && data.claimToken === claimToken && data.status === 'processing') tx.delete(claimRef);
    });
  }

  async syncVersions(versions: VersionConfig[], now: Date): Promise<void> {
    const refs = versions.map((version) => versionRef(this.db, version.name));
    await this.db.runTransaction(async (tx) => {
      const snapshots = refs.length > 0 ? await tx.getAll(...refs) : [];
      versions.forEach((version, index) => {
        const ref = refs[index] as DocumentReference;
        const existing = snapshots[index]?.data();
        const config = {
          repo: version.repo,
          branch: version.branch,
          kfDefPath: version.kfDefPath,
          kfctlUrl: version.kfctlUrl,
          configPaused: version.paused,
          policy: version.policy,
        };
        if (existing && isDeepStrictEqual(existing.config, config)) return;
        // A document a push created has the switches already; one that exists keeps the operator's values.
        const switches = existing ? {} : VERSION_SWITCH_DEFAULTS;
        tx.set(ref, { name: version.name, ...switches, config, configSyncedAt: now }, { merge: true });
      });
    });
  }
}

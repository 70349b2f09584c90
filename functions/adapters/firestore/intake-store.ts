/**
 * The intake's store: records a push's commits and moves its branch head exactly once per delivery
 * (`deliveries/{id}`, claimed in the recording transaction), and keeps `versions/{version}` in step
 * with the config.
 * The rules (how a head moves, what a claim means) are the core's (core/intake.ts).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { DocumentData, DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import { advanceHead, decideExistingClaim, deliveryLeaseExpiry, RecordPushError } from '../../core/intake.js';
import type { IntakeStore, RecordPushResult } from '../../core/ports.js';
import { DAY_MS } from '../../core/time.js';
import type { BranchHead, PushEvent, VersionConfig } from '../../core/types.js';
import { isAlreadyExists } from '../grpc-codes.js';
import { branchHeadFromDoc, claimFromDoc } from './codec.js';
import { KeyLanes } from './key-lanes.js';
import { PlanHandOffs } from './plan-hand-offs.js';
import { branchRef, COLLECTIONS, deliveryRef, versionRef } from './refs.js';

/** How long a delivery claim is kept (a TTL policy on `expireAt` deletes it afterwards). */
export const DELIVERY_RETENTION_DAYS = 30;

/** Commits written inside the intake transaction; more are written just before it (Firestore caps a commit at 500 writes). */
export const MAX_COMMITS_IN_TRANSACTION = 400;

/** The operator fields every versions/{version} document holds from its creation (docs/data-model.md). */
export const VERSION_SWITCH_DEFAULTS = { paused: false, pausedReason: '', forceRedeploy: false } as const;

function commitDoc(push: PushEvent, branch: string, commit: PushEvent['commits'][number], now: Date) {
  return {
    sha: commit.sha,
    message: commit.message,
    author: commit.author,
    timestamp: commit.timestamp,
    url: commit.url,
    distinct: commit.distinct,
    repo: push.repo,
    branch,
    pusher: push.pusher,
    source: push.source,
    deliveryId: push.deliveryId,
    isHeadOfPush: commit.sha === push.after,
    recordedAt: now,
  };
}

/** A delivery claim as stored in `deliveries/{id}` (docs/data-model.md). */
function claimDoc(push: PushEvent, branch: string, claimToken: string, now: Date) {
  return {
    deliveryId: push.deliveryId,
    source: push.source,
    repo: push.repo,
    ref: push.ref,
    branch,
    before: push.before,
    after: push.after,
    status: 'processing',
    claimToken,
    claimedAt: now,
    leaseExpiresAt: deliveryLeaseExpiry(now),
    expireAt: new Date(now.getTime() + DELIVERY_RETENTION_DAYS * DAY_MS),
  };
}

type ClaimDoc = ReturnType<typeof claimDoc>;

/** The recording transaction's claim: taken before it (`held`), or taken by it (`fresh`). */
type OurClaim = { kind: 'held'; claimToken: string } | { kind: 'fresh'; doc: ClaimDoc };

/** The IntakeStore on Firestore. */
export class FirestoreIntakeStore implements IntakeStore {
  /** The pushes of one branch are recorded one after the other in this instance (key-lanes.ts). */
  private readonly branchLanes = new KeyLanes();
  /** Which webhook push of a branch hands the planning over (plan-hand-offs.ts). */
  private readonly handOffs = new PlanHandOffs();

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
    const claimRef = deliveryRef(this.db, push.deliveryId);
    const laneKey = branchRef(this.db, push.repo, branch).path;
    if (push.commits.length <= MAX_COMMITS_IN_TRANSACTION) {
      // The usual push: one transaction claims the delivery and records it, so there is no claim to
      // release on failure and one Firestore round trip less than claiming first.
      const claim: OurClaim = { kind: 'fresh', doc: claimDoc(push, branch, randomUUID(), now) };
      return this.recordInLane(laneKey, push, () =>
        this.recordClaimedPush(claimRef, claim, push, branch, versions, now),
      );
    }
    // Commits beyond one transaction are written before it: the claim, taken first, keeps a
    // redelivery from writing them at the same time and answers it "processing".
    const claimToken = randomUUID();
    const duplicate = await this.claimDelivery(claimRef, claimDoc(push, branch, claimToken, now), now);
    if (duplicate) return duplicate;
    try {
      return await this.recordInLane(laneKey, push, () =>
        this.recordClaimedPush(claimRef, { kind: 'held', claimToken }, push, branch, versions, now),
      );
    } catch (err) {
      // Release the claim so that a redelivery (GitHub's "Redeliver" button) can record the push.
      await this.releaseClaim(claimRef, claimToken).catch(() => {
        // The lease expires by itself; the original error is the one to report.
      });
      throw err;
    }
  }

  /**
   * Records in the branch's lane; a webhook push also learns whether it hands the planning over
   * (`planHead`, plan-hand-offs.ts), and a failed one what a run left to it (RecordPushError.planHead).
   */
  private recordInLane(
    key: string,
    push: PushEvent,
    record: () => Promise<RecordPushResult>,
  ): Promise<RecordPushResult> {
    if (push.source !== 'webhook') return this.branchLanes.run(key, record);
    this.handOffs.enqueued(key);
    return this.branchLanes.run(key, async () => {
      this.handOffs.started(key);
      let result: RecordPushResult;
      try {
        result = await record();
      } catch (err) {
        throw new RecordPushError(err, this.handOffs.finished(key, null));
      }
      const moved = result.kind === 'recorded' && result.head.isMoved ? result.head.head.sha : null;
      return { ...result, planHead: this.handOffs.finished(key, moved) };
    });
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

  /** Writes the commits that do not fit in the transaction first: idempotent (keyed by sha, same content). */
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

  /** Null when this push may record (the claim is ours, or free, or taken over), else the duplicate. */
  private claimCheck(data: DocumentData | undefined, claim: OurClaim, now: Date): RecordPushResult | null {
    if (claim.kind === 'held') {
      if (data && data.claimToken === claim.claimToken) return null;
      // Our lease expired and a redelivery took the claim over: it records the push.
      return { kind: 'duplicate', status: data?.status === 'recorded' ? 'recorded' : 'processing' };
    }
    if (!data) return null;
    const decision = decideExistingClaim(claimFromDoc(data), now);
    return decision.kind === 'duplicate' ? decision : null;
  }

  private async recordClaimedPush(
    claimRef: DocumentReference,
    ourClaim: OurClaim,
    push: PushEvent,
    branch: string,
    versions: string[],
    now: Date,
  ): Promise<RecordPushResult> {
    const headRef = branchRef(this.db, push.repo, branch);
    const commitsRef = headRef.collection(COLLECTIONS.commits);
    const inTransaction = await this.writeOverflowCommits(push, branch, now);
    const versionRefs = versions.map((version) => versionRef(this.db, version));

    return this.db.runTransaction(async (tx: Transaction): Promise<RecordPushResult> => {
      const [claimSnapshot, headSnapshot, ...versionSnapshots] = await tx.getAll(
        claimRef,
        headRef,
        ...versionRefs,
      );
      const duplicate = this.claimCheck(claimSnapshot?.data(), ourClaim, now);
      if (duplicate) return duplicate;
      const decision = advanceHead(headSnapshot ? branchHeadFromDoc(headSnapshot) : null, push, branch, now);
      for (const commit of inTransaction) {
        tx.set(commitsRef.doc(commit.sha), commitDoc(push, branch, commit, now));
      }
      if (decision.isMoved) {
        // Merged: the poll's ETag (`poll`) on the same document is kept.
        tx.set(headRef, { ...decision.head, versions }, { merge: true });
        const branchHead = {
          sha: decision.head.sha,
          deleted: decision.head.deleted,
          updatedAt: now,
          source: push.source,
        };
        versions.forEach((version, index) => {
          // A push may come before the first tick: the operator's switches exist from the start.
          const defaults = versionSnapshots[index]?.exists
            ? {}
            : { name: version, ...VERSION_SWITCH_DEFAULTS };
          tx.set(versionRefs[index] as DocumentReference, { ...defaults, branchHead }, { merge: true });
        });
      }
      const recorded = {
        status: 'recorded',
        recordedAt: now,
        headOutcome: decision.outcome,
        commitCount: push.commits.length,
        versions,
      };
      // A fresh claim is written whole (created, or replacing one whose holder died); a held one updated.
      if (ourClaim.kind === 'fresh') tx.set(claimRef, { ...ourClaim.doc, ...recorded });
      else tx.update(claimRef, recorded);
      return { kind: 'recorded', head: decision, commitsRecorded: push.commits.length };
    });
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

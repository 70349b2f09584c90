/**
 * One transaction that records a batch of pushes to one branch (intake-store.ts queues them): it reads
 * the branch head, the versions that follow the branch and every push's delivery claim, applies the
 * pushes in the order of their chain (core/intake.ts `advanceHeadForBatch`), and writes each push's commits and claim, and the head the batch ends on, together. The
 * rules are the core's; this file only reads and writes.
 */
import type { DocumentData, DocumentReference, Firestore, Transaction } from '@google-cloud/firestore';
import {
  advanceHeadForBatch,
  decideExistingClaim,
  deliveryLeaseExpiry,
  type HeadDecision,
} from '../../core/intake.js';
import { decidePendingPlan, type PendingPlanMark, type PlanMark } from '../../core/pending-plans.js';
import type { RecordPushResult } from '../../core/ports.js';
import { DAY_MS } from '../../core/time.js';
import type { BranchHead, PushEvent } from '../../core/types.js';
import { branchHeadFromDoc, claimFromDoc } from './codec.js';
import { markFromDoc, pendingPlanRef } from './pending-plan-store.js';
import { branchRef, COLLECTIONS, deliveryRef, versionRef } from './refs.js';

/** How long a delivery claim is kept (a TTL policy on `expireAt` deletes it afterwards). */
export const DELIVERY_RETENTION_DAYS = 30;

/** The operator fields every versions/{version} document holds from its creation (docs/data-model.md). */
export const VERSION_SWITCH_DEFAULTS = { paused: false, pausedReason: '', forceRedeploy: false } as const;

export function commitDoc(push: PushEvent, branch: string, commit: PushEvent['commits'][number], now: Date) {
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
export function claimDoc(push: PushEvent, branch: string, claimToken: string, now: Date) {
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

export type ClaimDoc = ReturnType<typeof claimDoc>;

/** The recording transaction's claim: taken before it (`held`), or taken by it (`fresh`). */
export type OurClaim = { kind: 'held'; claimToken: string } | { kind: 'fresh'; doc: ClaimDoc };

/** One push waiting to be recorded. */
export interface QueuedPush {
  push: PushEvent;
  branch: string;
  versions: string[];
  now: Date;
  claim: OurClaim;
  /** The commits written in the transaction (the others were written before it). */
  commits: PushEvent['commits'];
}

/** Null when this push may record (the claim is ours, or free, or taken over), else the duplicate. */
function claimCheck(data: DocumentData | undefined, claim: OurClaim, now: Date): RecordPushResult | null {
  if (claim.kind === 'held') {
    if (data && data.claimToken === claim.claimToken) return null;
    // Our lease expired and a redelivery took the claim over: it records the push.
    return { kind: 'duplicate', status: data?.status === 'recorded' ? 'recorded' : 'processing' };
  }
  if (!data) return null;
  const decision = decideExistingClaim(claimFromDoc(data), now);
  return decision.kind === 'duplicate' ? decision : null;
}

/** What the batch's reads returned. */
interface BatchReads {
  head: BranchHead | null;
  versionExists: boolean[];
  claims: Map<string, DocumentData | undefined>;
  /** Per version (as `versions`), its pending-plan mark, or null. */
  marks: Array<PendingPlanMark | null>;
}

const isWebhook = (item: QueuedPush) => item.push.source === 'webhook';

export class IntakeBatch {
  private readonly headRef: DocumentReference;
  private readonly versions: string[];
  private readonly branch: string;

  constructor(
    private readonly db: Firestore,
    private readonly items: readonly QueuedPush[],
  ) {
    const first = items[0] as QueuedPush;
    this.branch = first.branch;
    this.headRef = branchRef(db, first.push.repo, first.branch);
    this.versions = [...new Set(items.flatMap((item) => item.versions))];
  }

  /** Records the batch in one transaction; the result of each item, by item. */
  record(): Promise<Map<QueuedPush, RecordPushResult>> {
    return this.db.runTransaction((tx) => this.apply(tx));
  }

  private async read(tx: Transaction): Promise<BatchReads> {
    const deliveryIds = [...new Set(this.items.map((item) => item.push.deliveryId))];
    const count = this.versions.length;
    const snapshots = await tx.getAll(
      this.headRef,
      ...this.versions.map((version) => versionRef(this.db, version)),
      ...this.versions.map((version) => pendingPlanRef(this.db, version)),
      ...deliveryIds.map((id) => deliveryRef(this.db, id)),
    );
    const headSnapshot = snapshots[0];
    const versionSnapshots = snapshots.slice(1, 1 + count);
    const markSnapshots = snapshots.slice(1 + count, 1 + 2 * count);
    const claimSnapshots = snapshots.slice(1 + 2 * count);
    return {
      head: headSnapshot?.exists ? branchHeadFromDoc(headSnapshot) : null,
      versionExists: versionSnapshots.map((snapshot) => snapshot.exists),
      claims: new Map(deliveryIds.map((id, index) => [id, claimSnapshots[index]?.data()])),
      marks: markSnapshots.map((snapshot) => markFromDoc(snapshot.data())),
    };
  }

  private async apply(tx: Transaction): Promise<Map<QueuedPush, RecordPushResult>> {
    const reads = await this.read(tx);
    const { results, recording } = this.sortOutDuplicates(reads);
    let lastMove: { decision: HeadDecision; item: QueuedPush } | null = null;
    let lastWebhookMove: QueuedPush | null = null;
    for (const { item, decision } of advanceHeadForBatch(reads.head, recording, this.branch)) {
      if (decision.isMoved) lastMove = { decision, item };
      if (decision.isMoved && isWebhook(item)) lastWebhookMove = item;
      this.writePush(tx, item, decision);
      results.set(item, { kind: 'recorded', head: decision, commitsRecorded: item.push.commits.length });
    }
    // The webhook's pushes hand the planning over (one per batch, the last that moved the head; the
    // others nothing); the poll plans by itself.
    for (const item of this.items.filter(isWebhook)) {
      results.set(item, { ...(results.get(item) as RecordPushResult), handOff: null });
    }
    if (lastMove) {
      this.writeHead(tx, lastMove.decision, lastMove.item, reads.versionExists);
      if (lastWebhookMove) {
        const marked = this.mark(tx, reads.marks, lastWebhookMove.now);
        const handOff = { head: lastMove.decision.head.sha, marked };
        results.set(lastWebhookMove, { ...(results.get(lastWebhookMove) as RecordPushResult), handOff });
      }
    }
    return results;
  }

  /** The duplicates' results (a claim does not depend on the head), and the pushes left to record. */
  private sortOutDuplicates(reads: BatchReads): {
    results: Map<QueuedPush, RecordPushResult>;
    recording: QueuedPush[];
  } {
    const results = new Map<QueuedPush, RecordPushResult>();
    const recordedIds = new Set<string>();
    const recording: QueuedPush[] = [];
    for (const item of this.items) {
      const { deliveryId } = item.push;
      // A second copy of a delivery in the same batch: the first copy records it in this commit.
      const duplicate = recordedIds.has(deliveryId)
        ? ({ kind: 'duplicate', status: 'recorded' } as const)
        : claimCheck(reads.claims.get(deliveryId), item.claim, item.now);
      if (duplicate) results.set(item, duplicate);
      else {
        recordedIds.add(deliveryId);
        recording.push(item);
      }
    }
    return { results, recording };
  }

  /**
   * Sets the pending-plan mark of each version that has none (or a stale one), in the recording's
   * commit (core/pending-plans.ts): those are the plan tasks the push hands over; a version whose mark
   * is set has a task waiting, which will read the head this batch records.
   */
  private mark(tx: Transaction, marks: Array<PendingPlanMark | null>, now: Date): PlanMark[] {
    const marked: PlanMark[] = [];
    this.versions.forEach((version, index) => {
      if (decidePendingPlan(marks[index] ?? null, now).kind === 'covered') return;
      tx.set(pendingPlanRef(this.db, version), { version, markedAt: now });
      marked.push({ version, markedAt: now });
    });
    return marked;
  }

  private writePush(tx: Transaction, item: QueuedPush, decision: HeadDecision): void {
    const { push, branch, now, claim } = item;
    const commitsRef = this.headRef.collection(COLLECTIONS.commits);
    for (const commit of item.commits) {
      tx.set(commitsRef.doc(commit.sha), commitDoc(push, branch, commit, now));
    }
    const recorded = {
      status: 'recorded',
      recordedAt: now,
      headOutcome: decision.outcome,
      commitCount: push.commits.length,
      versions: item.versions,
    };
    const ref = deliveryRef(this.db, push.deliveryId);
    // A fresh claim is written whole (created, or replacing one whose holder died); a held one updated.
    if (claim.kind === 'fresh') tx.set(ref, { ...claim.doc, ...recorded });
    else tx.update(ref, recorded);
  }

  /** The head the batch ends on, on the branch and on each version that follows it. */
  private writeHead(
    tx: Transaction,
    decision: HeadDecision,
    item: QueuedPush,
    versionExists: boolean[],
  ): void {
    // Merged: the poll's ETag (`poll`) on the same document is kept.
    tx.set(this.headRef, { ...decision.head, versions: this.versions }, { merge: true });
    const branchHead = {
      sha: decision.head.sha,
      deleted: decision.head.deleted,
      updatedAt: item.now,
      source: item.push.source,
    };
    this.versions.forEach((version, index) => {
      // A push may come before the first tick: the operator's switches exist from the start.
      const defaults = versionExists[index] ? {} : { name: version, ...VERSION_SWITCH_DEFAULTS };
      tx.set(versionRef(this.db, version), { ...defaults, branchHead }, { merge: true });
    });
  }
}

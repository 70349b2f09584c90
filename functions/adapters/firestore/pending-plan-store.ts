/**
 * `pendingPlans/{version}`: the mark "a plan task of this version is waiting" (core/pending-plans.ts,
 * docs/data-model.md). The webhook's hand-off sets it; the plan task clears it before it reads the head.
 *
 * Cheap under a burst, where most hand-offs find the mark set: setting it is one `create()` (fails at
 * once if the mark exists, no transaction, no lock); a hand-off that finds it reads it once (a plain
 * read) and is covered unless it is stale; only a stale mark is replaced, in a transaction that reads
 * it again so that two hand-offs cannot both replace it.
 */
import type { DocumentData, DocumentReference, Firestore } from '@google-cloud/firestore';
import type { PendingPlanClaim, PendingPlanMark, PendingPlanStore } from '../../core/pending-plans.js';
import { decidePendingPlan } from '../../core/pending-plans.js';
import { isAlreadyExists } from '../grpc-codes.js';
import { toDate } from './codec.js';

/** The collection of the marks, one document per version, id the version name. */
export const PENDING_PLANS_COLLECTION = 'pendingPlans';

/** The mark document of `version`. */
export function pendingPlanRef(db: Firestore, version: string): DocumentReference {
  return db.collection(PENDING_PLANS_COLLECTION).doc(version);
}

/** A stored mark, or null (none, or unreadable: treated as none). */
export function markFromDoc(data: DocumentData | undefined): PendingPlanMark | null {
  const markedAt = data ? toDate(data.markedAt) : null;
  return markedAt ? { markedAt } : null;
}

/** A mark cleared and set again between our create and our read this many times: queue a task anyway. */
const MAX_ATTEMPTS = 3;

export class FirestorePendingPlanStore implements PendingPlanStore {
  constructor(private readonly db: Firestore) {}

  private ref(version: string): DocumentReference {
    return pendingPlanRef(this.db, version);
  }

  async markPending(version: string, now: Date): Promise<PendingPlanClaim> {
    const ref = this.ref(version);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await this.createMark(ref, version, now)) return { kind: 'marked', markedAt: now };
      const claim = await this.readOrReplace(ref, version, now);
      if (claim) return claim;
    }
    // The mark keeps being cleared and set under us: an extra plan task costs a plan pass, never a push.
    return { kind: 'marked', markedAt: now };
  }

  async clearPending(version: string): Promise<void> {
    await this.ref(version).delete();
  }

  /** True when this call created the mark; false when one exists. */
  private async createMark(ref: DocumentReference, version: string, now: Date): Promise<boolean> {
    try {
      await ref.create({ version, markedAt: now });
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  /** The existing mark covers the push, or (stale) is replaced by ours; null when it was cleared meanwhile. */
  private async readOrReplace(
    ref: DocumentReference,
    version: string,
    now: Date,
  ): Promise<PendingPlanClaim | null> {
    const snapshot = await ref.get();
    if (!snapshot.exists) return null;
    const decision = decidePendingPlan({ markedAt: toDate(snapshot.get('markedAt')) ?? new Date(0) }, now);
    if (decision.kind === 'covered') return decision;
    return this.db.runTransaction(async (tx) => {
      const current = await tx.get(ref);
      const markedAt = current.exists ? toDate(current.get('markedAt')) : null;
      const again = decidePendingPlan(markedAt ? { markedAt } : null, now);
      if (again.kind === 'covered') return again;
      tx.set(ref, { version, markedAt: now });
      return { kind: 'marked', markedAt: now };
    });
  }
}

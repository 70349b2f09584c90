/**
 * Coalescing the plan tasks of a version: a version has at most one plan task waiting at a time, and
 * that task covers every head recorded before it runs.
 *
 * A per-version mark (`pendingPlans/{version}`, docs/data-model.md) says "a plan task of this version
 * is waiting". The webhook's recording of a push sets the mark in its own transaction when none is
 * set (or the one set is stale), and the push then queues the task; it queues nothing otherwise (a
 * store that does not mark while recording leaves it to the hand-off: `markPending`). The plan task clears the mark
 * BEFORE it reads the head. So a push recorded after the clear sets a new mark and queues a new task,
 * and a push whose hand-off found the mark set was recorded before the clear, so the task's read sees
 * it. A mark whose task was lost (the process died between the mark and the enqueue) turns stale
 * after `PENDING_PLAN_STALE_MS` and is replaced; until then the tick's plan pass is the safety net.
 *
 * The rule (`decidePendingPlan`) and the port the marks are stored through (`PendingPlanStore`).
 */

/** After this long a mark no longer holds hand-offs back: its task may have been lost. */
export const PENDING_PLAN_STALE_MS = 60_000;

/** The mark of a version whose plan task is waiting. */
export interface PendingPlanMark {
  markedAt: Date;
}

/** A version's pending-plan mark set at `markedAt` (it names the version's plan task). */
export interface PlanMark {
  version: string;
  markedAt: Date;
}

/** What a recorded push hands over: the head to plan and the marks its recording set (none: covered). */
export interface PlanHandOff {
  head: string;
  marked: PlanMark[];
}

/** What a hand-off does: queue a task (and set the mark), or leave the push to the waiting task. */
export type PendingPlanDecision =
  | { kind: 'enqueue'; reason: 'none-pending' | 'pending-stale' }
  | { kind: 'covered'; markedAt: Date };

/**
 * The hand-off's rule, from the version's mark (null: none) and `now`. A mark set more than
 * `staleAfterMs` away from `now`, either way (the clock may have jumped back), is stale.
 */
export function decidePendingPlan(
  mark: PendingPlanMark | null,
  now: Date,
  staleAfterMs: number = PENDING_PLAN_STALE_MS,
): PendingPlanDecision {
  if (mark === null) return { kind: 'enqueue', reason: 'none-pending' };
  const ageMs = now.getTime() - mark.markedAt.getTime();
  if (Math.abs(ageMs) > staleAfterMs) return { kind: 'enqueue', reason: 'pending-stale' };
  return { kind: 'covered', markedAt: mark.markedAt };
}

/** What a hand-off got from the version's pending-plan mark (core/pending-plans.ts). */
export type PendingPlanClaim =
  /** The mark is now this hand-off's, set at `markedAt`: it queues the plan task. */
  | { kind: 'marked'; markedAt: Date }
  /** A plan task set at `markedAt` is waiting and will read the head this push recorded. */
  | { kind: 'covered'; markedAt: Date };

/** The per-version "a plan task is waiting" marks: set by the webhook's hand-off, cleared by the task. */
export interface PendingPlanStore {
  /** Sets the version's mark unless a fresh one is set (then `covered`). */
  markPending(version: string, now: Date): Promise<PendingPlanClaim>;
  /** Clears the version's mark (a plan task does it before it reads the head; idempotent). */
  clearPending(version: string): Promise<void>;
}

/**
 * Commit intake rules: which pushes matter, how a branch head moves, and how a
 * webhook delivery is claimed exactly once. Pure: plain data and `now` in, decisions out.
 */
import { branchFromRef, isSameRepo, ZERO_SHA } from './names.js';
import type { BranchHead, PushEvent, VersionConfig } from './types.js';

/** How many superseded shas a branch head remembers to recognise late deliveries. */
export const RECENT_SHAS_LIMIT = 50;

/** How long a claimed delivery stays claimed before a redelivery may take it over. */
export const DELIVERY_LEASE_SECONDS = 60;

export type IntakePlan =
  | { kind: 'ignore'; reason: 'tag' | 'not-a-branch' | 'unfollowed-branch' }
  | { kind: 'record'; branch: string; versions: string[] };

/** Decides whether a push concerns a followed branch, and which versions follow it. */
export function planPushIntake(push: Pick<PushEvent, 'repo' | 'ref'>, versions: VersionConfig[]): IntakePlan {
  if (push.ref.startsWith('refs/tags/')) return { kind: 'ignore', reason: 'tag' };
  const branch = branchFromRef(push.ref);
  if (branch === null) return { kind: 'ignore', reason: 'not-a-branch' };
  const followers = versions
    .filter((version) => version.branch === branch && isSameRepo(version.repo, push.repo))
    .map((version) => version.name);
  if (followers.length === 0) return { kind: 'ignore', reason: 'unfollowed-branch' };
  return { kind: 'record', branch, versions: followers };
}

export type HeadOutcome =
  /** No head was recorded yet. */
  | 'created'
  /** The push started from the recorded head. */
  | 'advanced'
  /** The push started elsewhere but is newer than the recorded head (a delivery in between is late or lost). */
  | 'advanced-out-of-order'
  /** The push's result is already the head. */
  | 'already-current'
  /** The push is older than the recorded head: the head does not move backwards. */
  | 'stale';

export interface HeadDecision {
  outcome: HeadOutcome;
  /** True when `head` differs from the current record and must be written. */
  isMoved: boolean;
  head: BranchHead;
}

function pushedAtOrder(push: PushEvent, current: BranchHead): number {
  if (push.pushedAt === null || current.pushedAt === null) return push.pushedAt === null ? -1 : 1;
  return push.pushedAt.getTime() - current.pushedAt.getTime();
}

function remember(shas: Array<string | null>, previous: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const sha of [...shas, ...previous]) {
    if (sha && sha !== ZERO_SHA && !seen.has(sha)) {
      seen.add(sha);
      out.push(sha);
    }
  }
  return out.slice(0, RECENT_SHAS_LIMIT);
}

/**
 * Moves a branch head for a push, never backwards.
 *
 * - No record yet: the push sets it.
 * - The push ends where the head is: nothing changes.
 * - The push starts from the recorded head (`before` = head): it moves, forced or not, deletion included.
 * - The push ends at a commit the head has already moved past (`recentShas`): stale, ignored.
 * - The push (not forced) starts from such a commit and was pushed no later than the head: stale.
 * - Otherwise a delivery in between is missing; the push moves the head only if GitHub pushed it
 *   no earlier than the recorded head (`pushedAt`); a push without `pushedAt` never overtakes one with it.
 */
export function advanceHead(
  current: BranchHead | null,
  push: PushEvent,
  branch: string,
  now: Date,
): HeadDecision {
  const next = (outcome: HeadOutcome): HeadDecision => {
    const deleted = push.deleted || push.after === ZERO_SHA;
    return {
      outcome,
      isMoved: true,
      head: {
        repo: push.repo,
        branch,
        sha: deleted ? push.before : push.after,
        deleted,
        updatedAt: now,
        pushedAt: push.pushedAt,
        forced: push.forced,
        source: push.source,
        deliveryId: push.deliveryId,
        recentShas: remember(
          [deleted ? null : push.before, current?.sha ?? null],
          current?.recentShas ?? [],
        ).filter((sha) => sha !== (deleted ? push.before : push.after)),
      },
    };
  };
  if (current === null) return next('created');
  const isDeletion = push.deleted || push.after === ZERO_SHA;
  const decided = isDeletion ? decideDeletion(current, push) : decideMove(current, push);
  if (decided)
    return decided.isMoved
      ? next(decided.outcome)
      : { outcome: decided.outcome, isMoved: false, head: current };
  if (pushedAtOrder(push, current) < 0) return { outcome: 'stale', isMoved: false, head: current };
  return next(push.created && current.deleted ? 'advanced' : 'advanced-out-of-order');
}

/** What a push decides by itself about the recorded head; null: order the two by `pushedAt`. */
type Decided = { outcome: HeadOutcome; isMoved: boolean } | null;

function decideDeletion(current: BranchHead, push: PushEvent): Decided {
  if (current.deleted) return { outcome: 'already-current', isMoved: false };
  if (push.before === current.sha) return { outcome: 'advanced', isMoved: true };
  return null;
}

function decideMove(current: BranchHead, push: PushEvent): Decided {
  if (!current.deleted && push.after === current.sha) return { outcome: 'already-current', isMoved: false };
  // Checked before `recentShas` so that a forced push back to an older commit still moves the head.
  if (!current.deleted && push.before === current.sha) return { outcome: 'advanced', isMoved: true };
  // A branch re-created after its deletion may point at a commit it had before: order by pushedAt only.
  if (current.deleted && push.created) {
    return pushedAtOrder(push, current) < 0
      ? { outcome: 'stale', isMoved: false }
      : { outcome: 'advanced', isMoved: true };
  }
  if (current.recentShas.includes(push.after)) return { outcome: 'stale', isMoved: false };
  // A push from a commit the head has moved past, pushed no later than the head: it was overtaken by
  // a later delivery (pushedAt counts whole seconds, so pushes of one second tie). Unless forced.
  if (!push.forced && current.recentShas.includes(push.before) && pushedAtOrder(push, current) <= 0) {
    return { outcome: 'stale', isMoved: false };
  }
  return null;
}

/** A claim on one webhook delivery, as stored. */
export interface DeliveryClaim {
  status: 'processing' | 'recorded';
  claimToken: string;
  leaseExpiresAt: Date;
}

export type ClaimDecision =
  /** The delivery was fully recorded before: answer success, change nothing. */
  | { kind: 'duplicate'; status: 'recorded' }
  /** Another request holds a live claim on it: answer success, it will finish. */
  | { kind: 'duplicate'; status: 'processing' }
  /** A claim whose holder died (lease expired): take it over. */
  | { kind: 'take-over' };

/** What to do when a delivery id is already claimed. */
export function decideExistingClaim(existing: DeliveryClaim, now: Date): ClaimDecision {
  if (existing.status === 'recorded') return { kind: 'duplicate', status: 'recorded' };
  if (existing.leaseExpiresAt.getTime() > now.getTime()) return { kind: 'duplicate', status: 'processing' };
  return { kind: 'take-over' };
}

/** When a claim taken at `now` stops protecting its holder. */
export function deliveryLeaseExpiry(now: Date): Date {
  return new Date(now.getTime() + DELIVERY_LEASE_SECONDS * 1000);
}

/**
 * A push that could not be recorded (the store's error is the cause); `planHead` as in
 * RecordPushResult: a head an earlier push of the branch left to this one to hand over.
 */
export class RecordPushError extends Error {
  override readonly name = 'RecordPushError';
  constructor(
    cause: unknown,
    readonly planHead: string | null,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

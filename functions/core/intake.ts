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
        // Written every time (false included): the document is merged, so an absent field would stay.
        inDoubt: outcome === 'advanced-out-of-order',
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

/**
 * The order in which to apply pushes of one branch recorded together (arrival order given): a push
 * that starts where another ends (`before` = the other's `after`) comes after that one; otherwise they
 * keep their arrival order, except that the piece of chain starting from `startSha` (the recorded
 * head) comes first. Deliveries of one branch overtake each other under load, and GitHub's `pushed_at` (whole
 * seconds) cannot order pushes of one second; their chain can. A cycle is cut where it is entered.
 */
export function chainOrder<T extends Pick<PushEvent, 'before' | 'after'>>(
  pushes: readonly T[],
  startSha: string | null = null,
): T[] {
  const byAfter = new Map<string, number[]>();
  pushes.forEach((push, index) => {
    byAfter.set(push.after, [...(byAfter.get(push.after) ?? []), index]);
  });
  const placed = new Set<number>();
  const ordered: T[] = [];
  const place = (index: number, visiting: Set<number>): void => {
    if (placed.has(index) || visiting.has(index)) return;
    visiting.add(index);
    const push = pushes[index] as T;
    const previous =
      push.before === startSha
        ? undefined
        : (byAfter.get(push.before) ?? []).find((other) => other !== index && !placed.has(other));
    if (previous !== undefined) place(previous, visiting);
    placed.add(index);
    ordered.push(push);
  };
  // The piece of chain that starts from the head first, followed forwards: it is the oldest.
  let next = pushes.findIndex((push) => push.before === startSha);
  while (next !== -1 && !placed.has(next)) {
    place(next, new Set());
    const after = (pushes[next] as T).after;
    next = pushes.findIndex((push, index) => push.before === after && !placed.has(index));
  }
  for (const index of pushes.keys()) place(index, new Set());
  return ordered;
}

/** Per push (in chain order): the `after` of every push of the batch that chains after it. */
function laterAfters<T extends Pick<PushEvent, 'before' | 'after'>>(
  ordered: readonly T[],
): Map<T, Set<string>> {
  const later = new Map<T, Set<string>>();
  for (const push of [...ordered].reverse()) {
    const shas = new Set<string>();
    for (const next of ordered) {
      if (next === push || next.before !== push.after) continue;
      shas.add(next.after);
      for (const sha of later.get(next) ?? []) shas.add(sha);
    }
    later.set(push, shas);
  }
  return later;
}

/** One push of a batch: the push and the time it was received. */
export interface BatchedPush {
  push: PushEvent;
  now: Date;
}

/**
 * Moves a branch head for a batch of pushes recorded together: in chain order (`chainOrder`), each by
 * `advanceHead`, except that a push whose successor in the batch ends at the head or at a commit the
 * head has moved past is stale (the batch shows it is older than the head even when `pushed_at` ties),
 * unless it starts from the head or is forced. Returns every item with its decision, in the order
 * applied; the last moved decision holds the head to record.
 */
export function advanceHeadForBatch<T extends BatchedPush>(
  current: BranchHead | null,
  items: readonly T[],
  branch: string,
): Array<{ item: T; decision: HeadDecision }> {
  const entries = items.map((item) => ({ before: item.push.before, after: item.push.after, item }));
  const ordered = chainOrder(entries, current && !current.deleted ? current.sha : null);
  const later = laterAfters(ordered);
  let head = current;
  return ordered.map((entry) => {
    const { push, now } = entry.item;
    let decision = advanceHead(head, push, branch, now);
    if (decision.outcome === 'advanced-out-of-order' && head && !push.forced) {
      const known = new Set([head.sha, ...head.recentShas]);
      if ([...(later.get(entry) ?? [])].some((sha) => known.has(sha))) {
        decision = { outcome: 'stale', isMoved: false, head };
      }
    }
    if (decision.isMoved) head = decision.head;
    return { item: entry.item, decision };
  });
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

/** A push that could not be recorded (the store's error is the cause). */
export class RecordPushError extends Error {
  override readonly name = 'RecordPushError';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

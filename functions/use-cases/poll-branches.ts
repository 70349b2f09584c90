/**
 * Tick step 1, the poll fallback: reads each followed branch's head from GitHub (a conditional request)
 * and records a new one exactly as the webhook does (source `poll`), because GitHub never retries a
 * failed delivery. What an answer means is the core's (core/poll.ts).
 */
import { type BranchToPoll, branchesToPoll, conditionalEtag, decidePoll } from '../core/poll.js';
import type { Clock, CommitSource, IntakeStore, PollStore } from '../core/ports.js';
import type { VersionConfig } from '../core/types.js';
import { describeError, type Logger } from '../log.js';
import { forEachConcurrently } from './concurrently.js';

export interface PollBranchesDeps {
  versions: VersionConfig[];
  /** Null: the poll fallback is off. */
  commits: CommitSource | null;
  pollStore: PollStore;
  intake: IntakeStore;
  clock: Clock;
  logger: Logger;
}

/** What the poll did: `ok` false when GitHub could not tell about some branch (the tick then answers 500). */
export interface PollReport {
  ok: boolean;
  /** Why nothing was polled, when the poll is off. */
  skipped?: string;
  /** How many branches were polled. */
  branches: number;
  /** Branches (`owner:repo:branch`) whose new head or deletion was recorded. */
  recorded: string[];
  /** Branches GitHub could not tell about (kept as recorded), or whose poll task could not be queued. */
  failed: string[];
  /** Fanned out: how many branches got a poll task (the worker polls them; `recorded` stays empty). */
  fannedOut?: number;
  /** Fanned out: the poll tasks since the last tick that could not ask GitHub (their heads are kept). */
  taskFailures?: Array<{ key: string; error: string }>;
  /** Fanned out: why the poll tasks of `failed` could not be queued (the queue's first error). */
  queueError?: string;
  /** The failures in words, when some. */
  error?: string;
}

/** Branches polled at once by one tick (each a Firestore read and a GitHub request). */
export const POLL_CONCURRENCY = 8;

/** Reads what is recorded, asks GitHub (with the ETag, when `isConditional`) and decides what it means. */
async function askGitHub(
  deps: PollBranchesDeps,
  commits: CommitSource,
  target: BranchToPoll,
  isConditional: boolean,
) {
  const state = await deps.pollStore.readPollState(target.repo, target.branch);
  const etag = isConditional ? conditionalEtag(state) : null;
  const polled = await commits.fetchBranchHead(target.repo, target.branch, etag);
  const now = deps.clock();
  return { state, now, decision: decidePoll(target, state, polled, now) };
}

/** Remembers GitHub's ETag with the head it answered (a head, not a deletion or a 304). */
async function rememberAnswer(
  deps: PollBranchesDeps,
  target: BranchToPoll,
  answered: Awaited<ReturnType<typeof askGitHub>>,
): Promise<void> {
  const { decision, state, now } = answered;
  if (decision.kind !== 'moved' && decision.kind !== 'same') return;
  const sha = decision.kind === 'moved' ? decision.push.after : (state.sha as string);
  await deps.pollStore.writePollState(target.repo, target.branch, { etag: decision.etag, sha }, now);
}

/** Polls one branch and records what GitHub's answer means; true when a head or deletion was recorded. */
export async function pollBranch(
  deps: PollBranchesDeps,
  commits: CommitSource,
  target: BranchToPoll,
): Promise<boolean> {
  const { intake } = deps;
  const { repo, branch, versions } = target;
  const answered = await askGitHub(deps, commits, target, true);
  const { decision, now } = answered;
  if (decision.kind === 'unchanged') return false;
  if (decision.kind !== 'same') {
    const result = await intake.recordPush(decision.push, branch, versions, now);
    const log = deps.logger.child({ repo, branch, version: versions.join(',') });
    if (decision.kind === 'deleted') log.warn('poll found the branch deleted', { outcome: result.kind });
    else log.info('poll recorded a new head', { commit: decision.push.after, outcome: result.kind });
  }
  await rememberAnswer(deps, target, answered);
  return decision.kind !== 'same';
}

/**
 * Asks GitHub about a branch whose recorded head is in doubt (`BranchHead.inDoubt`: a push moved it
 * out of order), unconditionally (GitHub's head is compared with the recorded one, not with the last
 * answer): a different head is recorded as the poll records one (that move clears the doubt); the
 * same one is confirmed. True when a head or a deletion was recorded. Throws when GitHub cannot tell.
 */
export async function verifyBranchHead(
  deps: PollBranchesDeps,
  commits: CommitSource,
  target: BranchToPoll,
): Promise<boolean> {
  const { repo, branch, versions } = target;
  const answered = await askGitHub(deps, commits, target, false);
  const { decision, state, now } = answered;
  const log = deps.logger.child({ repo, branch, version: versions.join(',') });
  await rememberAnswer(deps, target, answered);
  if (decision.kind === 'same' || decision.kind === 'unchanged') {
    if (state.sha !== null) await deps.pollStore.confirmHead(repo, branch, state.sha);
    log.info('GitHub confirmed a head recorded out of order', { commit: state.sha });
    return false;
  }
  const result = await deps.intake.recordPush(decision.push, branch, versions, now);
  log.warn('GitHub corrected a head recorded out of order', {
    commit: decision.push.after,
    outcome: result.kind,
  });
  return true;
}

/**
 * Polls every followed branch. A branch GitHub cannot tell about (unreachable, rate-limited) is logged
 * and skipped, never read as "deleted"; the other branches are still polled.
 */
export async function pollBranches(deps: PollBranchesDeps): Promise<PollReport> {
  const { commits } = deps;
  if (!commits)
    return { ok: true, skipped: 'no commit source configured', branches: 0, recorded: [], failed: [] };
  const branches = branchesToPoll(deps.versions);
  const recorded: string[] = [];
  const failed: string[] = [];
  const errors: string[] = [];
  // A few at a time: one after the other, a tick at 50 versions spent half its time here.
  await forEachConcurrently(branches, POLL_CONCURRENCY, async (target) => {
    try {
      if (await pollBranch(deps, commits, target)) recorded.push(target.key);
    } catch (err) {
      const log = deps.logger.child({
        repo: target.repo,
        branch: target.branch,
        version: target.versions.join(','),
      });
      log.warn('poll failed for a branch; using what is recorded', describeError(err));
      failed.push(target.key);
      errors.push(`${target.key}: ${(err as Error).message}`);
    }
  });
  // In config order, whatever order the answers came in.
  const order = new Map(branches.map((target, index) => [target.key, index]));
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  recorded.sort(byOrder);
  failed.sort(byOrder);
  const report = { ok: failed.length === 0, branches: branches.length, recorded, failed };
  if (failed.length === 0) return report;
  return {
    ...report,
    error: `poll failed for ${failed.length} of ${branches.length} branches: ${errors.join('; ')}`,
  };
}

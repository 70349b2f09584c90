/**
 * The tick's poll, fanned out through the deploy queue when many branches are followed: the tick
 * queues one poll task per branch (named from the branch and the minute, so overlapping ticks queue
 * each once) instead of asking GitHub about a thousand branches one request after another; the worker
 * polls that branch and, when its head moved, plans its versions at once.
 */
import type { WorkerOutcome } from '../core/launch.js';
import { type BranchToPoll, branchesToPoll, pollTaskFailuresSince } from '../core/poll.js';
import type { WorkQueue } from '../core/ports.js';
import { type PollTask, pollTaskName } from '../core/task-body.js';
import type { VersionState } from '../core/types.js';
import { describeError } from '../log.js';
import { forEachConcurrently } from './concurrently.js';
import { type PlanAndEnqueueDeps, planAndEnqueue } from './plan-and-enqueue.js';
import { type PollBranchesDeps, type PollReport, pollBranch, verifyBranchHead } from './poll-branches.js';

/** From this many followed branches on, the tick fans its poll out instead of polling inline. */
export const POLL_FAN_OUT_MIN_BRANCHES = 100;

/** CreateTask calls the tick makes at once while it fans out. */
const FAN_OUT_CONCURRENCY = 16;

/** The fan-out's settings: where the poll tasks go, and from how many branches on. */
export interface PollFanOut {
  queue: WorkQueue;
  /** Default POLL_FAN_OUT_MIN_BRANCHES. */
  minBranches?: number;
}

/** True when the tick should fan its poll out (a commit source, a queue, and enough branches). */
export function shouldFanOut(poll: PollBranchesDeps, fanOut: PollFanOut | undefined): fanOut is PollFanOut {
  if (!fanOut || !poll.commits) return false;
  return branchesToPoll(poll.versions).length >= (fanOut.minBranches ?? POLL_FAN_OUT_MIN_BRANCHES);
}

/** Queues one poll task per followed branch; the report lists the branches that could not be queued. */
export async function fanOutPoll(poll: PollBranchesDeps, fanOut: PollFanOut): Promise<PollReport> {
  const branches = branchesToPoll(poll.versions);
  const now = poll.clock();
  const failed: string[] = [];
  let firstError = '';
  await forEachConcurrently(branches, FAN_OUT_CONCURRENCY, async (target) => {
    const task: PollTask = { kind: 'poll', repo: target.repo, branch: target.branch };
    try {
      await fanOut.queue.enqueueWork(task, pollTaskName(task, now));
    } catch (err) {
      failed.push(target.key);
      firstError ||= (err as Error).message;
    }
  });
  poll.logger.info('poll fanned out', { branches: branches.length, failed: failed.length });
  const taskFailures = await lastTaskFailures(poll, now);
  const errors = [
    ...(failed.length > 0 ? [`could not queue the poll of ${failed.length} branches: ${firstError}`] : []),
    ...(taskFailures.length > 0
      ? [`the poll tasks of ${taskFailures.length} branches could not ask GitHub since the last tick`]
      : []),
  ];
  const report: PollReport = {
    ok: errors.length === 0,
    branches: branches.length,
    fannedOut: branches.length - failed.length,
    recorded: [],
    failed,
    taskFailures,
    ...(failed.length > 0 ? { queueError: firstError } : {}),
  };
  return errors.length === 0 ? report : { ...report, error: errors.join('; ') };
}

/**
 * The poll tasks that could not ask GitHub since one tick interval ago (the fan-out before this one):
 * each recorded its failure on its branch (`runPollTask`), so the tick reports what only the worker's
 * logs said.
 */
async function lastTaskFailures(
  poll: PollBranchesDeps,
  now: Date,
): Promise<Array<{ key: string; error: string }>> {
  const failures = await poll.pollStore.listPollTaskFailures(pollTaskFailuresSince(now));
  return failures
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((failure) => ({ key: failure.key, error: failure.error }));
}

/**
 * A plan task's check of the heads recorded out of order (core/types.ts `BranchHead.inDoubt`): asks
 * GitHub about their branches (`verifyBranchHead`); true when that recorded a head. GitHub failing is
 * logged, and the pass plans the heads as recorded (the tick's poll corrects them later). None without
 * a commit source.
 */
export function createHeadCheck(
  poll: PollBranchesDeps,
): ((versions: VersionState[]) => Promise<boolean>) | undefined {
  const commits = poll.commits;
  if (!commits) return undefined;
  return async (versions) => {
    const names = new Set(versions.map((version) => version.config.name));
    const targets = branchesToPoll(poll.versions).filter((target) =>
      target.versions.some((name) => names.has(name)),
    );
    let isRecorded = false;
    for (const target of targets) {
      try {
        isRecorded = (await verifyBranchHead(poll, commits, target)) || isRecorded;
      } catch (err) {
        poll.logger.warn('could not ask GitHub about a head recorded out of order; planning it as recorded', {
          repo: target.repo,
          branch: target.branch,
          ...describeError(err),
        });
      }
    }
    return isRecorded;
  };
}

export interface RunPollTaskDeps {
  poll: PollBranchesDeps;
  plan: PlanAndEnqueueDeps;
}

function followed(deps: RunPollTaskDeps, task: PollTask): BranchToPoll | undefined {
  return branchesToPoll(deps.poll.versions).find(
    (target) => target.repo.toLowerCase() === task.repo.toLowerCase() && target.branch === task.branch,
  );
}

/**
 * Carries out a poll task: polls the branch and, when a new head (or a deletion) was recorded, plans
 * its versions. GitHub failing is `done` (logged; the next tick polls again), never a retry loop.
 */
export async function runPollTask(deps: RunPollTaskDeps, task: PollTask): Promise<WorkerOutcome> {
  const target = followed(deps, task);
  if (!target) return { kind: 'done', result: 'poll-branch-not-followed' };
  const commits = deps.poll.commits;
  if (!commits) return { kind: 'done', result: 'poll-off' };
  const log = deps.poll.logger.child({ repo: task.repo, branch: task.branch });
  let isRecorded: boolean;
  try {
    isRecorded = await pollBranch(deps.poll, commits, target);
  } catch (err) {
    log.warn('poll failed for a branch; using what is recorded', describeError(err));
    // On the branch, for the next tick to report (its Pipeline line); a failed write is logged.
    await deps.poll.pollStore
      .recordPollTaskFailure(task.repo, task.branch, (err as Error).message, deps.poll.clock())
      .catch((writeErr: unknown) => {
        log.error('could not record the poll failure for the next tick', describeError(writeErr));
      });
    return { kind: 'done', result: 'poll-failed', detail: (err as Error).message };
  }
  if (!isRecorded) return { kind: 'done', result: 'polled-unchanged' };
  const report = await planAndEnqueue(deps.plan, new Set(target.versions));
  log.info('planned after poll', { ...report });
  return { kind: 'done', result: 'polled-planned' };
}

/**
 * The planning a push triggers, handed over through the deploy queue: the webhook records the push and
 * hands each version it moved over (`createPlanTaskEvaluator`), and answers; the worker runs the plan
 * task (`runPlanTask`): the plan-and-enqueue pass of that one version. So the answer to GitHub does not
 * depend on how much planning a push triggers.
 *
 * Coalesced per version (core/pending-plans.ts): a version has at most one plan task waiting, marked
 * in `pendingPlans/{version}`. A hand-off that finds the mark set queues nothing (the waiting task will
 * read the head this push recorded); the task clears the mark, then plans whatever head is recorded.
 * A burst of pushes to a branch then queues a handful of plan tasks, not one per push.
 */
import type { WorkerOutcome } from '../core/launch.js';
import type { PendingPlanStore } from '../core/pending-plans.js';
import type { Clock, DeployEvaluator, WorkQueue } from '../core/ports.js';
import { type PlanTask, planTaskName, type WorkTask } from '../core/task-body.js';
import { describeError, type Logger } from '../log.js';
import { type PassOptions, type PlanAndEnqueueDeps, planAndEnqueue } from './plan-and-enqueue.js';
import type { PollBranchesDeps } from './poll-branches.js';
import { createHeadCheck, runPollTask } from './poll-tasks.js';

/** What the webhook's hand-off needs. */
export interface PlanHandOffDeps {
  queue: WorkQueue;
  pending: PendingPlanStore;
  clock: Clock;
  logger: Logger;
}

/** What became of one version's hand-off: a task queued (named), or covered by the waiting one. */
interface HandedOff {
  version: string;
  taskName: string | null;
}

/**
 * Marks the version's plan pending and queues its task, or finds a task waiting (nothing to queue);
 * with `markedAt` (the recording set the mark already) it only queues the task.
 * When the enqueue fails the mark is cleared again, so the next push queues a task; the pushes whose
 * hand-offs found the mark in between are left to the tick's plan pass.
 */
async function handOffVersion(
  deps: PlanHandOffDeps,
  task: PlanTask,
  markedAt: Date | undefined,
): Promise<HandedOff> {
  const claim =
    markedAt === undefined
      ? await deps.pending.markPending(task.version, deps.clock())
      : ({ kind: 'marked', markedAt } as const);
  if (claim.kind === 'covered') return { version: task.version, taskName: null };
  try {
    const result = await deps.queue.enqueueWork(task, planTaskName(task, claim.markedAt));
    return { version: task.version, taskName: result.taskName };
  } catch (err) {
    await deps.pending.clearPending(task.version).catch((clearErr: unknown) => {
      // Left set, it turns stale (core/pending-plans.ts) and the next hand-off after that replaces it.
      deps.logger.warn('could not clear the pending-plan mark after a failed enqueue', {
        version: task.version,
        ...describeError(clearErr),
      });
    });
    throw err;
  }
}

/**
 * The webhook's hand-off: after a push moved a head, a plan task for each version it touched that has
 * none waiting. Resolves once they are queued (a few ms); throws when one could not be (the webhook
 * logs it; the next tick plans the version).
 */
export function createPlanTaskEvaluator(deps: PlanHandOffDeps): DeployEvaluator {
  return {
    async evaluate(versions, trigger) {
      if (trigger.head === undefined) throw new Error('a plan task needs the head the push recorded');
      const head = trigger.head;
      const deliveryId = trigger.deliveryId ?? null;
      // Marks the recording set already (trigger.marked) are this push's to queue; else it marks.
      const marks = new Map((trigger.marked ?? []).map((mark) => [mark.version, mark.markedAt]));
      const handed = trigger.marked ? versions.filter((version) => marks.has(version)) : versions;
      const results = await Promise.all(
        handed.map((version) =>
          handOffVersion(deps, { kind: 'plan', version, head, deliveryId }, marks.get(version)),
        ),
      );
      deps.logger.info('plan tasks enqueued', {
        trigger: trigger.kind,
        deliveryId,
        commit: head,
        tasks: results.filter((result) => result.taskName !== null).map((result) => result.taskName),
        covered: results.filter((result) => result.taskName === null).map((result) => result.version),
      });
    },
  };
}

export interface RunPlanTaskDeps {
  plan: PlanAndEnqueueDeps;
  /** The pending-plan marks: the task clears its version's before it reads the head. */
  pending: Pick<PendingPlanStore, 'clearPending'>;
  /** Asks GitHub about a head recorded out of order before planning it (use-cases/poll-tasks.ts). */
  checkHeads?: PassOptions['checkHeads'];
}

/**
 * Carries out a plan task: clears the version's pending-plan mark, then runs the plan-and-enqueue
 * pass of the version, which plans the head recorded now (the task's own head, or a newer one whose
 * hand-off found this task waiting). `done` when the version is no longer configured. Throws only on
 * storage failures (Cloud Tasks retries the task; the pass is idempotent, and so is the clear).
 */
export async function runPlanTask(deps: RunPlanTaskDeps, task: PlanTask): Promise<WorkerOutcome> {
  const { plan } = deps;
  const config = plan.config.versions.find((version) => version.name === task.version);
  if (!config) return { kind: 'done', result: 'plan-version-not-configured' };
  // Before the pass reads the head: a push recorded after this clear queues a task of its own. The
  // deployments and open requests are read meanwhile (they do not take part in that hand-over).
  const cleared = deps.pending.clearPending(task.version);
  const report = await planAndEnqueue(plan, new Set([task.version]), {
    headsAfter: cleared,
    ...(deps.checkHeads ? { checkHeads: deps.checkHeads } : {}),
  });
  const log = plan.logger.child({ version: task.version, commit: task.head, deliveryId: task.deliveryId });
  log.info('planned after push', { ...report });
  if (report.enqueueFailed.length > 0) {
    // Pending requests: the next plan pass queues them; a retry of this task is that pass, sooner.
    const detail = `could not queue ${report.enqueueFailed.join(', ')}`;
    return { kind: 'retry', result: 'enqueue-failed', detail };
  }
  const decision = report.decisions[task.version] ?? 'none';
  return { kind: 'done', result: `planned-${decision.replace(':', '-')}` };
}

/** What the worker needs for the tasks handed over to it: plans, and the tick's fanned-out polls. */
export interface RunWorkTaskDeps extends RunPlanTaskDeps {
  poll: PollBranchesDeps;
}

/** Carries out a plan or poll task (core/task-body.ts). */
export function runWorkTask(deps: RunWorkTaskDeps, task: WorkTask): Promise<WorkerOutcome> {
  if (task.kind === 'poll') return runPollTask(deps, task);
  const checkHeads = deps.checkHeads ?? createHeadCheck(deps.poll);
  return runPlanTask(checkHeads ? { ...deps, checkHeads } : deps, task);
}

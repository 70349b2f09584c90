/**
 * The planning a push triggers, handed over through the deploy queue: the webhook records the push and
 * queues one named plan task per version it moved (`createPlanTaskEvaluator`), and answers; the worker
 * runs the task (`runPlanTask`): the plan-and-enqueue pass of that one version. So the answer to GitHub
 * does not depend on how much planning a push triggers, and the planning still happens once per version
 * and head (Cloud Tasks refuses a second task of the same name).
 *
 * A plan task whose head is no longer the version's head is skipped: the push that moved the head on
 * queued a task of its own, which plans the newest head (or, if that enqueue failed, the next tick does).
 */
import type { WorkerOutcome } from '../core/launch.js';
import type { DeployEvaluator, IntakeStore, WorkQueue } from '../core/ports.js';
import { type PlanTask, planTaskName, type WorkTask } from '../core/task-body.js';
import type { Logger } from '../log.js';
import { type PlanAndEnqueueDeps, planAndEnqueue } from './plan-and-enqueue.js';
import type { PollBranchesDeps } from './poll-branches.js';
import { runPollTask } from './poll-tasks.js';

/**
 * The webhook's hand-off: after a push moved a head, one plan task per version it touched, named from
 * the version, the head and the delivery. Resolves once they are queued (a few ms); throws when one
 * could not be (the webhook logs it; the next tick plans the version).
 */
export function createPlanTaskEvaluator(queue: WorkQueue, logger: Logger): DeployEvaluator {
  return {
    async evaluate(versions, trigger) {
      if (trigger.head === undefined) throw new Error('a plan task needs the head the push recorded');
      const head = trigger.head;
      const deliveryId = trigger.deliveryId ?? null;
      const results = await Promise.all(
        versions.map((version) => {
          const task: PlanTask = { kind: 'plan', version, head, deliveryId };
          return queue.enqueueWork(task, planTaskName(task));
        }),
      );
      logger.info('plan tasks enqueued', {
        trigger: trigger.kind,
        deliveryId,
        commit: head,
        tasks: results.map((result) => result.taskName),
        isNew: results.map((result) => result.isNew),
      });
    },
  };
}

export interface RunPlanTaskDeps {
  plan: PlanAndEnqueueDeps;
  /** Where the version's recorded head is read, to skip a task whose head moved on. */
  heads: Pick<IntakeStore, 'getBranchHead'>;
}

/**
 * Carries out a plan task: the plan-and-enqueue pass of its version, unless the version is no longer
 * configured or its head has moved on since the push (both `done`: nothing to retry). Throws only on
 * storage failures (Cloud Tasks retries the task; the pass is idempotent).
 */
export async function runPlanTask(deps: RunPlanTaskDeps, task: PlanTask): Promise<WorkerOutcome> {
  const { plan } = deps;
  const config = plan.config.versions.find((version) => version.name === task.version);
  if (!config) return { kind: 'done', result: 'plan-version-not-configured' };
  const head = await deps.heads.getBranchHead(config.repo, config.branch);
  if (head !== null && !head.deleted && head.sha !== task.head) {
    return { kind: 'done', result: 'plan-superseded', detail: `the head is now ${head.sha}` };
  }
  const report = await planAndEnqueue(plan, new Set([task.version]));
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
  return task.kind === 'plan' ? runPlanTask(deps, task) : runPollTask(deps, task);
}

/**
 * One scheduler tick: poll, refresh, inventory, verify, close expired leases, clean Jobs, plan, then the
 * GitHub deployments sync. Each step runs even when an earlier one failed; a step that threw is reported
 * (`ok: false` with its error) and logged, and the tick answers 500 so Cloud Scheduler records the run as
 * failed. Nothing is lost: the next tick does it again. Then the tick records its health (`health/tick`,
 * core/tick-health.ts) for the status page.
 */
import type { IntakeStore } from '../core/ports.js';
import { type TickHealthStore, tickHealthOf } from '../core/tick-health.js';
import { describeError, type Logger } from '../log.js';
import { type CleanJobsDeps, type CleanJobsReport, cleanFinishedJobs } from './clean-jobs.js';
import {
  type CloseExpiredLeasesDeps,
  type CloseExpiredLeasesReport,
  closeExpiredLeases,
} from './close-expired-leases.js';
import { type PlanAndEnqueueDeps, type PlanReport, planAndEnqueue } from './plan-and-enqueue.js';
import { type PollBranchesDeps, type PollReport, pollBranches } from './poll-branches.js';
import { fanOutPoll, type PollFanOut, shouldFanOut } from './poll-tasks.js';
import {
  type InventoryReport,
  type ReconcileInventoryDeps,
  reconcileCloudInventory,
} from './reconcile-inventory.js';
import {
  type RefreshDeploymentsDeps,
  type RefreshReport,
  refreshDeployments,
} from './refresh-deployments.js';
import {
  type GitHubSyncReport,
  type SyncGitHubDeploymentsDeps,
  syncGitHubDeployments,
} from './sync-github-deployments.js';
import { type VerifyInstancesDeps, type VerifyReport, verifyInstances } from './verify-instances.js';

/** A step that threw. */
export interface StepFailure {
  ok: false;
  error: string;
}

/** The tick's answer (JSON): what each step did. */
export interface TickReport {
  ok: boolean;
  poll: PollReport | StepFailure;
  refresh: RefreshReport | StepFailure;
  inventory: InventoryReport | StepFailure;
  verify: VerifyReport | StepFailure;
  leases: CloseExpiredLeasesReport | StepFailure;
  cleanJobs: CleanJobsReport | StepFailure;
  plan: PlanReport | StepFailure;
  github: GitHubSyncReport | StepFailure;
  /** Present when the health record could not be written (the tick then answers 500 too). */
  health?: StepFailure;
}

export interface TickDeps {
  poll: PollBranchesDeps;
  refresh: RefreshDeploymentsDeps;
  inventory: ReconcileInventoryDeps;
  verify: VerifyInstancesDeps;
  leases: CloseExpiredLeasesDeps;
  cleanJobs: CleanJobsDeps;
  plan: PlanAndEnqueueDeps;
  /** Keeps versions/{name} in step with the config file, so operators find every version in the console. */
  intake: Pick<IntakeStore, 'syncVersions'>;
  /** The GitHub deployments sync; absent (or without an API) when GITHUB_DEPLOYMENTS is off. */
  github?: SyncGitHubDeploymentsDeps;
  /** With many followed branches, the poll goes out as one task per branch (use-cases/poll-tasks.ts). */
  fanOut?: PollFanOut;
  /** Where the tick records its health for the status page; absent: not recorded. */
  health?: TickHealthStore;
  logger: Logger;
}

/** Step 1: the poll, inline, or fanned out through the queue when many branches are followed. */
function poll(deps: TickDeps): Promise<PollReport> {
  return shouldFanOut(deps.poll, deps.fanOut) ? fanOutPoll(deps.poll, deps.fanOut) : pollBranches(deps.poll);
}

async function step<T>(name: string, logger: Logger, run: () => Promise<T>): Promise<T | StepFailure> {
  try {
    return await run();
  } catch (err) {
    logger.error(`tick step ${name} failed`, { step: name, ...describeError(err) });
    return { ok: false, error: (err as Error).message };
  }
}

/**
 * The steps, in order: poll GitHub (or, with many branches, queue one poll task per branch); follow the Jobs; reconcile with the cloud inventory; probe the
 * instances; close expired leases; delete finished Jobs; plan and enqueue (GC included); post GitHub
 * deployment statuses. Each sees what the earlier ones wrote.
 */
export async function runTick(deps: TickDeps): Promise<TickReport> {
  const { logger } = deps;
  const polled = await step('poll', logger, () => poll(deps));
  const refresh = await step('refresh', logger, () => refreshDeployments(deps.refresh));
  const inventory = await step('inventory', logger, () => reconcileCloudInventory(deps.inventory));
  const verify = await step('verify', logger, () => verifyInstances(deps.verify));
  const leases = await step('leases', logger, () => closeExpiredLeases(deps.leases));
  const cleanJobs = await step('cleanJobs', logger, () => cleanFinishedJobs(deps.cleanJobs));
  const plan = await step('plan', logger, async () => {
    await deps.intake.syncVersions(deps.plan.config.versions, deps.plan.clock());
    return planAndEnqueue(deps.plan, null);
  });
  // Last: it posts what the refresh just found. A GitHub failure is recorded, never a step failure.
  const github = await step('github', logger, () => syncGitHubDeployments(deps.github));
  const steps = [polled, refresh, inventory, verify, leases, cleanJobs, plan, github];
  const report: TickReport = {
    ok: steps.every((report) => report.ok),
    poll: polled,
    refresh,
    inventory,
    verify,
    leases,
    cleanJobs,
    plan,
    github,
  };
  return deps.health ? recordHealth(deps.health, deps, report) : report;
}

/** After the steps: the health record; a failed write is logged and reported, never hides the steps' report. */
async function recordHealth(store: TickHealthStore, deps: TickDeps, report: TickReport): Promise<TickReport> {
  const written = await step('health', deps.logger, () =>
    store.writeTickHealth(tickHealthOf(report, deps.plan.clock())),
  );
  return written === undefined ? report : { ...report, ok: false, health: written };
}

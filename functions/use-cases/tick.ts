/**
 * One scheduler tick: poll, refresh, plan, then the GitHub deployments sync. Each step runs even when an
 * earlier one failed; a step that threw is reported (`ok: false` with its error) and logged, and the tick
 * answers 500 so Cloud Scheduler records the run as failed. Nothing is lost: the next tick does it again.
 */
import type { IntakeStore } from '../core/ports.js';
import { describeError, type Logger } from '../log.js';
import { type PlanAndEnqueueDeps, type PlanReport, planAndEnqueue } from './plan-and-enqueue.js';
import { type PollBranchesDeps, type PollReport, pollBranches } from './poll-branches.js';
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
  plan: PlanReport | StepFailure;
  github: GitHubSyncReport | StepFailure;
}

export interface TickDeps {
  poll: PollBranchesDeps;
  refresh: RefreshDeploymentsDeps;
  plan: PlanAndEnqueueDeps;
  /** Keeps versions/{name} in step with the config file, so operators find every version in the console. */
  intake: Pick<IntakeStore, 'syncVersions'>;
  /** The GitHub deployments sync; absent (or without an API) when GITHUB_DEPLOYMENTS is off. */
  github?: SyncGitHubDeploymentsDeps;
  logger: Logger;
}

async function step<T>(name: string, logger: Logger, run: () => Promise<T>): Promise<T | StepFailure> {
  try {
    return await run();
  } catch (err) {
    logger.error(`tick step ${name} failed`, { step: name, ...describeError(err) });
    return { ok: false, error: (err as Error).message };
  }
}

export async function runTick(deps: TickDeps): Promise<TickReport> {
  const poll = await step('poll', deps.logger, () => pollBranches(deps.poll));
  const refresh = await step('refresh', deps.logger, () => refreshDeployments(deps.refresh));
  const plan = await step('plan', deps.logger, async () => {
    await deps.intake.syncVersions(deps.plan.config.versions, deps.plan.clock());
    return planAndEnqueue(deps.plan, null);
  });
  // Last: it posts what the refresh just found. A GitHub failure is recorded, never a step failure.
  const github = await step('github', deps.logger, () => syncGitHubDeployments(deps.github));
  return { ok: poll.ok && refresh.ok && plan.ok && github.ok, poll, refresh, plan, github };
}

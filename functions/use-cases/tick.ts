/**
 * One scheduler tick: poll, refresh, close expired leases, plan. Each step runs even when an earlier one failed; a step that
 * threw is reported (`ok: false` with its error) and logged, and the tick answers 500 so Cloud Scheduler
 * records the run as failed. Nothing is lost: the next tick does it again.
 */
import type { IntakeStore } from '../core/ports.js';
import { describeError, type Logger } from '../log.js';
import {
  type CloseExpiredLeasesDeps,
  type CloseExpiredLeasesReport,
  closeExpiredLeases,
} from './close-expired-leases.js';
import { type PlanAndEnqueueDeps, type PlanReport, planAndEnqueue } from './plan-and-enqueue.js';
import { type PollBranchesDeps, type PollReport, pollBranches } from './poll-branches.js';
import {
  type RefreshDeploymentsDeps,
  type RefreshReport,
  refreshDeployments,
} from './refresh-deployments.js';

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
  leases: CloseExpiredLeasesReport | StepFailure;
  plan: PlanReport | StepFailure;
}

export interface TickDeps {
  poll: PollBranchesDeps;
  refresh: RefreshDeploymentsDeps;
  leases: CloseExpiredLeasesDeps;
  plan: PlanAndEnqueueDeps;
  /** Keeps versions/{name} in step with the config file, so operators find every version in the console. */
  intake: Pick<IntakeStore, 'syncVersions'>;
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
  const leases = await step('leases', deps.logger, () => closeExpiredLeases(deps.leases));
  const plan = await step('plan', deps.logger, async () => {
    await deps.intake.syncVersions(deps.plan.config.versions, deps.plan.clock());
    return planAndEnqueue(deps.plan, null);
  });
  return { ok: poll.ok && refresh.ok && leases.ok && plan.ok, poll, refresh, leases, plan };
}

/**
 * Tick step: deletes finished deploy and teardown Jobs their records no longer need, after
 * `jobRetentionHours` (core/job-cleanup.ts), with their pods. A Job that cannot be deleted is reported
 * and tried again by the next tick.
 */
import { jobsToDelete } from '../core/job-cleanup.js';
import { JOB_LABELS } from '../core/job-manifest.js';
import type { Clock, DeploymentStore, JobLauncher } from '../core/ports.js';
import type { DeploymentsConfig } from '../core/types.js';
import { describeError, type Logger } from '../log.js';

export interface CleanJobsDeps {
  config: DeploymentsConfig;
  store: DeploymentStore;
  jobs: JobLauncher;
  clock: Clock;
  logger: Logger;
}

export interface CleanJobsReport {
  ok: boolean;
  /** Jobs deleted. */
  deleted: string[];
  /** Jobs that could not be deleted, and why. */
  failed: string[];
  error?: string;
}

export async function cleanFinishedJobs(deps: CleanJobsDeps): Promise<CleanJobsReport> {
  const { config, store, jobs, logger } = deps;
  const all = await jobs.listJobs(config.namespace, { [JOB_LABELS.autoDeploy]: 'true' });
  const now = deps.clock();
  const deployments = await store.listRecentDeployments(now);
  const policyOf = (version: string | undefined) =>
    config.versions.find((v) => v.name === version)?.policy ?? config.policy;
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const job of jobsToDelete(all, deployments, policyOf, now)) {
    try {
      await jobs.deleteJob(config.namespace, job.name);
      deleted.push(job.name);
      logger.info('finished Job deleted', {
        job: job.name,
        instance: job.labels[JOB_LABELS.instance] ?? null,
      });
    } catch (err) {
      logger.warn('deleting a finished Job failed; the next tick tries again', {
        job: job.name,
        ...describeError(err),
      });
      failed.push(`${job.name}: ${(err as Error).message}`);
    }
  }
  if (failed.length === 0) return { ok: true, deleted, failed };
  return { ok: false, deleted, failed, error: `could not delete ${failed.length} finished Jobs` };
}

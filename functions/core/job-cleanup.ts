/**
 * Finished Jobs do not pile up: a deploy or teardown Job that finished, whose record no longer needs it,
 * is deleted (with its pods) `jobRetentionHours` after it finished. Pure: the Jobs, the records and `now`
 * in, the names to delete out. Running Jobs are never deleted.
 */
import { JOB_LABELS } from './job-manifest.js';
import { isOlderThan } from './policy.js';
import type { Deployment, DeploymentStatus, JobSummary, Policy } from './types.js';

/** While a record is in these statuses its deploy Job still tells its outcome. */
const NEEDS_DEPLOY_JOB: ReadonlySet<DeploymentStatus> = new Set(['launching', 'deploying', 'lost']);

function isStillNeeded(job: JobSummary, deployment: Deployment | undefined): boolean {
  if (!deployment) return false;
  const action = job.labels[JOB_LABELS.action];
  if (action === 'teardown')
    return deployment.status === 'deleting' && deployment.teardownJobName === job.name;
  return NEEDS_DEPLOY_JOB.has(deployment.status);
}

/**
 * The Jobs to delete now: finished, more than `jobRetentionHours` ago (the version's policy, else the
 * global one), and not needed by their record (a Job no record knows is not needed).
 */
export function jobsToDelete(
  jobs: readonly JobSummary[],
  deployments: readonly Deployment[],
  policyOf: (version: string | undefined) => Pick<Policy, 'jobRetentionHours'>,
  now: Date,
): JobSummary[] {
  const byInstance = new Map(deployments.map((d) => [d.instance, d]));
  return jobs.filter((job) => {
    if (job.state === 'running' || !job.finishedAt) return false;
    const deployment = byInstance.get(job.labels[JOB_LABELS.instance] ?? '');
    if (isStillNeeded(job, deployment)) return false;
    const version = deployment?.version ?? job.labels[JOB_LABELS.version];
    return isOlderThan(job.finishedAt, policyOf(version).jobRetentionHours, now);
  });
}

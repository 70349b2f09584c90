/**
 * Deployment status transitions from what the cluster says: the refresh step's rule. Pure: a
 * deployment, its deploy and teardown Jobs as listed, and `now` in; the change out.
 */
import { JOB_LABELS } from './job-manifest.js';
import { launchLeaseExpiry } from './launch.js';
import { isTeardownJobOfAttempt } from './teardown.js';
import { afterFailedTeardown } from './teardown-outcome.js';
import type { Deployment, JobSummary, Policy } from './types.js';

/** What the refresh needs to know of the deployment's version and of the setup. */
export interface ReconcileOptions {
  /** Readiness checked: a completed deploy Job makes the instance `verifying`, not `ready`. */
  readiness: boolean;
  /** The cloud inventory on: `deleted` waits for the cluster to be gone (core/inventory.ts). */
  inventory: boolean;
  policy: Pick<Policy, 'maxTeardownAttempts' | 'retryBackoffMinutes'>;
}

function jobMessage(job: JobSummary): string {
  return job.message ?? 'no reason given';
}

/** What a deploy Job's state means for a deployment that is launching, deploying or lost. */
function followDeployJob(
  d: Deployment,
  job: JobSummary,
  now: Date,
  options: ReconcileOptions,
): Partial<Deployment> | null {
  const named = d.jobName === job.name ? {} : { jobName: job.name };
  const leaving = d.status === 'launching' ? { launchLeaseExpiresAt: null } : {};
  switch (job.state) {
    case 'running':
      if (d.status === 'deploying') return d.jobName === job.name ? null : { ...named, updatedAt: now };
      return { ...named, ...leaving, status: 'deploying', updatedAt: now, error: null };
    case 'complete':
      if (options.readiness) {
        return { ...named, ...leaving, status: 'verifying', verifyingAt: now, updatedAt: now, error: null };
      }
      return {
        ...named,
        ...leaving,
        status: 'ready',
        readyAt: now,
        finishedAt: now,
        updatedAt: now,
        error: null,
      };
    case 'failed':
      return {
        ...named,
        ...leaving,
        status: 'failed',
        finishedAt: now,
        updatedAt: now,
        error: `deploy Job ${job.name} failed: ${jobMessage(job)}`,
      };
  }
}

/**
 * The change a deployment's record needs given its deploy Job and teardown Job as the cluster lists
 * them (null: no such Job), or null when nothing changes.
 *
 * - launching / deploying: Job running -> deploying; complete -> verifying (readiness on: the probes decide,
 *   core/readiness.ts) or ready (`readyAt` = now); failed -> failed (the Job's message as `error`; a Job
 *   stopped at its `activeDeadlineSeconds` is failed too). No Job: launching stays launching while its
 *   launch lease holds (the worker may still be creating the Job) and becomes lost once it expired
 *   (`launchLeaseExpiresAt` < now; a missing lease counts from `createdAt`); deploying becomes lost.
 * - lost: the Job showing up again (a slow worker created it after its lease) is followed like above,
 *   so an instance that is really being deployed is tracked again.
 * - ready: stays ready, Job or not (Jobs are TTL-cleaned; the instance exists).
 * - deleting: teardown Job complete -> deleted, or (inventory on) `teardownFinishedAt`, and the inventory
 *   says deleted once the cluster is gone; failed -> a failed teardown attempt (core/teardown-outcome.ts:
 *   tried again after a backoff, `teardown-failed` after `maxTeardownAttempts`); running -> unchanged; a
 *   recorded teardown Job that vanished before it finished -> a failed attempt too; none recorded yet -> unchanged.
 * - failed, deleted: final for this function (GC moves failed to deleting).
 */
export function reconcileDeployment(
  d: Deployment,
  deployJob: JobSummary | null,
  teardownJob: JobSummary | null,
  now: Date,
  options: ReconcileOptions,
): Partial<Deployment> | null {
  switch (d.status) {
    case 'launching':
      return deployJob === null ? launchingWithoutJob(d, now) : followDeployJob(d, deployJob, now, options);
    case 'deploying':
      return deployJob === null ? deployJobVanished(d, now) : followDeployJob(d, deployJob, now, options);
    case 'lost':
      // A lost record the inventory saw gone stays lost; one lost only by its Job is followed again.
      return deployJob === null || d.cluster?.listed === false
        ? null
        : followDeployJob(d, deployJob, now, options);
    case 'deleting':
      return followTeardownJob(d, teardownJob, now, options);
    default:
      return null;
  }
}

/** A launching deployment with no Job yet: waits while its launch lease holds, then is lost. */
function launchingWithoutJob(d: Deployment, now: Date): Partial<Deployment> | null {
  const leaseEnd = d.launchLeaseExpiresAt ?? launchLeaseExpiry(d.createdAt);
  if (leaseEnd.getTime() >= now.getTime()) return null;
  return {
    status: 'lost',
    launchLeaseExpiresAt: null,
    updatedAt: now,
    finishedAt: now,
    error: 'the launch lease expired before a deploy Job was seen (the worker stopped while launching)',
  };
}

function deployJobVanished(d: Deployment, now: Date): Partial<Deployment> {
  return {
    status: 'lost',
    updatedAt: now,
    finishedAt: now,
    error: `deploy Job ${d.jobName ?? '(unnamed)'} disappeared before it finished`,
  };
}

/** A deleting deployment: its teardown Job done (deleted, or the inventory decides), or failed. */
function followTeardownJob(
  d: Deployment,
  job: JobSummary | null,
  now: Date,
  options: ReconcileOptions,
): Partial<Deployment> | null {
  if (job === null) return teardownJobVanished(d, now, options);
  if (job.state === 'running') {
    return d.teardownJobName === job.name ? null : { teardownJobName: job.name, updatedAt: now };
  }
  if (job.state === 'complete') {
    if (!options.inventory)
      return { status: 'deleted', deletedAt: now, updatedAt: now, teardownJobName: job.name };
    return d.teardownFinishedAt
      ? null
      : { teardownFinishedAt: now, teardownJobName: job.name, updatedAt: now };
  }
  const why = `the teardown Job ${job.name} failed: ${jobMessage(job)}`;
  return { ...afterFailedTeardown(d, why, options.policy, now), teardownJobName: job.name };
}

/**
 * A deleting deployment whose recorded teardown Job is no longer listed, before it was seen to finish
 * (deleted by hand, or by a TTL): a failed teardown attempt, tried again after the backoff (a teardown
 * is idempotent), so the instance never waits in `deleting` forever. Unchanged while no Job was recorded
 * yet (the worker is still creating it, or its task is queued) or once it was seen finished (the
 * inventory decides then).
 */
function teardownJobVanished(
  d: Deployment,
  now: Date,
  options: ReconcileOptions,
): Partial<Deployment> | null {
  if (d.teardownJobName === null || d.teardownFinishedAt) return null;
  const why = `the teardown Job ${d.teardownJobName} disappeared before it finished`;
  return afterFailedTeardown(d, why, options.policy, now);
}

/**
 * The teardown Job of a deleting deployment's current attempt (by its labels and the attempt's name,
 * core/teardown.ts), or null while it is not created yet: an earlier attempt's finished Job is never
 * taken for it.
 */
export function teardownJobOfAttempt(jobs: readonly JobSummary[], d: Deployment): JobSummary | null {
  return (
    jobs.find(
      (job) =>
        job.labels[JOB_LABELS.instance] === d.instance &&
        job.labels[JOB_LABELS.action] === 'teardown' &&
        isTeardownJobOfAttempt(d, job),
    ) ?? null
  );
}

/** The newest Job of `instance` for `action` (by its `kf-name` and action labels), or null. */
export function newestJobOf(
  jobs: readonly JobSummary[],
  instance: string,
  action: 'deploy' | 'teardown',
): JobSummary | null {
  let newest: JobSummary | null = null;
  for (const job of jobs) {
    if (job.labels[JOB_LABELS.instance] !== instance || job.labels[JOB_LABELS.action] !== action) continue;
    if (newest === null || (job.createdAt?.getTime() ?? 0) > (newest.createdAt?.getTime() ?? 0)) newest = job;
  }
  return newest;
}

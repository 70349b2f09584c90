/**
 * Deployment status transitions and the worker's launch re-check. Pure: what the cluster says
 * (Job summaries) and `now` in, changes and decisions out.
 */
import { JOB_LABELS } from './job-manifest.js';
import type { JobSummary } from './ports.js';
import { ACTIVE_STATUSES, type Deployment, type DeployRequest, type VersionState } from './types.js';

/**
 * How long a worker holds a `launching` deployment before it counts as lost: Cloud Tasks' default
 * dispatch deadline for HTTP tasks, so a worker still inside its deadline is never declared lost.
 */
export const LAUNCH_LEASE_SECONDS = 600;

const MINUTE_MS = 60_000;

/** When a launch claimed at `now` stops protecting its worker. */
export function launchLeaseExpiry(now: Date): Date {
  return new Date(now.getTime() + LAUNCH_LEASE_SECONDS * 1000);
}

function jobMessage(job: JobSummary): string {
  return job.message ?? 'no reason given';
}

/** What a deploy Job's state means for a deployment that is launching, deploying or lost. */
function followDeployJob(d: Deployment, job: JobSummary, now: Date): Partial<Deployment> | null {
  const named = d.jobName === job.name ? {} : { jobName: job.name };
  const leaving = d.status === 'launching' ? { launchLeaseExpiresAt: null } : {};
  switch (job.state) {
    case 'running':
      if (d.status === 'deploying') return d.jobName === job.name ? null : { ...named, updatedAt: now };
      return { ...named, ...leaving, status: 'deploying', updatedAt: now, error: null };
    case 'complete':
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
 * - launching / deploying: Job running -> deploying; complete -> ready (`readyAt` = now);
 *   failed -> failed (the Job's message as `error`). No Job: launching stays launching while its
 *   launch lease holds (the worker may still be creating the Job) and becomes lost once it expired
 *   (`launchLeaseExpiresAt` < now; a missing lease counts from `createdAt`); deploying becomes lost.
 * - lost: the Job showing up again (a slow worker created it after its lease) is followed like above,
 *   so an instance that is really being deployed is tracked again.
 * - ready: stays ready, Job or not (Jobs are TTL-cleaned; the instance exists).
 * - deleting: teardown Job complete -> deleted; failed -> failed with `teardown failed: ...`, so GC
 *   collects it again with a new teardown attempt; running or absent -> unchanged.
 * - failed, deleted: final for this function (GC moves failed to deleting).
 */
export function reconcileDeployment(
  d: Deployment,
  deployJob: JobSummary | null,
  teardownJob: JobSummary | null,
  now: Date,
): Partial<Deployment> | null {
  switch (d.status) {
    case 'launching': {
      if (deployJob !== null) return followDeployJob(d, deployJob, now);
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
    case 'deploying':
      if (deployJob !== null) return followDeployJob(d, deployJob, now);
      return {
        status: 'lost',
        updatedAt: now,
        finishedAt: now,
        error: `deploy Job ${d.jobName ?? '(unnamed)'} disappeared before it finished`,
      };
    case 'lost':
      return deployJob === null ? null : followDeployJob(d, deployJob, now);
    case 'deleting':
      if (teardownJob === null || teardownJob.state === 'running') {
        return teardownJob !== null && d.teardownJobName !== teardownJob.name
          ? { teardownJobName: teardownJob.name, updatedAt: now }
          : null;
      }
      if (teardownJob.state === 'complete') {
        return { status: 'deleted', deletedAt: now, updatedAt: now, teardownJobName: teardownJob.name };
      }
      return {
        status: 'failed',
        updatedAt: now,
        teardownJobName: teardownJob.name,
        error: `teardown failed: ${jobMessage(teardownJob)} (Job ${teardownJob.name})`,
      };
    case 'ready':
    case 'failed':
    case 'deleted':
      return null;
  }
}

/** The worker's decision when a deploy request's task fires. */
export type LaunchDecision =
  | { kind: 'launch' }
  | {
      kind: 'defer';
      reason: 'rate-limited' | 'at-capacity' | 'paused' | 'job-running';
      until?: Date;
      active?: number;
      /** job-running: the running Job of the same commit. */
      job?: string;
    }
  | {
      kind: 'skip';
      reason: /** A deployment was already launched for this very request (a retried task). */
        | 'already-launched'
        /** The branch moved on (or was deleted): the head is no longer the request's commit. */
        | 'superseded'
        /** The commit is launching or deploying already. */
        | 'in-progress'
        /** The commit is already ready (a new-commit request), or was launched again since the request. */
        | 'already-deployed';
      /** The deployment that makes the request moot, when there is one. */
      instance?: string;
    };

export interface LaunchInput {
  request: DeployRequest;
  version: VersionState;
  /** The version's deployments (others are ignored) and every active one (for the capacity limit). */
  deployments: readonly Deployment[];
  maxActiveDeployments: number;
  /**
   * The name of a deploy Job of the request's commit and version still running on the cluster, if any
   * (found by its labels: it may be one Firestore does not know about).
   */
  runningJob?: string | null;
  now: Date;
}

/**
 * Re-checks at execution time the limits the planner applied, since things moved since the plan:
 * 1. skip when a deployment already carries this request id (`already-launched`), when the head is no
 *    longer the request's commit or the branch is gone (`superseded`), when the commit is launching or
 *    deploying (`in-progress`), when the commit is ready and the request is a new-commit one, or when
 *    the commit was launched again after the request was made (`already-deployed`); a periodic or manual
 *    request may redeploy a commit that is only ready;
 * 2. defer while the version is paused (config or switch);
 * 3. defer until `notBefore` when the task fired early, and, except for manual requests, until the newest
 *    launch of the version + `minMinutesBetweenDeployments` (exactly at the boundary launches);
 * 4. defer while `maxActiveDeployments` deployments (all versions) are launching, deploying or ready;
 * 5. defer for `minMinutesBetweenDeployments` while a Job of the same commit is still running on the
 *    cluster (the original's guard, which also catches Jobs Firestore does not know about).
 */
export function decideLaunch(input: LaunchInput): LaunchDecision {
  const { request, version, now } = input;
  const name = version.config.name;
  const own = input.deployments.filter((d) => d.version === name);

  const launched = own.find((d) => d.requestId === request.id);
  if (launched) return { kind: 'skip', reason: 'already-launched', instance: launched.instance };
  if (version.head === null || version.head.deleted || version.head.sha !== request.commit) {
    return { kind: 'skip', reason: 'superseded' };
  }
  const sameCommit = own.filter((d) => d.commit === request.commit);
  const running = sameCommit.find((d) => d.status === 'launching' || d.status === 'deploying');
  if (running) return { kind: 'skip', reason: 'in-progress', instance: running.instance };
  const ready = sameCommit.find((d) => d.status === 'ready');
  if (ready && request.reason === 'new-commit') {
    return { kind: 'skip', reason: 'already-deployed', instance: ready.instance };
  }
  const relaunched = sameCommit.find(
    (d) => d.status === 'ready' && d.createdAt.getTime() >= request.createdAt.getTime(),
  );
  if (relaunched) return { kind: 'skip', reason: 'already-deployed', instance: relaunched.instance };

  if (version.config.paused || version.switches.paused) return { kind: 'defer', reason: 'paused' };

  if (request.notBefore.getTime() > now.getTime()) {
    return { kind: 'defer', reason: 'rate-limited', until: request.notBefore };
  }
  if (request.reason !== 'manual') {
    const newest = own.reduce<Deployment | null>(
      (latest, d) => (latest === null || d.createdAt.getTime() > latest.createdAt.getTime() ? d : latest),
      null,
    );
    if (newest !== null) {
      const opens = new Date(
        newest.createdAt.getTime() + version.config.policy.minMinutesBetweenDeployments * MINUTE_MS,
      );
      if (opens.getTime() > now.getTime()) return { kind: 'defer', reason: 'rate-limited', until: opens };
    }
  }

  const active = input.deployments.filter((d) => ACTIVE_STATUSES.includes(d.status)).length;
  if (active >= input.maxActiveDeployments) return { kind: 'defer', reason: 'at-capacity', active };
  if (input.runningJob) {
    const until = new Date(now.getTime() + version.config.policy.minMinutesBetweenDeployments * MINUTE_MS);
    return { kind: 'defer', reason: 'job-running', until, job: input.runningJob };
  }
  return { kind: 'launch' };
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

/**
 * The worker's decision for a teardown request, inside its transaction: close it, answer busy, or move
 * the deployment to `deleting` and claim the step of creating the teardown Job under a lease. Pure: what
 * the transaction read and `now` in, the step and the writes as data out.
 */
import { jobName } from './job-manifest.js';
import { type ClaimWrites, isLeaseHeld, launchLeaseExpiry } from './launch.js';
import { type Lease, liveLeases, revokeLiveLeases } from './leases.js';
import type { Deployment, DeployRequest, JobSummary } from './types.js';

/** What a teardown request's transaction read. */
export interface TeardownView {
  request: DeployRequest | null;
  /** The request's instance, or null when it has none or its document is gone. */
  deployment: Deployment | null;
  /** The instance's leases (any status): a live one stops the teardown. */
  leases: readonly Lease[];
}

export type TeardownStep =
  /** Nothing to do (the request is closed, or was closed by these writes). */
  | { kind: 'closed' }
  /** Another delivery holds the step: retry later. */
  | { kind: 'busy'; instance: string }
  /** Create (or adopt) the teardown Job of this deployment, now `deleting` under a lease. */
  | { kind: 'teardown'; deployment: Deployment };

export interface TeardownClaim {
  step: TeardownStep;
  writes: ClaimWrites;
}

/** Why a lease stops the teardown (the one held longest), or null when none is live. */
function leaseRefusal(leases: readonly Lease[], now: Date): string | null {
  const longest = liveLeases(leases, now).at(-1);
  return longest
    ? `not torn down yet: leased by ${longest.owner} until ${longest.expiresAt.toISOString()}`
    : null;
}

/**
 * - a closed or unknown request: closed;
 * - no deployment: the request fails (`deployment not found`); already deleted: the request is done;
 * - launching or deploying again (a retry of the launch won): the request fails, nothing is torn down;
 * - held by a live lease (taken after the planner decided), unless an operator forced the request
 *   (`force`): nothing is torn down, the request is
 *   `deferred` (not failed: its id is the instance's next teardown's); the planner queues it again only
 *   if it still collects the instance once the lease is over (core/requests.ts `isDueForEnqueue`);
 * - deleting under a live lease: busy. Cloud Tasks may deliver a task twice at once; like a launch, the
 *   step of creating the teardown Job is held under a lease, so a second delivery cannot create a second Job;
 * - otherwise: `deleting` (from now: `deletingAt`; one more `teardownAttempts`) under a fresh lease. A
 *   forced request's live leases are revoked with it: their holders' next heartbeat answers 410.
 */
export function claimTeardown(view: TeardownView, now: Date): TeardownClaim {
  const { request, deployment } = view;
  const closed = (requestPatch?: ClaimWrites['request']): TeardownClaim => ({
    step: { kind: 'closed' },
    writes: requestPatch ? { request: requestPatch } : {},
  });
  if (!request || request.status === 'done' || request.status === 'failed') return closed();
  if (!deployment) return closed({ status: 'failed', updatedAt: now, error: 'deployment not found' });
  if (deployment.status === 'deleted') return closed({ status: 'done', updatedAt: now, error: null });
  if (['launching', 'deploying', 'verifying'].includes(deployment.status)) {
    const error = `not torn down: the deployment is ${deployment.status} again`;
    return closed({ status: 'failed', updatedAt: now, error });
  }
  const isStarted = deployment.status === 'deleting';
  const leased = isStarted || request.force === true ? null : leaseRefusal(view.leases, now);
  if (leased) return closed({ status: 'deferred', updatedAt: now, error: leased });
  if (isStarted && isLeaseHeld(deployment.launchLeaseExpiresAt, now)) {
    return { step: { kind: 'busy', instance: deployment.instance }, writes: {} };
  }
  const lease = launchLeaseExpiry(now);
  const patch: Partial<Deployment> = isStarted
    ? { launchLeaseExpiresAt: lease, updatedAt: now }
    : {
        status: 'deleting',
        deletingAt: now,
        launchLeaseExpiresAt: lease,
        updatedAt: now,
        teardownAttempts: (deployment.teardownAttempts ?? 0) + 1,
        nextTeardownAt: null,
        teardownFinishedAt: null,
        // The earlier attempt's Job is not this one's: the refresh waits for this attempt's Job.
        teardownJobName: null,
      };
  const revoked = isStarted ? [] : revokeLiveLeases(view.leases, now);
  return {
    step: { kind: 'teardown', deployment: { ...deployment, ...patch } },
    writes: {
      deployment: { instance: deployment.instance, patch },
      ...(revoked.length ? { leases: revoked } : {}),
    },
  };
}

/**
 * The name of the teardown Job of the deployment's current attempt (`teardownAttempts`; job-manifest.ts
 * `jobName`): each attempt's Job has its own, so an earlier attempt's Job is never taken for this one.
 * (Telling them apart by creation time could not: a Job's creationTimestamp has whole seconds, and
 * attempts can follow each other within a second or two.)
 */
export function teardownJobNameOf(deployment: Pick<Deployment, 'instance' | 'teardownAttempts'>): string {
  return jobName('teardown', deployment.instance, deployment.teardownAttempts ?? 1);
}

/** True when `job` is the teardown Job of the deployment's current attempt. */
export function isTeardownJobOfAttempt(
  deployment: Pick<Deployment, 'instance' | 'teardownAttempts'>,
  job: Pick<JobSummary, 'name'>,
): boolean {
  return job.name === teardownJobNameOf(deployment);
}

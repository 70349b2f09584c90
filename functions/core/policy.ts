/**
 * The deploy rules, in one place. Pure: plain data and `now` in, dates and booleans out. The numbers are
 * the `policy` of templates/deployments.yaml (defaults: the original reconciler's); the README
 * summarises these rules and points here.
 *
 * - Rate limit: at least `minMinutesBetweenDeployments` between two launches of one version. The limit
 *   opens at the version's newest launch (any status) + that interval; exactly at the boundary a launch
 *   is allowed. A manual (forced) deploy ignores it.
 * - Capacity: at most `maxActiveDeployments` instances that may hold cloud resources, over all versions:
 *   every status but `deleted`, except a `lost` instance whose cluster the inventory saw gone (`isActive`).
 *   An instance stops counting only when it is verified gone. A forced deploy respects it.
 * - Retries: a launch of the head commit that failed (failed, lost, unhealthy, or collected without ever
 *   serving) is retried `retryBackoffMinutes` after it failed, doubling with each attempt, never sooner than
 *   the rate limit, until `maxDeployAttempts` launches of the commit failed in a row; then the version waits
 *   for a new commit, the periodic redeploy or a forced one. A new commit starts the count again.
 * - Periodic redeploy: the head commit is deployed again `periodicRedeployHours` after its newest launch,
 *   even when the branch has not moved (also after the retries ran out).
 * - Timeouts: a deploy Job runs at most `deployTimeoutMinutes`; a verifying instance answers within the
 *   readiness `verifyTimeoutMinutes` or fails; finished Jobs are deleted `jobRetentionHours` after the record
 *   stopped needing them.
 * - Same commit: a commit launching or deploying is never launched again; a new-commit deploy of a commit
 *   that is ready is skipped; while a Job of the same commit still runs on the cluster (even one Firestore
 *   does not know about), the launch waits one rate-limit interval.
 * - Garbage collection (gc.ts): a ready instance is collected only when older than `minLifetimeHours` and
 *   the next newer ready one is older than `gracePeriodHours` ("older than" is strict: `isOlderThan`);
 *   failed, lost and unhealthy ones `failedRetentionHours` after they stopped serving; never a leased one.
 *   A teardown that left the cluster behind is tried again after a backoff, at most `maxTeardownAttempts`
 *   times, then the instance is `teardown-failed` (counted, shown, left to an operator).
 */

import { addHours, addMinutes, HOUR_MS } from './time.js';
import { DEPLOYMENT_STATUSES, type Deployment, type DeploymentStatus, type Policy } from './types.js';

/** Statuses that may count against `maxActiveDeployments` (stores query these; `isActive` decides). */
export const ACTIVE_STATUSES: readonly DeploymentStatus[] = DEPLOYMENT_STATUSES.filter(
  (status) => status !== 'deleted',
);

/** True when `deployment` may hold cloud resources: anything not deleted, but a lost one seen gone. */
export function isActive(deployment: Pick<Deployment, 'status' | 'cluster'>): boolean {
  if (deployment.status === 'deleted') return false;
  return !(deployment.status === 'lost' && deployment.cluster?.listed === false);
}

/** How many of `deployments` count against `maxActiveDeployments`. */
export function countActive(deployments: ReadonlyArray<Pick<Deployment, 'status' | 'cluster'>>): number {
  return deployments.filter(isActive).length;
}

/** True when `active` instances leave room for one more under `maxActiveDeployments`. */
export function hasCapacity(active: number, maxActiveDeployments: number): boolean {
  return active < maxActiveDeployments;
}

/** Deployments this system launched: an adopted cluster is not a launch (it counts for capacity only). */
export function launchesOf<T extends Pick<Deployment, 'origin'>>(deployments: readonly T[]): T[] {
  return deployments.filter((d) => d.origin !== 'adopted');
}

/**
 * The newest launch among `deployments` (any status, adopted clusters aside), by `createdAt`; on a tie the greater instance
 * name, so the choice never depends on the order the store returned them in. Null for none.
 */
export function newestLaunch<T extends Pick<Deployment, 'createdAt' | 'instance' | 'origin'>>(
  deployments: readonly T[],
): T | null {
  let newest: T | null = null;
  for (const d of launchesOf(deployments)) {
    const order = newest === null ? 1 : d.createdAt.getTime() - newest.createdAt.getTime();
    if (order > 0 || (order === 0 && newest !== null && d.instance > newest.instance)) newest = d;
  }
  return newest;
}

/**
 * When the rate limit of a version opens, from its deployments (any status): its newest launch +
 * `minMinutesBetweenDeployments`. Null when it never launched (nothing limits it).
 */
export function rateLimitOpensAt(
  ownDeployments: ReadonlyArray<Pick<Deployment, 'createdAt' | 'instance' | 'origin'>>,
  policy: Pick<Policy, 'minMinutesBetweenDeployments'>,
): Date | null {
  const newest = newestLaunch(ownDeployments);
  return newest === null ? null : addMinutes(newest.createdAt, policy.minMinutesBetweenDeployments);
}

/** True while the rate limit that opens at `opensAt` is still closed (exactly at `opensAt` it is open). */
export function isRateLimited(opensAt: Date | null, now: Date): boolean {
  return opensAt !== null && opensAt.getTime() > now.getTime();
}

/** When a launch made at `launchedAt` is due for its periodic redeploy. */
export function periodicRedeployAt(launchedAt: Date, policy: Pick<Policy, 'periodicRedeployHours'>): Date {
  return addHours(launchedAt, policy.periodicRedeployHours);
}

/** Until when a launch waits because a Job of the same commit still runs: one rate-limit interval. */
export function sameCommitJobWaitUntil(
  now: Date,
  policy: Pick<Policy, 'minMinutesBetweenDeployments'>,
): Date {
  return addMinutes(now, policy.minMinutesBetweenDeployments);
}

/** True when something that started at `since` is strictly older than `hours` at `now`. */
export function isOlderThan(since: Date, hours: number, now: Date): boolean {
  return now.getTime() - since.getTime() > hours * HOUR_MS;
}

/** True for a launch that ended without serving: it counts as a failed attempt of its commit. */
export function isFailedLaunch(d: Pick<Deployment, 'status' | 'readyAt' | 'error'>): boolean {
  if (
    d.status === 'failed' ||
    d.status === 'lost' ||
    d.status === 'unhealthy' ||
    d.status === 'teardown-failed'
  )
    return true;
  return (d.status === 'deleting' || d.status === 'deleted') && (d.readyAt === null || d.error !== null);
}

/**
 * How many launches of `commit` failed in a row, newest first, among a version's deployments: the count
 * stops at a launch of another commit (a new commit starts again) or at one that did not fail.
 */
export function consecutiveFailures<
  T extends Pick<Deployment, 'commit' | 'createdAt' | 'instance' | 'status' | 'readyAt' | 'error'>,
>(ownDeployments: readonly T[], commit: string): number {
  const newestFirst = [...ownDeployments].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.instance.localeCompare(a.instance),
  );
  let failures = 0;
  for (const d of newestFirst) {
    if (d.commit !== commit || !isFailedLaunch(d)) break;
    failures += 1;
  }
  return failures;
}

/** `retryBackoffMinutes`, doubled for each earlier attempt: the wait after the `attempts`-th failure. */
export function retryBackoffMinutes(attempts: number, policy: Pick<Policy, 'retryBackoffMinutes'>): number {
  return policy.retryBackoffMinutes * 2 ** Math.max(0, attempts - 1);
}

/** When the launch after the `attempts`-th failure (which happened at `failedAt`) may start. */
export function retryAt(failedAt: Date, attempts: number, policy: Pick<Policy, 'retryBackoffMinutes'>): Date {
  return addMinutes(failedAt, retryBackoffMinutes(attempts, policy));
}

/** When a teardown may start again after the `attempts`-th one left the cluster behind at `now`. */
export function nextTeardownAt(
  now: Date,
  attempts: number,
  policy: Pick<Policy, 'retryBackoffMinutes'>,
): Date {
  return addMinutes(now, retryBackoffMinutes(attempts, policy));
}

/** A deploy Job's `activeDeadlineSeconds`. */
export function deployDeadlineSeconds(policy: Pick<Policy, 'deployTimeoutMinutes'>): number {
  return Math.round(policy.deployTimeoutMinutes * 60);
}

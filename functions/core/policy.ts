/**
 * The deploy rules, in one place. Pure: plain data and `now` in, dates and booleans out. The numbers are
 * the `policy` of templates/deployments.yaml (defaults: the original reconciler's); the README
 * summarises these rules and points here.
 *
 * - Rate limit: at least `minMinutesBetweenDeployments` between two launches of one version. The limit
 *   opens at the version's newest launch (any status) + that interval; exactly at the boundary a launch
 *   is allowed. A manual (forced) deploy ignores it.
 * - Capacity: at most `maxActiveDeployments` instances counted as active (`ACTIVE_STATUSES`), over all
 *   versions. A forced deploy respects it.
 * - Periodic redeploy: the head commit is deployed again `periodicRedeployHours` after its newest launch,
 *   even when the branch has not moved. This is also the only automatic retry of a failed deploy of the
 *   head commit (besides a forced redeploy): a failure never loops.
 * - Same commit: a commit launching or deploying is never launched again; a new-commit deploy of a commit
 *   that is ready is skipped; while a Job of the same commit still runs on the cluster (even one Firestore
 *   does not know about), the launch waits one rate-limit interval.
 * - Garbage collection (gc.ts): an instance is collected only when older than `minLifetimeHours` and the
 *   next newer ready one is older than `gracePeriodHours` ("older than" is strict: `isOlderThan`).
 */

import { addHours, addMinutes, HOUR_MS } from './time.js';
import type { Deployment, DeploymentStatus, Policy } from './types.js';

/** Statuses that count against `maxActiveDeployments`. */
export const ACTIVE_STATUSES: readonly DeploymentStatus[] = ['launching', 'deploying', 'ready'];

/** True when `deployment` counts against `maxActiveDeployments`. */
export function isActive(deployment: Pick<Deployment, 'status'>): boolean {
  return ACTIVE_STATUSES.includes(deployment.status);
}

/** How many of `deployments` count against `maxActiveDeployments`. */
export function countActive(deployments: ReadonlyArray<Pick<Deployment, 'status'>>): number {
  return deployments.filter(isActive).length;
}

/** True when `active` instances leave room for one more under `maxActiveDeployments`. */
export function hasCapacity(active: number, maxActiveDeployments: number): boolean {
  return active < maxActiveDeployments;
}

/**
 * The newest launch among `deployments` (any status), by `createdAt`; on a tie the greater instance
 * name, so the choice never depends on the order the store returned them in. Null for none.
 */
export function newestLaunch<T extends Pick<Deployment, 'createdAt' | 'instance'>>(
  deployments: readonly T[],
): T | null {
  let newest: T | null = null;
  for (const d of deployments) {
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
  ownDeployments: ReadonlyArray<Pick<Deployment, 'createdAt' | 'instance'>>,
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

/**
 * Garbage collection of old Kubeflow instances. Pure: plain data and `now` in, decisions out.
 *
 * The original's rule: keep at least one instance per version; delete one only when it is older than
 * 3 h and the next newer one is also older than 3 h. Here, per version name (the numbers: policy.ts):
 * - a held (leased) deployment is never collected (`isHeld`);
 * - a ready (or adopted) X is collected when it is older than `minLifetimeHours`, some `ready` deployment
 *   of the version is newer, and the next newer ready one is older than `gracePeriodHours`: the newest
 *   ready one is always kept;
 * - a failed, lost or unhealthy X is collected once it stopped serving more than `failedRetentionHours`
 *   ago, whether or not a newer one is ready (it may still hold a cluster and its quota);
 * - an X whose earlier teardown left the cluster behind is collected again once `nextTeardownAt` passed;
 * - launching, deploying, verifying (in use), deleting, deleted (being or already collected) and
 *   teardown-failed (left to an operator) are never candidates;
 * - "older than" is strict (exactly 3 h is not older than 3 h); ages count from `createdAt`.
 */
import { formatAge } from './describe.js';
import { isOlderThan } from './policy.js';
import type { CollectDecision, Deployment, DeploymentStatus, Policy, VersionState } from './types.js';

/** Statuses GC may collect. */
export const COLLECTABLE_STATUSES: readonly DeploymentStatus[] = [
  'ready',
  'adopted',
  'failed',
  'lost',
  'unhealthy',
];

/** Statuses of instances that stopped serving: collected after `failedRetentionHours`. */
const BROKEN_STATUSES: readonly DeploymentStatus[] = ['failed', 'lost', 'unhealthy'];

/** A configured version's name and effective policy. */
export interface VersionPolicy {
  name: string;
  policy: Policy;
}

export interface CollectionOptions {
  /**
   * The global policy, applied to deployments of versions no longer configured. Without it those
   * deployments are kept (GC never deletes by a guessed rule).
   */
  policy?: Policy;
  /** True for a deployment someone holds (a future lease): it is never collected. Defaults to none. */
  isHeld?: (deployment: Deployment) => boolean;
}

/** Oldest first; ties broken by instance name, so the order is total and the output deterministic. */
function byAge(a: Deployment, b: Deployment): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || a.instance.localeCompare(b.instance);
}

/** Longest error text quoted in a reason. */
const MAX_ERROR_IN_REASON = 200;

function errorWords(deployment: Deployment): string {
  if (!deployment.error) return '';
  const error =
    deployment.error.length > MAX_ERROR_IN_REASON
      ? `${deployment.error.slice(0, MAX_ERROR_IN_REASON - 3)}...`
      : deployment.error;
  return ` (${error})`;
}

function toVersionPolicy(version: VersionState | VersionPolicy): VersionPolicy {
  return 'config' in version ? { name: version.config.name, policy: version.config.policy } : version;
}

/** When a broken instance stopped serving: it failed or was lost, or (unhealthy) its probes began failing. */
export function stoppedServingAt(d: Deployment): Date {
  if (d.status === 'unhealthy') {
    const became = d.transitions?.filter((t) => t.status === 'unhealthy').at(-1)?.at;
    return became ?? d.updatedAt;
  }
  return d.finishedAt ?? d.updatedAt;
}

function collect(candidate: Deployment, reason: string): CollectDecision {
  return {
    kind: 'collect',
    instance: candidate.instance,
    version: candidate.version,
    commit: candidate.commit,
    reason,
  };
}

/** A broken instance, or one whose last teardown left its cluster behind: collected after its wait. */
function collectBroken(candidate: Deployment, policy: Policy, now: Date): CollectDecision | null {
  const attempts = candidate.teardownAttempts ?? 0;
  if (attempts > 0 && candidate.nextTeardownAt) {
    if (candidate.nextTeardownAt.getTime() > now.getTime()) return null;
    return collect(
      candidate,
      `teardown attempt ${attempts + 1} of ${policy.maxTeardownAttempts}${errorWords(candidate)}`,
    );
  }
  if (!BROKEN_STATUSES.includes(candidate.status)) return null;
  const since = stoppedServingAt(candidate);
  if (!isOlderThan(since, policy.failedRetentionHours, now)) return null;
  return collect(
    candidate,
    `${candidate.status}${errorWords(candidate)}; ${formatAge(now.getTime() - since.getTime())} since it stopped serving`,
  );
}

/** A serving instance: collected once superseded by a newer ready one, both past their ages. */
function collectSuperseded(
  candidate: Deployment,
  newerReady: readonly Deployment[],
  policy: Policy,
  now: Date,
): CollectDecision | null {
  const next = newerReady[0];
  if (next === undefined || !isOlderThan(candidate.createdAt, policy.minLifetimeHours, now)) return null;
  if (!isOlderThan(next.createdAt, policy.gracePeriodHours, now)) return null;
  const ageOf = (d: Deployment) => formatAge(now.getTime() - d.createdAt.getTime());
  return collect(
    candidate,
    `superseded by ${next.instance} (ready, ${ageOf(next)} old); ${ageOf(candidate)} old`,
  );
}

function collectVersion(
  sorted: Deployment[],
  policy: Policy,
  now: Date,
  isHeld: (deployment: Deployment) => boolean,
): CollectDecision[] {
  const decisions: CollectDecision[] = [];
  sorted.forEach((candidate, index) => {
    if (!COLLECTABLE_STATUSES.includes(candidate.status) || isHeld(candidate)) return;
    const isServing = candidate.status === 'ready' || candidate.status === 'adopted';
    const decision =
      isServing && !(candidate.teardownAttempts ?? 0)
        ? collectSuperseded(
            candidate,
            sorted.slice(index + 1).filter((d) => d.status === 'ready'),
            policy,
            now,
          )
        : collectBroken(candidate, policy, now);
    if (decision) decisions.push(decision);
  });
  return decisions;
}

/**
 * Which deployments to tear down now, and why, oldest first within each version; configured versions
 * in the order given, then versions no longer configured in name order.
 */
export function planCollection(
  versions: ReadonlyArray<VersionState | VersionPolicy>,
  deployments: readonly Deployment[],
  now: Date,
  options: CollectionOptions = {},
): CollectDecision[] {
  const isHeld = options.isHeld ?? (() => false);
  const policies = new Map<string, Policy>();
  for (const version of versions.map(toVersionPolicy)) {
    if (!policies.has(version.name)) policies.set(version.name, version.policy);
  }
  const byVersion = new Map<string, Deployment[]>();
  for (const deployment of deployments) {
    const list = byVersion.get(deployment.version) ?? [];
    list.push(deployment);
    byVersion.set(deployment.version, list);
  }
  const unconfigured = [...byVersion.keys()].filter((name) => !policies.has(name)).sort();
  const decisions: CollectDecision[] = [];
  for (const name of [...policies.keys(), ...unconfigured]) {
    const policy = policies.get(name) ?? options.policy;
    const list = byVersion.get(name);
    if (policy === undefined || list === undefined) continue;
    decisions.push(...collectVersion([...list].sort(byAge), policy, now, isHeld));
  }
  return decisions;
}

/**
 * Garbage collection of old Kubeflow instances. Pure: plain data and `now` in, decisions out.
 *
 * The original's rule: keep at least one instance per version; delete one only when it is older than
 * 3 h and the next newer one is also older than 3 h. Here, per version name:
 * - only `ready`, `failed` and `lost` deployments are candidates (`launching`/`deploying` are in use,
 *   `deleting`/`deleted` are already being collected);
 * - a candidate X is collected only if some `ready` deployment of the same version is newer than X:
 *   nothing is collected while nothing newer is ready, so the newest ready one is always kept;
 * - a ready X is collected when it is older than `minLifetimeHours` and the next newer ready one is
 *   older than `gracePeriodHours`;
 * - a failed or lost X is collected when it is older than `minLifetimeHours`;
 * - "older than" is strict (exactly 3 h is not older than 3 h); ages count from `createdAt`;
 * - a held deployment (`isHeld`) is never collected: the seam for leases.
 */
import { formatAge } from './describe.js';
import { isOlderThan } from './policy.js';
import type { CollectDecision, Deployment, DeploymentStatus, Policy, VersionState } from './types.js';

/** Statuses GC may collect. */
export const COLLECTABLE_STATUSES: readonly DeploymentStatus[] = ['ready', 'failed', 'lost'];

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

function collectVersion(
  sorted: Deployment[],
  policy: Policy,
  now: Date,
  isHeld: (deployment: Deployment) => boolean,
): CollectDecision[] {
  const ageOf = (deployment: Deployment): number => now.getTime() - deployment.createdAt.getTime();
  const decisions: CollectDecision[] = [];
  sorted.forEach((candidate, index) => {
    if (!COLLECTABLE_STATUSES.includes(candidate.status) || isHeld(candidate)) return;
    const newerReady = sorted.slice(index + 1).filter((deployment) => deployment.status === 'ready');
    const next = newerReady[0];
    const newest = newerReady.at(-1);
    if (next === undefined || newest === undefined) return;
    const age = ageOf(candidate);
    if (!isOlderThan(candidate.createdAt, policy.minLifetimeHours, now)) return;
    const old = `${formatAge(age)} old`;
    if (candidate.status === 'ready') {
      const nextAge = ageOf(next);
      if (!isOlderThan(next.createdAt, policy.gracePeriodHours, now)) return;
      decisions.push({
        kind: 'collect',
        instance: candidate.instance,
        version: candidate.version,
        commit: candidate.commit,
        reason: `superseded by ${next.instance} (ready, ${formatAge(nextAge)} old); ${old}`,
      });
      return;
    }
    decisions.push({
      kind: 'collect',
      instance: candidate.instance,
      version: candidate.version,
      commit: candidate.commit,
      reason: `${candidate.status}${errorWords(candidate)}; superseded by ${newest.instance} (ready); ${old}`,
    });
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

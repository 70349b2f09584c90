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
import { addHours } from './time.js';
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

/**
 * Why GC keeps an instance this pass (the rule that keeps it), for the dry run (`GET /api/plan`):
 * - `leased`: a test holds a live lease on it;
 * - `in-progress` (launching, deploying, verifying), `being-deleted` (deleting), `deleted`,
 *   `teardown-failed` (left to an operator): its status is never collected;
 * - `newest-ready`: no ready instance of its version is newer (the newest ready one is always kept);
 * - `min-lifetime`: not yet older than `minLifetimeHours` (`until`);
 * - `grace-period`: the next newer ready one (`newer`) is not yet older than `gracePeriodHours` (`until`);
 * - `failed-retention`: stopped serving less than `failedRetentionHours` ago (`until`);
 * - `teardown-backoff`: a teardown left its cluster behind; the next attempt waits (`until`);
 * - `unconfigured`: its version is no longer configured and no global policy was given.
 */
export type KeepRule =
  | 'leased'
  | 'in-progress'
  | 'being-deleted'
  | 'deleted'
  | 'teardown-failed'
  | 'newest-ready'
  | 'min-lifetime'
  | 'grace-period'
  | 'failed-retention'
  | 'teardown-backoff'
  | 'unconfigured';

/** GC keeps the instance this pass, by `rule`; `until`: when that rule stops keeping it, if time alone can. */
export interface KeepVerdict {
  kind: 'keep';
  instance: string;
  version: string;
  commit: string;
  rule: KeepRule;
  until?: Date;
  /** grace-period: the newer ready instance whose age is awaited. */
  newer?: string;
}

/** What GC decides for one instance: collect it (with the reason) or keep it (with the rule). */
export type CollectionVerdict = CollectDecision | KeepVerdict;

/** The rule that keeps an instance of a status GC never collects. */
const STATUS_KEEP_RULES: Partial<Record<DeploymentStatus, KeepRule>> = {
  launching: 'in-progress',
  deploying: 'in-progress',
  verifying: 'in-progress',
  deleting: 'being-deleted',
  deleted: 'deleted',
  'teardown-failed': 'teardown-failed',
};

function keep(
  candidate: Deployment,
  rule: KeepRule,
  extra: Pick<KeepVerdict, 'until' | 'newer'> = {},
): KeepVerdict {
  const { instance, version, commit } = candidate;
  return { kind: 'keep', instance, version, commit, rule, ...extra };
}

/** A broken instance, or one whose last teardown left its cluster behind: collected after its wait. */
function collectBroken(candidate: Deployment, policy: Policy, now: Date): CollectionVerdict {
  const attempts = candidate.teardownAttempts ?? 0;
  if (attempts > 0 && candidate.nextTeardownAt) {
    if (candidate.nextTeardownAt.getTime() > now.getTime()) {
      return keep(candidate, 'teardown-backoff', { until: candidate.nextTeardownAt });
    }
    return collect(
      candidate,
      `teardown attempt ${attempts + 1} of ${policy.maxTeardownAttempts}${errorWords(candidate)}`,
    );
  }
  // A serving instance a teardown was tried on, without a retry time: it waits for that teardown.
  if (!BROKEN_STATUSES.includes(candidate.status)) return keep(candidate, 'teardown-backoff');
  const since = stoppedServingAt(candidate);
  if (!isOlderThan(since, policy.failedRetentionHours, now)) {
    return keep(candidate, 'failed-retention', { until: addHours(since, policy.failedRetentionHours) });
  }
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
): CollectionVerdict {
  const next = newerReady[0];
  if (next === undefined) return keep(candidate, 'newest-ready');
  if (!isOlderThan(candidate.createdAt, policy.minLifetimeHours, now)) {
    return keep(candidate, 'min-lifetime', { until: addHours(candidate.createdAt, policy.minLifetimeHours) });
  }
  if (!isOlderThan(next.createdAt, policy.gracePeriodHours, now)) {
    const until = addHours(next.createdAt, policy.gracePeriodHours);
    return keep(candidate, 'grace-period', { until, newer: next.instance });
  }
  const ageOf = (d: Deployment) => formatAge(now.getTime() - d.createdAt.getTime());
  return collect(
    candidate,
    `superseded by ${next.instance} (ready, ${ageOf(next)} old); ${ageOf(candidate)} old`,
  );
}

function verdictsOfVersion(
  sorted: Deployment[],
  policy: Policy,
  now: Date,
  isHeld: (deployment: Deployment) => boolean,
): CollectionVerdict[] {
  return sorted.map((candidate, index) => {
    if (!COLLECTABLE_STATUSES.includes(candidate.status)) {
      return keep(candidate, STATUS_KEEP_RULES[candidate.status] ?? 'in-progress');
    }
    if (isHeld(candidate)) return keep(candidate, 'leased');
    const isServing = candidate.status === 'ready' || candidate.status === 'adopted';
    if (isServing && !(candidate.teardownAttempts ?? 0)) {
      const newerReady = sorted.slice(index + 1).filter((d) => d.status === 'ready');
      return collectSuperseded(candidate, newerReady, policy, now);
    }
    return collectBroken(candidate, policy, now);
  });
}

/**
 * What GC decides for every deployment, and why: collect (with the reason) or keep (with the rule that
 * keeps it). Oldest first within each version; configured versions in the order given, then versions no
 * longer configured in name order. Pure; `planCollection` is its collect verdicts.
 */
export function explainCollection(
  versions: ReadonlyArray<VersionState | VersionPolicy>,
  deployments: readonly Deployment[],
  now: Date,
  options: CollectionOptions = {},
): CollectionVerdict[] {
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
  const verdicts: CollectionVerdict[] = [];
  for (const name of [...policies.keys(), ...unconfigured]) {
    const policy = policies.get(name) ?? options.policy;
    const sorted = [...(byVersion.get(name) ?? [])].sort(byAge);
    if (policy === undefined) verdicts.push(...sorted.map((d) => keep(d, 'unconfigured')));
    else verdicts.push(...verdictsOfVersion(sorted, policy, now, isHeld));
  }
  return verdicts;
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
  return explainCollection(versions, deployments, now, options).filter(
    (verdict): verdict is CollectDecision => verdict.kind === 'collect',
  );
}

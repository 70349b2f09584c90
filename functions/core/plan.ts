/**
 * The deploy planner: per version, deploy now / deploy later / wait, and why; plus what GC collects.
 * Pure: plain data and `now` in, a Plan out.
 */
import { planCollection } from './gc.js';
import { deployRequestId, deployWindow } from './names.js';
import {
  ACTIVE_STATUSES,
  type CollectDecision,
  type Deployment,
  type DeployReason,
  type DeployRequest,
  type DeployRequestStatus,
  type Plan,
  type Policy,
  type VersionDecision,
  type VersionState,
} from './types.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Request statuses that are still to be acted on. */
export const OPEN_REQUEST_STATUSES: readonly DeployRequestStatus[] = ['pending', 'enqueued', 'deferred'];

export interface PlanInput {
  now: Date;
  maxActiveDeployments: number;
  /** Configured versions in config order; each `config.policy` is the effective policy. */
  versions: VersionState[];
  /** Every deployment not deleted, plus deleted ones launched recently (they carry the rate limit). */
  deployments: Deployment[];
  /** Open requests (pending, enqueued, deferred); teardown requests and closed ones are ignored. */
  openRequests: DeployRequest[];
  /** The global policy: GC of deployments of versions no longer configured (kept without it). */
  policy?: Policy;
  /** GC seam for leases: a held deployment is never collected. */
  isHeld?: (deployment: Deployment) => boolean;
}

function newestLaunch(deployments: readonly Deployment[]): Deployment | null {
  let newest: Deployment | null = null;
  for (const d of deployments) {
    if (
      newest === null ||
      d.createdAt.getTime() > newest.createdAt.getTime() ||
      (d.createdAt.getTime() === newest.createdAt.getTime() && d.instance > newest.instance)
    ) {
      newest = d;
    }
  }
  return newest;
}

function later(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

type Candidate = { reason: DeployReason; notBefore: Date; windowAt: Date | null };

/**
 * One planner pass. GC runs first, so instances it collects in this pass no longer count against
 * `maxActiveDeployments`. Then, per version in config order:
 *
 * a) paused (config or switch) -> wait `paused` (GC still runs; paused beats forceRedeploy);
 * b) no head, or the branch was deleted -> wait `no-commit`;
 * c) an open deploy request for the version -> wait `rate-limited` until its `notBefore` when that is
 *    still ahead, else wait `in-progress` (or `at-capacity` when the worker deferred it and the active
 *    deployments still fill every slot);
 * d) with L the version's newest launch (any status), and the head commit:
 *    - the head commit is launching or deploying -> wait `in-progress` (also under forceRedeploy: the
 *      worker would skip a second launch of it; the switch stays set and acts once that one is done);
 *    - forceRedeploy -> deploy `manual` now (no rate limit);
 *    - head != L.commit (or no L): a ready deployment of the head commit exists (a force-push back)
 *      -> wait `up-to-date`; else deploy `new-commit`;
 *    - head == L.commit: deploy `periodic` once `now >= L.createdAt + periodicRedeployHours`, else wait
 *      `up-to-date`. A failed or lost launch of the head commit is thus retried only by the periodic
 *      rule or a manual force, never in a loop;
 *    - a deploy's `notBefore` is max(now, L.createdAt + minMinutesBetweenDeployments) (manual: now);
 *      exactly at a boundary is allowed;
 * e) capacity: active = ACTIVE_STATUSES deployments of all versions not collected in this pass + open
 *    deploy requests not launched yet (each once) + deploys decided earlier in this pass; a deploy when
 *    active >= maxActiveDeployments becomes wait `at-capacity`.
 */
export function planDeploys(input: PlanInput): Plan {
  const { now } = input;
  const collect: CollectDecision[] = planCollection(input.versions, input.deployments, now, {
    ...(input.policy ? { policy: input.policy } : {}),
    ...(input.isHeld ? { isHeld: input.isHeld } : {}),
  });
  const collected = new Set(collect.map((c) => c.instance));
  const launchedRequestIds = new Set(input.deployments.map((d) => d.requestId));

  const openById = new Map<string, DeployRequest>();
  for (const request of input.openRequests) {
    if (request.action === 'deploy' && OPEN_REQUEST_STATUSES.includes(request.status)) {
      openById.set(request.id, request);
    }
  }
  const open = [...openById.values()];
  const activeDeployments = input.deployments.filter(
    (d) => ACTIVE_STATUSES.includes(d.status) && !collected.has(d.instance),
  ).length;
  let active = activeDeployments + open.filter((r) => !launchedRequestIds.has(r.id)).length;

  const decide = (state: VersionState): VersionDecision => {
    const { config, switches, head } = state;
    const version = config.name;
    if (config.paused || switches.paused) return { kind: 'wait', version, reason: 'paused' };
    if (head === null || head.deleted) return { kind: 'wait', version, reason: 'no-commit' };

    const request = open
      .filter((r) => r.version === version)
      .sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime())[0];
    if (request) {
      if (request.notBefore.getTime() > now.getTime()) {
        return {
          kind: 'wait',
          version,
          reason: 'rate-limited',
          until: request.notBefore,
          commit: request.commit,
        };
      }
      if (request.status === 'deferred' && activeDeployments >= input.maxActiveDeployments) {
        return {
          kind: 'wait',
          version,
          reason: 'at-capacity',
          active: activeDeployments,
          commit: request.commit,
        };
      }
      return { kind: 'wait', version, reason: 'in-progress', commit: request.commit };
    }

    const own = input.deployments.filter((d) => d.version === version);
    const ofHead = own.filter((d) => d.commit === head.sha);
    if (ofHead.some((d) => d.status === 'launching' || d.status === 'deploying')) {
      return { kind: 'wait', version, reason: 'in-progress', commit: head.sha };
    }
    const newest = newestLaunch(own);
    const rateOpens =
      newest === null
        ? now
        : later(
            now,
            new Date(newest.createdAt.getTime() + config.policy.minMinutesBetweenDeployments * MINUTE_MS),
          );
    let candidate: Candidate;
    if (switches.forceRedeploy) {
      candidate = { reason: 'manual', notBefore: now, windowAt: now };
    } else if (newest === null || newest.commit !== head.sha) {
      if (ofHead.some((d) => d.status === 'ready')) {
        return { kind: 'wait', version, reason: 'up-to-date', commit: head.sha };
      }
      candidate = { reason: 'new-commit', notBefore: rateOpens, windowAt: newest?.createdAt ?? null };
    } else {
      const periodicAt = newest.createdAt.getTime() + config.policy.periodicRedeployHours * HOUR_MS;
      if (now.getTime() < periodicAt)
        return { kind: 'wait', version, reason: 'up-to-date', commit: head.sha };
      candidate = { reason: 'periodic', notBefore: rateOpens, windowAt: newest.createdAt };
    }

    if (active >= input.maxActiveDeployments) {
      return { kind: 'wait', version, reason: 'at-capacity', active, commit: head.sha };
    }
    active += 1;
    return {
      kind: 'deploy',
      version,
      commit: head.sha,
      reason: candidate.reason,
      notBefore: candidate.notBefore,
      requestId: deployRequestId(version, head.sha, deployWindow(candidate.reason, candidate.windowAt)),
    };
  };

  return { versions: input.versions.map(decide), collect };
}

/**
 * The deploy planner: per version, deploy now / deploy later / wait, and why; plus what GC collects.
 * Pure: plain data and `now` in, a Plan out. The rules it applies are in policy.ts.
 */
import { planCollection } from './gc.js';
import { deployRequestId, deployWindow } from './names.js';
import {
  consecutiveFailures,
  countActive,
  hasCapacity,
  isFailedLaunch,
  newestLaunch,
  periodicRedeployAt,
  rateLimitOpensAt,
  retryAt,
} from './policy.js';
import { isOpenRequest, isSupersededRequest } from './requests.js';
import { laterOf } from './time.js';
import type {
  CollectDecision,
  Deployment,
  DeployReason,
  DeployRequest,
  Plan,
  Policy,
  VersionDecision,
  VersionState,
} from './types.js';

export interface PlanInput {
  now: Date;
  maxActiveDeployments: number;
  /** Configured versions in config order; each `config.policy` is the effective policy. */
  versions: VersionState[];
  /** Every deployment not deleted, plus deleted ones launched recently (they carry the rate limit). */
  deployments: Deployment[];
  /**
   * Open requests (pending, enqueued, deferred); teardown requests, closed ones, and deploy requests
   * for a commit that is no longer their version's head (superseded) are ignored.
   */
  openRequests: DeployRequest[];
  /** The global policy: GC of deployments of versions no longer configured (kept without it). */
  policy?: Policy;
  /** GC seam for leases: a held deployment is never collected. */
  isHeld?: (deployment: Deployment) => boolean;
}

type Candidate = { reason: DeployReason; notBefore: Date; windowAt: Date | null; attempt?: number };

/** What the pass knows while it decides version after version. */
interface PassState {
  now: Date;
  maxActiveDeployments: number;
  deployments: readonly Deployment[];
  /** Open deploy requests for their version's head, each once (superseded ones are left to the worker). */
  open: readonly DeployRequest[];
  /** Active deployments not collected in this pass. */
  activeDeployments: number;
  /** activeDeployments + open requests not launched yet + deploys decided earlier in this pass. */
  active: number;
}

/**
 * c) an open deploy request for the version's head: wait `rate-limited` until its `notBefore` when
 * that is still ahead, else `in-progress` (or `at-capacity` when the worker deferred it and the active
 * deployments still fill every slot). Null when the version has none: a request for an older commit
 * does not count (the worker skips it as superseded), so a push never waits behind the one before it.
 */
function waitForOpenRequest(version: string, pass: PassState): VersionDecision | null {
  const request = pass.open
    .filter((r) => r.version === version)
    .sort((a, b) => a.notBefore.getTime() - b.notBefore.getTime())[0];
  if (!request) return null;
  const commit = request.commit;
  // Pending with an error: the last enqueue failed, so nothing is deploying yet; say so, not "deploying".
  if (request.status === 'pending' && request.error) {
    return { kind: 'wait', version, reason: 'not-queued', commit, error: request.error };
  }
  if (request.notBefore.getTime() > pass.now.getTime()) {
    return { kind: 'wait', version, reason: 'rate-limited', until: request.notBefore, commit };
  }
  if (request.status === 'deferred' && !hasCapacity(pass.activeDeployments, pass.maxActiveDeployments)) {
    return { kind: 'wait', version, reason: 'at-capacity', active: pass.activeDeployments, commit };
  }
  return { kind: 'wait', version, reason: 'in-progress', commit };
}

/** The head commit is being launched, deployed or verified: its outcome is not known yet. */
const IN_PROGRESS: ReadonlySet<string> = new Set(['launching', 'deploying', 'verifying']);

/**
 * d) what the head commit needs given the version's launches: a forced deploy now, a new-commit deploy,
 * a retry of a failed launch, a periodic one, or a wait (`in-progress`, `up-to-date`, `failed`).
 */
function candidateFor(state: VersionState, head: string, pass: PassState): Candidate | VersionDecision {
  const { config, switches } = state;
  const version = config.name;
  const own = pass.deployments.filter((d) => d.version === version);
  const ofHead = own.filter((d) => d.commit === head);
  if (ofHead.some((d) => IN_PROGRESS.has(d.status))) {
    return { kind: 'wait', version, reason: 'in-progress', commit: head };
  }
  const { now } = pass;
  if (switches.forceRedeploy) return { reason: 'manual', notBefore: now, windowAt: now };
  const newest = newestLaunch(own);
  const notBefore = laterOf(now, rateLimitOpensAt(own, config.policy) ?? now);
  if (newest === null || newest.commit !== head) {
    if (ofHead.some((d) => d.status === 'ready')) {
      return { kind: 'wait', version, reason: 'up-to-date', commit: head };
    }
    return { reason: 'new-commit', notBefore, windowAt: newest?.createdAt ?? null };
  }
  const isPeriodicDue = now.getTime() >= periodicRedeployAt(newest.createdAt, config.policy).getTime();
  if (isFailedLaunch(newest)) return retryCandidate(state, own, newest, notBefore, isPeriodicDue);
  if (!isPeriodicDue) return { kind: 'wait', version, reason: 'up-to-date', commit: head };
  return { reason: 'periodic', notBefore, windowAt: newest.createdAt };
}

/**
 * The head commit's newest launch failed: retry after the backoff while attempts remain; once they ran
 * out, only the periodic rule (or a new commit, or a force) launches it again.
 */
function retryCandidate(
  state: VersionState,
  own: readonly Deployment[],
  failed: Deployment,
  notBefore: Date,
  isPeriodicDue: boolean,
): Candidate | VersionDecision {
  const { policy, name: version } = state.config;
  const attempts = consecutiveFailures(own, failed.commit);
  if (attempts < policy.maxDeployAttempts) {
    const failedAt = failed.finishedAt ?? failed.updatedAt;
    const at = laterOf(notBefore, retryAt(failedAt, attempts, policy));
    return { reason: 'retry', notBefore: at, windowAt: failed.createdAt, attempt: attempts + 1 };
  }
  if (isPeriodicDue) return { reason: 'periodic', notBefore, windowAt: failed.createdAt };
  return { kind: 'wait', version, reason: 'failed', commit: failed.commit, attempts };
}

function decideVersion(state: VersionState, pass: PassState): VersionDecision {
  const { config, switches, head } = state;
  const version = config.name;
  if (config.paused || switches.paused) return { kind: 'wait', version, reason: 'paused' };
  if (switches.drained) return { kind: 'wait', version, reason: 'drained' };
  if (head === null || head.deleted) return { kind: 'wait', version, reason: 'no-commit' };
  const waiting = waitForOpenRequest(version, pass);
  if (waiting) return waiting;
  const candidate = candidateFor(state, head.sha, pass);
  if ('kind' in candidate) return candidate;
  if (!hasCapacity(pass.active, pass.maxActiveDeployments)) {
    return { kind: 'wait', version, reason: 'at-capacity', active: pass.active, commit: head.sha };
  }
  pass.active += 1;
  return {
    kind: 'deploy',
    version,
    commit: head.sha,
    reason: candidate.reason,
    notBefore: candidate.notBefore,
    requestId: deployRequestId(version, head.sha, deployWindow(candidate.reason, candidate.windowAt)),
    ...(candidate.attempt === undefined
      ? {}
      : { attempt: candidate.attempt, maxAttempts: config.policy.maxDeployAttempts }),
  };
}

/**
 * How many of the open requests not launched yet take a slot. Those of a version outside this pass
 * (a per-version pass, use-cases/plan-tasks.ts, reads no other version's head) cannot be told
 * superseded or not; a version has one head, so at most one of them is for it: one per version.
 */
function countOpen(open: readonly DeployRequest[], heads: ReadonlyMap<string, unknown>): number {
  const outside = new Set(open.filter((r) => !heads.has(r.version)).map((r) => r.version));
  return open.filter((r) => heads.has(r.version)).length + outside.size;
}

/**
 * One planner pass: what GC collects, then per version in config order (the rules themselves: policy.ts):
 *
 * a) paused (config or switch) -> wait `paused`; else drained (the global switch) -> wait `drained` (GC
 *    still runs; both beat forceRedeploy);
 * b) no head, or the branch was deleted -> wait `no-commit`;
 * c) an open deploy request for the version's head -> wait for it (`rate-limited`, `in-progress`,
 *    `at-capacity`); one for an older commit is superseded: it neither blocks nor takes a slot;
 * d) the head commit launching, deploying or verifying -> wait `in-progress` (also under forceRedeploy:
 *    the switch stays set and acts once that launch is done); forceRedeploy -> deploy `manual` now; a head
 *    that is not the newest launch's commit -> deploy `new-commit` (or `up-to-date` when the head commit is
 *    ready: a force-push back); the head's newest launch failed -> deploy `retry` after the backoff while
 *    attempts remain, else `periodic` once due, else wait `failed`; else deploy `periodic` once due, or
 *    `up-to-date`. A deploy's `notBefore` is when the rate limit opens (manual: now; retry: the backoff too);
 * e) capacity: every deployment that may hold cloud resources (collected ones too: they count until gone)
 *    + open deploy requests for a head not launched yet (each once) + deploys decided earlier in this pass; a deploy
 *    without room becomes `at-capacity`.
 */
export function planDeploys(input: PlanInput): Plan {
  const { now } = input;
  const collect: CollectDecision[] = planCollection(input.versions, input.deployments, now, {
    ...(input.policy ? { policy: input.policy } : {}),
    ...(input.isHeld ? { isHeld: input.isHeld } : {}),
  });
  const launchedRequestIds = new Set(input.deployments.map((d) => d.requestId));
  const heads = new Map(input.versions.map((state) => [state.config.name, state.head]));
  const openById = new Map<string, DeployRequest>();
  for (const request of input.openRequests) {
    if (request.action !== 'deploy' || !isOpenRequest(request)) continue;
    if (isSupersededRequest(request, heads.get(request.version))) continue;
    openById.set(request.id, request);
  }
  const open = [...openById.values()];
  const activeDeployments = countActive(input.deployments);
  const pass: PassState = {
    now,
    maxActiveDeployments: input.maxActiveDeployments,
    deployments: input.deployments,
    open,
    activeDeployments,
    active:
      activeDeployments +
      countOpen(
        open.filter((r) => !launchedRequestIds.has(r.id)),
        heads,
      ),
  };
  return { versions: input.versions.map((state) => decideVersion(state, pass)), collect };
}

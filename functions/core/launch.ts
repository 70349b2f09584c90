/**
 * The worker's decisions for a deploy request: whether to launch now (`decideLaunch`, the re-check of
 * the planner's limits at execution time) and what its Firestore transaction writes (`claimLaunch`).
 * Pure: what the transaction read and `now` in, the step and the writes as data out. The rules are in
 * policy.ts; the teardown's claim is in teardown.ts.
 */

import type { Lease } from './leases.js';
import { credentialsCommand, endpointUrl, instanceName, kfDefUrlAt } from './names.js';
import {
  countActive,
  hasCapacity,
  isRateLimited,
  rateLimitOpensAt,
  sameCommitJobWaitUntil,
} from './policy.js';
import { addSeconds } from './time.js';
import type {
  Deployment,
  DeploymentsConfig,
  DeployReason,
  DeployRequest,
  VersionConfig,
  VersionState,
} from './types.js';

/**
 * How long a worker holds a `launching` (or a `deleting` being started) deployment before another
 * delivery may take the step over: Cloud Tasks' default dispatch deadline for HTTP tasks, so a worker
 * still inside its deadline is never overtaken.
 */
export const LAUNCH_LEASE_SECONDS = 600;

/** How many instance names a launch tries when one is taken (3 hex characters can collide). */
export const INSTANCE_NAME_ATTEMPTS = 5;

/** When a step claimed at `now` stops protecting its worker. */
export function launchLeaseExpiry(now: Date): Date {
  return addSeconds(now, LAUNCH_LEASE_SECONDS);
}

/** True while a step lease expiring at `leaseExpiresAt` still protects its holder. */
export function isLeaseHeld(leaseExpiresAt: Date | null, now: Date): boolean {
  return (leaseExpiresAt?.getTime() ?? 0) > now.getTime();
}

/** The worker's decision when a deploy request's task fires. */
export type LaunchDecision =
  | { kind: 'launch' }
  | {
      kind: 'defer';
      reason: 'rate-limited' | 'at-capacity' | 'paused' | 'drained' | 'job-running';
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

/** Why the request is moot, or null: step 1 of decideLaunch. */
function skipReason(input: LaunchInput, own: readonly Deployment[]): LaunchDecision | null {
  const { request, version } = input;
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
  return null;
}

/**
 * Re-checks at execution time the limits the planner applied, since things moved since the plan:
 * 1. skip when a deployment already carries this request id (`already-launched`), when the head is no
 *    longer the request's commit or the branch is gone (`superseded`), when the commit is launching or
 *    deploying (`in-progress`), when the commit is ready and the request is a new-commit one, or when
 *    the commit was launched again after the request was made (`already-deployed`); a periodic or manual
 *    request may redeploy a commit that is only ready;
 * 2. defer while the version is paused (config or switch) or drained (the global switch);
 * 3. defer until `notBefore` when the task fired early, and, except for manual requests, until the
 *    version's rate limit opens;
 * 4. defer while capacity is full;
 * 5. defer while a Job of the same commit is still running on the cluster.
 */
export function decideLaunch(input: LaunchInput): LaunchDecision {
  const { request, version, now } = input;
  const policy = version.config.policy;
  const own = input.deployments.filter((d) => d.version === version.config.name);
  const skip = skipReason(input, own);
  if (skip) return skip;
  if (version.config.paused || version.switches.paused) return { kind: 'defer', reason: 'paused' };
  if (version.switches.drained) return { kind: 'defer', reason: 'drained' };
  if (request.notBefore.getTime() > now.getTime()) {
    return { kind: 'defer', reason: 'rate-limited', until: request.notBefore };
  }
  const opensAt = request.reason === 'manual' ? null : rateLimitOpensAt(own, policy);
  if (opensAt !== null && isRateLimited(opensAt, now)) {
    return { kind: 'defer', reason: 'rate-limited', until: opensAt };
  }
  const active = countActive(input.deployments);
  if (!hasCapacity(active, input.maxActiveDeployments))
    return { kind: 'defer', reason: 'at-capacity', active };
  if (input.runningJob) {
    return {
      kind: 'defer',
      reason: 'job-running',
      until: sameCommitJobWaitUntil(now, policy),
      job: input.runningJob,
    };
  }
  return { kind: 'launch' };
}

// ---------------------------------------------------------------------------------------------------------
// The launch claim: what the worker's transaction writes

/** What the worker's transaction read about one request. */
export interface LaunchView {
  request: DeployRequest | null;
  /** Null when the request's version is no longer configured. */
  version: VersionState | null;
  /** The version's deployments and every active one. */
  deployments: Deployment[];
  /** Which of `instanceNameCandidates(request)` already name a deployment. */
  takenInstances: ReadonlySet<string>;
  now: Date;
  /** A running deploy Job of the request's commit, as `runningJobOf` answered (null: none, or not asked). */
  runningJob: string | null;
}

/** What a launch claim is asked with (LaunchStore.claimLaunch). */
export interface LaunchClaimInput {
  requestId: string;
  versions: VersionConfig[];
  now: Date;
  candidateNames: (request: DeployRequest) => string[];
  /**
   * Asked as soon as the transaction has read a deploy request, while the rest of the view is read:
   * the worker asks the cluster for a running deploy Job of the same commit (`view.runningJob`), so
   * the transaction waits for one round trip less.
   */
  runningJobOf?: (request: DeployRequest) => Promise<string | null>;
  /**
   * The request, when the caller has not stored it (a plan task launching the deploy it has just
   * decided, use-cases/plan-and-enqueue.ts): the claim's transaction creates it, with what the claim
   * records on it, when `requestId` is absent; a stored one is claimed as any task's delivery would be.
   */
  create?: DeployRequest;
}

/** Writes a claim makes, as data; the store applies them in the same transaction. */
export interface ClaimWrites {
  request?: Partial<Omit<DeployRequest, 'id'>>;
  createDeployment?: Deployment;
  deployment?: { instance: string; patch: Partial<Deployment> };
  /** Leases written whole (a forced teardown revokes the live leases of its instance). */
  leases?: Lease[];
}

/** The worker's outcome, mapped to HTTP for Cloud Tasks: `retry` is a 5xx, `done` a 2xx. */
export type WorkerOutcome =
  | { kind: 'done'; result: string; instance?: string; job?: string; detail?: string }
  | { kind: 'retry'; result: string; detail: string };

/** The next step of a deploy request after its claim. */
export type LaunchStep =
  | { kind: 'outcome'; outcome: WorkerOutcome }
  | { kind: 'teardown'; request: DeployRequest }
  | {
      kind: 'launch';
      deployment: Deployment;
      request: DeployRequest;
      /**
       * The claim recorded the deployment just now: no delivery has created its Job yet, so the worker
       * creates it without listing first (a Job left under the same name, e.g. after its record was
       * deleted by hand, answers 409 and is adopted then). False when a delivery takes a launch over.
       */
      isNewLaunch: boolean;
    };

export interface LaunchClaim {
  step: LaunchStep;
  writes: ClaimWrites;
}

/** The deploy settings a launch needs besides the request. */
export type LaunchSettings = Pick<DeploymentsConfig, 'namespace' | 'project' | 'zone'> & {
  maxActiveDeployments: number;
};

/** The instance names a launch of `request` at `now` tries, in order (deterministic per request). */
export function instanceNameCandidates(request: Pick<DeployRequest, 'id' | 'version'>, now: Date): string[] {
  return Array.from({ length: INSTANCE_NAME_ATTEMPTS }, (_, attempt) =>
    instanceName(request.version, now, attempt === 0 ? request.id : `${request.id}#${attempt}`),
  );
}

/** The record of a new launch of `request` as `instance`, `launching` under a fresh lease. */
export function newDeployment(
  request: DeployRequest,
  version: VersionState['config'],
  instance: string,
  settings: Pick<LaunchSettings, 'namespace' | 'project' | 'zone'>,
  now: Date,
): Deployment {
  return {
    instance,
    version: version.name,
    repo: version.repo,
    branch: version.branch,
    commit: request.commit,
    reason: request.reason as DeployReason,
    requestId: request.id,
    status: 'launching',
    namespace: settings.namespace,
    jobName: null,
    teardownJobName: null,
    kfctlUrl: version.kfctlUrl,
    kfDefUrl: kfDefUrlAt(version.repo, request.commit, version.kfDefPath),
    endpoint: endpointUrl(instance, settings.project),
    credentialsCommand: credentialsCommand(instance, settings.project, settings.zone),
    createdAt: now,
    updatedAt: now,
    readyAt: null,
    finishedAt: null,
    deletingAt: null,
    deletedAt: null,
    launchLeaseExpiresAt: launchLeaseExpiry(now),
    error: null,
    attempt: request.attempt ?? 1,
    origin: 'launch',
  };
}

type DoneDetails = Omit<Extract<WorkerOutcome, { kind: 'done' }>, 'kind' | 'result'>;

const done = (result: string, extra: DoneDetails = {}): LaunchStep => ({
  kind: 'outcome',
  outcome: { kind: 'done', result, ...extra },
});

/** A retried delivery of a request that already launched: done, busy, or take the launch over. */
function claimAlreadyLaunched(request: DeployRequest, deployment: Deployment, now: Date): LaunchClaim {
  if (deployment.status !== 'launching') {
    return {
      step: done('already-launched', { instance: deployment.instance }),
      writes: { request: { status: 'done', updatedAt: now, error: null } },
    };
  }
  if (isLeaseHeld(deployment.launchLeaseExpiresAt, now)) {
    const detail = `${deployment.instance} is being launched by another delivery`;
    return { step: { kind: 'outcome', outcome: { kind: 'retry', result: 'busy', detail } }, writes: {} };
  }
  // The delivery that held the launch died or timed out: take it over.
  const patch = { launchLeaseExpiresAt: launchLeaseExpiry(now), updatedAt: now };
  return {
    step: { kind: 'launch', deployment: { ...deployment, ...patch }, request, isNewLaunch: false },
    writes: { deployment: { instance: deployment.instance, patch } },
  };
}

/** Words for a deferral, stored on the request. */
function deferralWords(decision: Extract<LaunchDecision, { kind: 'defer' }>): string {
  return decision.reason === 'job-running'
    ? `Job ${decision.job} of the same commit is still running`
    : decision.reason;
}

/**
 * The worker's transaction for a deploy request, decided: close a request that is unknown, closed,
 * unconfigured or moot; defer it (with when); hand a teardown request on; or record a new deployment
 * (`launching`, under a lease, with the first free candidate name) to launch. A retried delivery of a
 * request that already launched is done, busy (another delivery holds a live lease: retry later) or
 * takes the launch over (the lease expired).
 */
export function claimLaunch(requestId: string, view: LaunchView, settings: LaunchSettings): LaunchClaim {
  const { request, version, now } = view;
  if (!request)
    return { step: done('unknown-request', { detail: `no deploy request ${requestId}` }), writes: {} };
  if (request.status === 'done' || request.status === 'failed') {
    return { step: done(`already-${request.status}`), writes: {} };
  }
  if (request.action === 'teardown') return { step: { kind: 'teardown', request }, writes: {} };
  if (!version) {
    const error = `version ${request.version} is no longer configured`;
    return {
      step: done('version-not-configured'),
      writes: { request: { status: 'failed', updatedAt: now, error } },
    };
  }
  const decision = decideLaunch({
    request,
    version,
    deployments: view.deployments,
    maxActiveDeployments: settings.maxActiveDeployments,
    runningJob: view.runningJob,
    now,
  });
  if (decision.kind === 'skip' && decision.reason === 'already-launched') {
    const deployment = view.deployments.find((d) => d.requestId === request.id) as Deployment;
    return claimAlreadyLaunched(request, deployment, now);
  }
  if (decision.kind === 'skip') {
    return {
      step: done(`skipped-${decision.reason}`, decision.instance ? { instance: decision.instance } : {}),
      writes: { request: { status: 'done', updatedAt: now, error: `skipped: ${decision.reason}` } },
    };
  }
  if (decision.kind === 'defer') {
    return {
      step: done(`deferred-${decision.reason}`, decision.job ? { job: decision.job } : {}),
      writes: {
        request: {
          status: 'deferred',
          notBefore: decision.until ?? request.notBefore,
          updatedAt: now,
          error: `deferred: ${deferralWords(decision)}`,
        },
      },
    };
  }
  const instance = instanceNameCandidates(request, now).find((name) => !view.takenInstances.has(name));
  if (instance === undefined) {
    throw new Error(`no free instance name for ${request.id} after ${INSTANCE_NAME_ATTEMPTS} attempts`);
  }
  const deployment = newDeployment(request, version.config, instance, settings, now);
  return {
    step: { kind: 'launch', deployment, request, isNewLaunch: true },
    writes: { createDeployment: deployment, request: { updatedAt: now, error: null } },
  };
}

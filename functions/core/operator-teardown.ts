/**
 * An operator's teardown of one instance, now (`POST /api/deployments/<instance>/teardown`): it becomes
 * the same teardown request GC makes (`deployRequests/teardown-<instance>-<n>`, core/requests.ts), so the
 * worker carries it out as usual; `force` lets it through live leases (the worker's check too:
 * core/teardown.ts). Pure: what the store's transaction read, who asked and `now` in; the writes out.
 */

import { type Lease, liveLeases } from './leases.js';
import { teardownRequestId } from './names.js';
import { askerWords, type OperatorAsk, type OperatorEvent, operatorEvent } from './operator.js';
import { newRequest } from './requests.js';
import type { Deployment, DeployRequest } from './types.js';

/** Statuses whose Job is still at work: the worker would refuse to tear them down. */
const IN_PROGRESS: ReadonlySet<string> = new Set(['launching', 'deploying', 'verifying']);

/** What an operator's teardown asks: who and why, and whether live leases may be overridden. */
export interface TeardownAsk extends OperatorAsk {
  force: boolean;
}

/** What the store's transaction read for an operator's teardown. */
export interface OperatorTeardownView {
  deployment: Deployment | null;
  /** The instance's leases, any status (the live ones stop the teardown unless forced). */
  leases: readonly Lease[];
  /** The request of id `operatorTeardownRequestId(deployment)`, when it exists. */
  existing: DeployRequest | null;
}

export type OperatorTeardownOutcome =
  /** 404. */
  | { kind: 'unknown-instance'; instance: string }
  /** 200, nothing written: the instance is deleted or already being torn down. */
  | { kind: 'unchanged'; deployment: Deployment }
  /** 409: its deploy Job is still at work (launching, deploying, verifying). */
  | { kind: 'in-progress'; deployment: Deployment }
  /** 409: tests hold live leases on it; `force` overrides them. */
  | { kind: 'leased'; deployment: Deployment; leases: Lease[] }
  /**
   * 202: the teardown request is pending (or was already pending or queued: `changed` false). With
   * `force`, `overriddenLeases` are the live leases it goes through.
   */
  | {
      kind: 'requested';
      deployment: Deployment;
      request: DeployRequest;
      changed: boolean;
      overriddenLeases: Lease[];
    };

export interface OperatorTeardownClaim {
  outcome: OperatorTeardownOutcome;
  /** `request`: written whole (created, or reopened); `event`: the version's history. */
  writes: { request?: DeployRequest; event?: OperatorEvent };
}

/** The id GC would give the instance's next teardown: one request per teardown attempt, shared with GC. */
export function operatorTeardownRequestId(deployment: Pick<Deployment, 'instance' | 'deletingAt'>): string {
  return teardownRequestId(deployment.instance, deployment.deletingAt?.getTime() ?? 0);
}

function reasonWords(ask: TeardownAsk): string {
  const who = askerWords(ask) ?? 'an unauthenticated caller';
  const forced = ask.force ? ', leases overridden' : '';
  return `operator teardown (${who}${forced}): ${ask.reason ?? 'no reason given'}`;
}

/** The request to write: a new one, or `existing` reopened (its enqueue count kept: a new task name). */
function pendingRequest(
  id: string,
  deployment: Deployment,
  existing: DeployRequest | null,
  ask: TeardownAsk,
  now: Date,
): DeployRequest {
  const base: DeployRequest =
    existing ??
    newRequest(
      {
        id,
        action: 'teardown',
        version: deployment.version,
        commit: deployment.commit,
        reason: '',
        instance: deployment.instance,
        notBefore: now,
      },
      now,
    );
  const force = ask.force || existing?.force === true;
  return {
    ...base,
    reason: reasonWords(ask),
    status: 'pending',
    notBefore: now,
    updatedAt: now,
    error: null,
    ...(force ? { force: true } : {}),
  };
}

/**
 * - no such instance: `unknown-instance`;
 * - deleted or deleting: `unchanged`; launching, deploying or verifying: `in-progress`;
 * - live leases and no `force`: `leased`;
 * - its teardown request already pending or queued (and forced, when `force` is asked): `requested`,
 *   unchanged;
 * - otherwise the request is written pending (created, or reopened when deferred, closed, or not yet
 *   forced), and the event recorded: the next enqueue (the API's, else the tick's) queues it.
 */
export function decideOperatorTeardown(
  instance: string,
  view: OperatorTeardownView,
  ask: TeardownAsk,
  now: Date,
): OperatorTeardownClaim {
  const { deployment, existing } = view;
  if (deployment === null) return { outcome: { kind: 'unknown-instance', instance }, writes: {} };
  const { status } = deployment;
  if (status === 'deleted' || status === 'deleting') {
    return { outcome: { kind: 'unchanged', deployment }, writes: {} };
  }
  if (IN_PROGRESS.has(status)) return { outcome: { kind: 'in-progress', deployment }, writes: {} };
  const live = liveLeases(view.leases, now);
  if (live.length > 0 && !ask.force) {
    return { outcome: { kind: 'leased', deployment, leases: live }, writes: {} };
  }
  const overriddenLeases = ask.force ? live : [];
  const isQueued = existing?.status === 'pending' || existing?.status === 'enqueued';
  if (existing && isQueued && (existing.force === true || !ask.force)) {
    const outcome = {
      kind: 'requested',
      deployment,
      request: existing,
      changed: false,
      overriddenLeases,
    } as const;
    return { outcome, writes: {} };
  }
  const request = pendingRequest(operatorTeardownRequestId(deployment), deployment, existing, ask, now);
  const event = operatorEvent(deployment.version, 'teardown', ask, now, {
    instance,
    requestId: request.id,
    force: ask.force,
  });
  return {
    outcome: { kind: 'requested', deployment, request, changed: true, overriddenLeases },
    writes: { request, event },
  };
}

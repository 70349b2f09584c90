/**
 * The dry run (`GET /api/plan`): what the next tick's plan would do right now, and why, computed by the
 * planner itself (plan.ts, gc.ts, requests.ts) on what the store holds, without writing anything. Per
 * version: deploy (when, why) or wait (why, until when); per instance: collect (why) or keep (the rule
 * that keeps it); per request: whether the pass would queue it. Pure: the snapshot and `now` in, JSON out.
 *
 * The tick runs other steps before planning (poll, refresh, inventory, probes, expired leases): what
 * they change is not foreseen here.
 */
import { describeDecision } from './describe.js';
import { type CollectionVerdict, explainCollection } from './gc.js';
import { heldByLeases, type Lease, liveLeasesByInstance } from './leases.js';
import type { DrainState, VersionControl } from './operator.js';
import { type PlanInput, planDeploys } from './plan.js';
import { keepWords } from './plan-view-words.js';
import type { PipelineSnapshot } from './ports.js';
import { isDueForEnqueue, requestsForPlan } from './requests.js';
import type { Deployment, DeploymentsConfig, DeployRequest, VersionDecision } from './types.js';

/** What the dry run reads. */
export interface PlanViewInput {
  snapshot: PipelineSnapshot;
  config: DeploymentsConfig;
  now: Date;
  drain: DrainState;
  /** The operator fields of each version (who paused it, why), by name; absent: none. */
  controls: ReadonlyMap<string, VersionControl>;
}

const iso = (date: Date | null | undefined): string | null => date?.toISOString() ?? null;

/** A version's next decision. */
export interface PlanVersionJson {
  version: string;
  kind: VersionDecision['kind'];
  reason: string;
  /** The decision in words, as the status page says it. */
  text: string;
  commit: string | null;
  /** deploy: not before then (the rate limit, a retry's backoff). */
  notBefore: string | null;
  /** wait: until then (rate-limited). */
  until: string | null;
  requestId: string | null;
  /** Paused by an operator: who, why, since when (null: not paused by the switch). */
  paused: { reason: string; by: string | null; at: string | null } | null;
  /** Paused in the deployments file. */
  configPaused: boolean;
  forceRedeploy: boolean;
}

/** An instance: what GC does with it this pass. */
export interface PlanInstanceJson {
  instance: string;
  version: string;
  status: string;
  commit: string;
  createdAt: string;
  verdict: 'collect' | 'keep';
  /** collect: the reason in words; keep: the rule (core/gc.ts `KeepRule`). */
  rule: string | null;
  reason: string;
  /** keep: when that rule stops keeping it, if time alone can. */
  until: string | null;
  leases: Array<{ leaseId: string; owner: string; expiresAt: string }>;
}

/** A request the pass would make or find: whether it would queue it now. */
export interface PlanRequestJson {
  id: string;
  action: DeployRequest['action'];
  version: string;
  instance: string | null;
  commit: string;
  /** `new`: the pass would record it; else the stored status. */
  status: DeployRequest['status'] | 'new';
  notBefore: string;
  wouldEnqueue: boolean;
  error: string | null;
}

export interface PlanViewJson {
  at: string;
  drain: { drained: boolean; reason: string; by: string | null; claimedBy: string | null; at: string | null };
  versions: PlanVersionJson[];
  instances: PlanInstanceJson[];
  requests: PlanRequestJson[];
}

/** The planner's input from a snapshot, exactly as the tick's plan step builds it. */
export function planInputFor(snapshot: PipelineSnapshot, config: DeploymentsConfig, now: Date): PlanInput {
  return {
    now,
    maxActiveDeployments: config.policy.maxActiveDeployments,
    versions: snapshot.versions,
    deployments: snapshot.deployments,
    openRequests: snapshot.openRequests,
    policy: config.policy,
    isHeld: heldByLeases(snapshot.leases, now),
  };
}

function versionJson(
  decision: VersionDecision,
  input: PlanViewInput,
  configPaused: boolean,
): PlanVersionJson {
  const control = input.controls.get(decision.version);
  const isDeploy = decision.kind === 'deploy';
  return {
    version: decision.version,
    kind: decision.kind,
    reason: decision.reason,
    text: describeDecision(decision, input.now),
    commit: decision.commit ?? null,
    notBefore: isDeploy ? iso(decision.notBefore) : null,
    until: isDeploy ? null : iso(decision.until),
    requestId: (isDeploy ? decision.requestId : null) ?? null,
    paused: control?.paused
      ? { reason: control.pausedReason, by: control.pausedBy, at: iso(control.pausedAt) }
      : null,
    configPaused,
    forceRedeploy: control?.forceRedeploy ?? false,
  };
}

function instanceJson(
  verdict: CollectionVerdict,
  deployment: Deployment,
  leases: readonly Lease[],
  input: PlanViewInput,
): PlanInstanceJson {
  const isCollect = verdict.kind === 'collect';
  return {
    instance: deployment.instance,
    version: deployment.version,
    status: deployment.status,
    commit: deployment.commit,
    createdAt: deployment.createdAt.toISOString(),
    verdict: verdict.kind,
    rule: isCollect ? null : verdict.rule,
    reason: isCollect ? verdict.reason : keepWords(verdict, deployment, leases, input.now),
    until: isCollect ? null : iso(verdict.until),
    leases: leases.map((lease) => ({
      leaseId: lease.leaseId,
      owner: lease.owner,
      expiresAt: lease.expiresAt.toISOString(),
    })),
  };
}

function requestJson(request: DeployRequest, status: PlanRequestJson['status'], wouldEnqueue: boolean) {
  return {
    id: request.id,
    action: request.action,
    version: request.version,
    instance: request.instance,
    commit: request.commit,
    status,
    notBefore: request.notBefore.toISOString(),
    wouldEnqueue,
    error: request.error,
  };
}

/** The requests of the pass: those it would record, then the open ones and whether it would queue them. */
function requestsOfPass(input: PlanViewInput, plan: ReturnType<typeof planDeploys>): PlanRequestJson[] {
  const { snapshot, now } = input;
  const open = new Map(snapshot.openRequests.map((request) => [request.id, request]));
  const wanted = requestsForPlan(plan, snapshot.deployments, now, null).filter((r) => !open.has(r.id));
  const decisions = new Map(plan.versions.map((decision) => [decision.version, decision]));
  const collecting = new Set(plan.collect.map((c) => c.instance));
  return [
    ...wanted.map((request) => requestJson(request, 'new', true)),
    ...[...open.values()].map((request) =>
      requestJson(
        request,
        request.status,
        isDueForEnqueue(request, decisions.get(request.version), now, collecting),
      ),
    ),
  ];
}

/** The dry run of the next plan. */
export function planView(input: PlanViewInput): PlanViewJson {
  const { snapshot, config, now, drain } = input;
  const planInput = planInputFor(snapshot, config, now);
  const plan = planDeploys(planInput);
  const configPaused = new Map(config.versions.map((version) => [version.name, version.paused]));
  const verdicts = explainCollection(snapshot.versions, snapshot.deployments, now, {
    policy: config.policy,
    ...(planInput.isHeld ? { isHeld: planInput.isHeld } : {}),
  });
  const byInstance = new Map(snapshot.deployments.map((d) => [d.instance, d]));
  const leases = liveLeasesByInstance(snapshot.leases, now);
  const instances = verdicts.flatMap((verdict) => {
    const deployment = byInstance.get(verdict.instance);
    if (!deployment || deployment.status === 'deleted') return [];
    return [instanceJson(verdict, deployment, leases.get(verdict.instance) ?? [], input)];
  });
  return {
    at: now.toISOString(),
    drain: { ...drain, at: iso(drain.at) },
    versions: plan.versions.map((d) => versionJson(d, input, configPaused.get(d.version) ?? false)),
    instances,
    requests: requestsOfPass(input, plan),
  };
}

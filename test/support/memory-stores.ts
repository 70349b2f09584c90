/**
 * In-memory implementations of the ports (core/ports.ts), for unit tests of the use cases: one shared
 * state, one small store per port, like the Firestore adapters. They keep the contracts that matter to
 * the use cases (create-once requests, guarded updates, claims that read, decide and write at once);
 * the Firestore adapters' own suites test the real thing against the emulator.
 */

import { advanceHead } from '../../functions/core/intake.js';
import type { ClaimWrites } from '../../functions/core/launch.js';
import type { AcquireClaim, AcquireOutcome, AcquireView } from '../../functions/core/lease-acquire.js';
import type { Lease, LeaseChange } from '../../functions/core/leases.js';
import { branchDocId } from '../../functions/core/names.js';
import {
  type DrainState,
  NO_DRAIN,
  type OperatorEvent,
  type VersionControl,
} from '../../functions/core/operator.js';
import {
  decidePendingPlan,
  type PendingPlanClaim,
  type PendingPlanStore,
} from '../../functions/core/pending-plans.js';
import { ACTIVE_STATUSES } from '../../functions/core/policy.js';
import type {
  PollAnswer,
  PolledHead,
  PollTaskFailure,
  RecordedPollState,
} from '../../functions/core/poll.js';
import {
  type CloudCluster,
  type ClusterInventory,
  type CommitSource,
  type DeploymentStore,
  type DeployQueue,
  type EndpointProbe,
  type EnqueueMark,
  type EnqueueResult,
  type IntakeStore,
  JobApiError,
  type JobLauncher,
  type LaunchStore,
  type LeaseStore,
  type PipelineSnapshot,
  type PlanStore,
  type PollStore,
  type RecordPushResult,
  type RequestPatch,
  type StoredDecision,
  type WorkQueue,
} from '../../functions/core/ports.js';
import { enqueuedPatch, enqueueFailedPatch, isOpenRequest } from '../../functions/core/requests.js';
import type { WorkTask } from '../../functions/core/task-body.js';
import type {
  BranchHead,
  Deployment,
  DeploymentStatus,
  DeployRequest,
  JobSummary,
  PushEvent,
  VersionConfig,
  VersionSwitches,
} from '../../functions/core/types.js';

/** A deployment with `patch` applied, its new status (if any) appended to `transitions`, as the Firestore stores do. */
export function applyDeploymentPatch(current: Deployment, patch: Partial<Deployment>): Deployment {
  const next = { ...current, ...patch };
  if (patch.status === undefined) return next;
  const at = patch.updatedAt ?? current.updatedAt;
  return { ...next, transitions: [...(current.transitions ?? []), { status: patch.status, at }] };
}

/** Everything the stores hold. Tests read and seed it directly. */
export class MemoryState {
  readonly switches = new Map<string, VersionSwitches>();
  readonly decisions = new Map<string, StoredDecision & { decidedAt: Date }>();
  readonly heads = new Map<string, BranchHead>();
  readonly etags = new Map<string, string | null>();
  /** The head each remembered ETag was answered for (`poll.sha`). */
  readonly etagShas = new Map<string, string | null>();
  /** Poll task failures by branch key, as branches/{key}.poll records them. */
  readonly pollTaskFailures = new Map<string, PollTaskFailure>();
  readonly deliveries = new Set<string>();
  readonly deployments = new Map<string, Deployment>();
  readonly requests = new Map<string, DeployRequest>();
  readonly leases = new Map<string, Lease>();
  /** How many times each store method was called, by name. */
  readonly calls = new Map<string, number>();
  /** The global drain (control/drain); `versionState` gives each version its `drained` switch. */
  drain: DrainState = NO_DRAIN;
  /** Who paused each version and why (the rest of versions/{name}'s operator fields: `switches`). */
  readonly pauseDetails = new Map<string, Pick<VersionControl, 'pausedReason' | 'pausedBy' | 'pausedAt'>>();
  /** Every operator event recorded, in order. */
  readonly events: OperatorEvent[] = [];

  count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  setHead(repo: string, branch: string, sha: string, deleted = false): void {
    this.heads.set(branchDocId(repo, branch), {
      repo,
      branch,
      sha,
      deleted,
      updatedAt: new Date(0),
      pushedAt: null,
      forced: false,
      source: 'webhook',
      deliveryId: null,
      recentShas: [],
    });
  }

  versionState(config: VersionConfig) {
    const head = this.heads.get(branchDocId(config.repo, config.branch));
    return {
      config,
      switches: {
        ...(this.switches.get(config.name) ?? { paused: false, forceRedeploy: false }),
        ...(this.drain.drained ? { drained: true } : {}),
      },
      head: head
        ? { sha: head.sha, deleted: head.deleted, ...(head.inDoubt ? { inDoubt: true as const } : {}) }
        : null,
    };
  }

  /** Copies, so a store's caller never mutates the state by accident. */
  deploymentList(): Deployment[] {
    return [...this.deployments.values()].map((d) => ({ ...d }));
  }

  /** Copies of the leases that `filter` keeps. */
  leaseList(filter: (lease: Lease) => boolean = () => true): Lease[] {
    return [...this.leases.values()].filter(filter).map((lease) => ({ ...lease }));
  }
}

export class MemoryIntakeStore implements IntakeStore {
  constructor(private readonly state: MemoryState) {}

  async recordPush(
    push: PushEvent,
    branch: string,
    _versions: string[],
    now: Date,
  ): Promise<RecordPushResult> {
    this.state.count('recordPush');
    if (this.state.deliveries.has(push.deliveryId)) return { kind: 'duplicate', status: 'recorded' };
    this.state.deliveries.add(push.deliveryId);
    const key = branchDocId(push.repo, branch);
    const head = advanceHead(this.state.heads.get(key) ?? null, push, branch, now);
    if (head.isMoved) this.state.heads.set(key, head.head);
    return { kind: 'recorded', head, commitsRecorded: push.commits.length };
  }

  async syncVersions(versions: VersionConfig[]): Promise<void> {
    this.state.count('syncVersions');
    for (const version of versions) {
      if (!this.state.switches.has(version.name)) {
        this.state.switches.set(version.name, { paused: false, forceRedeploy: false });
      }
    }
  }

  async getBranchHead(repo: string, branch: string): Promise<BranchHead | null> {
    return this.state.heads.get(branchDocId(repo, branch)) ?? null;
  }
}

export class MemoryPollStore implements PollStore {
  constructor(private readonly state: MemoryState) {}

  async readPollState(repo: string, branch: string): Promise<RecordedPollState> {
    const key = branchDocId(repo, branch);
    const head = this.state.heads.get(key);
    return {
      sha: head?.sha ?? null,
      deleted: head?.deleted ?? false,
      etag: this.state.etags.get(key) ?? null,
      etagSha: this.state.etagShas.get(key) ?? null,
    };
  }

  async writePollState(repo: string, branch: string, answer: PollAnswer): Promise<void> {
    this.state.etags.set(branchDocId(repo, branch), answer.etag);
    this.state.etagShas.set(branchDocId(repo, branch), answer.sha);
  }

  async confirmHead(repo: string, branch: string, sha: string): Promise<void> {
    const key = branchDocId(repo, branch);
    const head = this.state.heads.get(key);
    if (head?.sha === sha) this.state.heads.set(key, { ...head, inDoubt: false });
  }

  async recordPollTaskFailure(repo: string, branch: string, error: string, at: Date): Promise<void> {
    const key = branchDocId(repo, branch);
    this.state.pollTaskFailures.set(key, { key, at, error });
  }

  async listPollTaskFailures(since: Date): Promise<PollTaskFailure[]> {
    return [...this.state.pollTaskFailures.values()].filter((f) => f.at.getTime() >= since.getTime());
  }
}

export class MemoryPlanStore implements PlanStore {
  constructor(private readonly state: MemoryState) {}

  async readSnapshot(
    configs: VersionConfig[],
    _now: Date,
    options: { headsAfter?: Promise<unknown> } = {},
  ): Promise<PipelineSnapshot> {
    this.state.count('readSnapshot');
    await options.headsAfter;
    return {
      versions: configs.map((config) => this.state.versionState(config)),
      deployments: this.state.deploymentList(),
      openRequests: [...this.state.requests.values()].filter(isOpenRequest).map((r) => ({ ...r })),
      leases: this.state.leaseList((lease) => lease.status === 'active'),
    };
  }

  async createRequest(request: DeployRequest): Promise<{ request: DeployRequest; isNew: boolean }> {
    this.state.count('createRequest');
    const existing = this.state.requests.get(request.id);
    if (existing) return { request: { ...existing }, isNew: false };
    this.state.requests.set(request.id, { ...request });
    const switches = this.state.switches.get(request.version);
    if (request.reason === 'manual' && switches?.forceRedeploy) {
      this.state.switches.set(request.version, { ...switches, forceRedeploy: false });
    }
    return { request, isNew: true };
  }

  async markEnqueued(id: string, mark: EnqueueMark): Promise<void> {
    this.state.count('markEnqueued');
    const request = this.state.requests.get(id) ?? null;
    const patch = enqueuedPatch(request, mark);
    if (request && patch) this.state.requests.set(id, { ...request, ...patch });
  }

  async markEnqueueFailed(id: string, error: string, now: Date, expectedCount = 0): Promise<void> {
    const request = this.state.requests.get(id) ?? null;
    const patch = enqueueFailedPatch(request, { expectedCount, error, now });
    if (request && patch) this.state.requests.set(id, { ...request, ...patch });
  }

  async writeDecisions(decisions: StoredDecision[], now: Date): Promise<void> {
    this.state.count('writeDecisions');
    for (const decision of decisions) {
      this.state.decisions.set(decision.decision.version, { ...decision, decidedAt: now });
    }
  }
}

export class MemoryDeploymentStore implements DeploymentStore {
  constructor(private readonly state: MemoryState) {}

  async listDeployments(statuses: readonly DeploymentStatus[]): Promise<Deployment[]> {
    return this.state.deploymentList().filter((d) => statuses.includes(d.status));
  }

  async listRecentDeployments(): Promise<Deployment[]> {
    return this.state.deploymentList();
  }

  async updateDeploymentIf(
    deployment: Deployment,
    patch: Partial<Deployment>,
  ): Promise<'updated' | 'changed-meanwhile'> {
    const current = this.state.deployments.get(deployment.instance);
    if (!current || current.status !== deployment.status || +current.updatedAt !== +deployment.updatedAt) {
      return 'changed-meanwhile';
    }
    this.state.deployments.set(deployment.instance, applyDeploymentPatch(current, patch));
    return 'updated';
  }

  async createDeploymentIfAbsent(deployment: Deployment): Promise<boolean> {
    if (this.state.deployments.has(deployment.instance)) return false;
    this.state.deployments.set(deployment.instance, {
      ...deployment,
      transitions: [{ status: deployment.status, at: deployment.createdAt }],
    });
    return true;
  }
}

/** Clusters held in memory; `failNext` makes the next listings throw. */
export class MemoryInventory implements ClusterInventory {
  readonly clusters: CloudCluster[] = [];
  failNext = 0;

  add(name: string, labels: Record<string, string> = {}, createdAt: Date | null = null): void {
    this.clusters.push({ name, location: 'us-east1-d', status: 'RUNNING', labels, createdAt });
  }

  remove(name: string): void {
    const index = this.clusters.findIndex((cluster) => cluster.name === name);
    if (index >= 0) this.clusters.splice(index, 1);
  }

  async listClusters(): Promise<CloudCluster[]> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('PERMISSION_DENIED: the inventory cannot be listed');
    }
    return this.clusters.map((cluster) => ({ ...cluster }));
  }
}

/** Probe answers by URL (a status, or null for no answer); every probe is recorded. */
export class MemoryProbe implements EndpointProbe {
  readonly answers = new Map<string, number | null>();
  readonly probed: string[] = [];

  async probe(url: string): Promise<{ status: number | null; error: string | null }> {
    this.probed.push(url);
    const status = this.answers.has(url) ? (this.answers.get(url) ?? null) : null;
    return { status, error: status === null ? 'connection refused' : null };
  }
}

export class MemoryLaunchStore implements LaunchStore {
  /** Runs before each claim's decision: lets a test change the state "concurrently". */
  beforeClaim: (() => void) | null = null;

  constructor(private readonly state: MemoryState) {}

  async getRequest(id: string): Promise<DeployRequest | null> {
    const request = this.state.requests.get(id);
    return request ? { ...request } : null;
  }

  async claimLaunch(
    claim: Parameters<LaunchStore['claimLaunch']>[0],
    decide: Parameters<LaunchStore['claimLaunch']>[1],
  ) {
    this.beforeClaim?.();
    const stored = (await this.getRequest(claim.requestId)) ?? null;
    const creates = stored === null ? (claim.create ?? null) : null;
    const request = stored ?? creates;
    const config = request ? claim.versions.find((v) => v.name === request.version) : undefined;
    const candidates = request && config && request.action === 'deploy' ? claim.candidateNames(request) : [];
    const deployments = this.state
      .deploymentList()
      .filter((d) => d.version === request?.version || ACTIVE_STATUSES.includes(d.status));
    const isDeploy = request?.action === 'deploy';
    const runningJob = isDeploy && claim.runningJobOf ? await claim.runningJobOf(request) : null;
    const { step, writes } = await decide({
      request,
      version: config ? this.state.versionState(config) : null,
      deployments,
      takenInstances: new Set(candidates.filter((name) => this.state.deployments.has(name))),
      now: claim.now,
      runningJob,
    });
    this.applyClaimWrites(claim.requestId, writes, creates);
    return step;
  }

  /** A claim's writes, as the Firestore store applies them; `creates`: the request to store with them. */
  private applyClaimWrites(requestId: string, writes: ClaimWrites, creates: DeployRequest | null): void {
    if (writes.createDeployment) {
      if (this.state.deployments.has(writes.createDeployment.instance)) throw new Error('ALREADY_EXISTS');
      const created = writes.createDeployment;
      this.state.deployments.set(created.instance, {
        ...created,
        transitions: [{ status: created.status, at: created.createdAt }],
      });
    }
    if (writes.deployment) this.patchDeployment(writes.deployment.instance, writes.deployment.patch);
    if (creates) this.state.requests.set(creates.id, { ...creates, ...writes.request });
    else if (writes.request) this.patchRequest({ id: requestId, patch: writes.request });
  }

  async claimTeardown(requestId: string, decide: Parameters<LaunchStore['claimTeardown']>[1]) {
    const request = await this.getRequest(requestId);
    const stored = request?.instance ? this.state.deployments.get(request.instance) : undefined;
    const leases = this.state.leaseList((lease) => lease.instance === request?.instance);
    const { step, writes } = await decide({ request, deployment: stored ? { ...stored } : null, leases });
    if (writes.deployment) this.patchDeployment(writes.deployment.instance, writes.deployment.patch);
    if (writes.request) this.patchRequest({ id: requestId, patch: writes.request });
    for (const lease of writes.leases ?? []) this.state.leases.set(lease.leaseId, { ...lease });
    return step;
  }

  async finishStep(instance: string, patch: Partial<Deployment>, request?: RequestPatch): Promise<void> {
    this.patchDeployment(instance, patch);
    if (request) this.patchRequest(request);
  }

  private patchDeployment(instance: string, patch: Partial<Deployment>): void {
    const current = this.state.deployments.get(instance);
    if (!current) throw new Error(`NOT_FOUND: deployment ${instance}`);
    this.state.deployments.set(instance, applyDeploymentPatch(current, patch));
  }

  private patchRequest({ id, patch }: RequestPatch): void {
    const current = this.state.requests.get(id);
    if (!current) throw new Error(`NOT_FOUND: request ${id}`);
    this.state.requests.set(id, { ...current, ...patch });
  }
}

/** Leases in memory; each change reads, decides and writes at once, as the Firestore store's transactions do. */
export class MemoryLeaseStore implements LeaseStore {
  constructor(private readonly state: MemoryState) {}

  async acquire(
    query: { leaseId: string; instance: string | null },
    decide: (view: AcquireView) => AcquireClaim | Promise<AcquireClaim>,
  ): Promise<AcquireOutcome> {
    this.state.count('acquire');
    const existing = this.state.leases.get(query.leaseId);
    const deployments = this.state
      .deploymentList()
      .filter((d) => (query.instance === null ? d.status === 'ready' : d.instance === query.instance));
    const { outcome, create } = await decide({ existing: existing ? { ...existing } : null, deployments });
    if (create) {
      if (this.state.leases.has(create.leaseId)) throw new Error('ALREADY_EXISTS');
      this.state.leases.set(create.leaseId, { ...create });
    }
    return outcome;
  }

  async changeLease<R>(leaseId: string, decide: (lease: Lease) => LeaseChange<R>): Promise<R | null> {
    this.state.count('changeLease');
    const lease = this.state.leases.get(leaseId);
    if (!lease) return null;
    const { result, next } = decide({ ...lease });
    if (next) this.state.leases.set(leaseId, { ...next });
    return result;
  }

  async getLease(leaseId: string): Promise<Lease | null> {
    const lease = this.state.leases.get(leaseId);
    return lease ? { ...lease } : null;
  }

  async listActiveLeases(): Promise<Lease[]> {
    return this.state.leaseList((lease) => lease.status === 'active');
  }
}

/** The pending-plan marks in memory, decided by the same rule as the Firestore store. */
export class MemoryPendingPlanStore implements PendingPlanStore {
  readonly marks = new Map<string, Date>();

  async markPending(version: string, now: Date): Promise<PendingPlanClaim> {
    const markedAt = this.marks.get(version);
    const decision = decidePendingPlan(markedAt ? { markedAt } : null, now);
    if (decision.kind === 'covered') return decision;
    this.marks.set(version, now);
    return { kind: 'marked', markedAt: now };
  }

  async clearPending(version: string): Promise<void> {
    this.marks.delete(version);
  }
}

/** A queue that records tasks and answers a repeated name as Cloud Tasks does (not new). */
export class MemoryQueue implements DeployQueue, WorkQueue {
  readonly tasks: Array<{ requestId: string; taskName: string; notBefore: Date }> = [];
  /** Plan and poll tasks handed over, by name (a repeated name is ALREADY_EXISTS). */
  readonly workTasks = new Map<string, WorkTask>();
  /** The next this-many enqueues throw. */
  failNext = 0;

  async enqueue(task: { requestId: string; taskName: string; notBefore: Date }): Promise<EnqueueResult> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('UNAVAILABLE: the queue is down');
    }
    const isNew = !this.tasks.some((t) => t.taskName === task.taskName);
    if (isNew) this.tasks.push(task);
    return { taskName: task.taskName, isNew };
  }

  async enqueueWork(task: WorkTask, taskName: string): Promise<EnqueueResult> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('UNAVAILABLE: the queue is down');
    }
    const isNew = !this.workTasks.has(taskName);
    if (isNew) this.workTasks.set(taskName, task);
    return { taskName, isNew };
  }
}

/**
 * Jobs held in memory; `fail` makes the next calls of a method throw the given error. A create of a
 * name that exists answers 409, as the API server does. `calls` lists every call, in order.
 */
export class MemoryJobs implements JobLauncher {
  readonly jobs: JobSummary[] = [];
  readonly calls: Array<{ method: 'createJob' | 'listJobs' | 'deleteJob'; detail: string }> = [];
  private created = 0;
  readonly failures = new Map<'createJob' | 'listJobs' | 'deleteJob', unknown[]>();

  constructor(private readonly clock: () => Date = () => new Date(0)) {}

  fail(method: 'createJob' | 'listJobs' | 'deleteJob', ...errors: unknown[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
  }

  private maybeFail(method: 'createJob' | 'listJobs' | 'deleteJob'): void {
    const queued = this.failures.get(method);
    if (queued && queued.length > 0) throw queued.shift();
  }

  async createJob(namespace: string, manifest: Record<string, unknown>): Promise<JobSummary> {
    const metadata = manifest.metadata as {
      generateName?: string;
      name?: string;
      labels?: Record<string, string>;
    };
    this.calls.push({ method: 'createJob', detail: metadata.name ?? metadata.generateName ?? '' });
    this.maybeFail('createJob');
    if (metadata.name && this.jobs.some((job) => job.namespace === namespace && job.name === metadata.name)) {
      throw new JobApiError(`jobs.batch "${metadata.name}" already exists`, 409, false);
    }
    this.created += 1;
    const job: JobSummary = {
      name: metadata.name ?? `${metadata.generateName ?? 'job-'}${String(this.created).padStart(5, '0')}`,
      namespace,
      labels: { ...metadata.labels },
      state: 'running',
      createdAt: this.clock(),
      message: null,
    };
    this.jobs.push(job);
    return { ...job };
  }

  async listJobs(namespace: string, labels: Record<string, string>): Promise<JobSummary[]> {
    this.calls.push({ method: 'listJobs', detail: Object.keys(labels).sort().join(',') });
    this.maybeFail('listJobs');
    return this.jobs
      .filter((job) => job.namespace === namespace)
      .filter((job) => Object.entries(labels).every(([key, value]) => job.labels[key] === value))
      .map((job) => ({ ...job }));
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    this.calls.push({ method: 'deleteJob', detail: name });
    this.maybeFail('deleteJob');
    const index = this.jobs.findIndex((job) => job.namespace === namespace && job.name === name);
    if (index >= 0) this.jobs.splice(index, 1);
  }

  /** Sets the state (and failure message) of a Job by name. */
  finish(name: string, state: JobSummary['state'], message: string | null = null): void {
    const job = this.jobs.find((candidate) => candidate.name === name);
    if (!job) throw new Error(`no Job ${name}`);
    job.state = state;
    job.message = message;
  }
}

/** Branch heads served from a map, or an error per branch. */
export class MemoryCommitSource implements CommitSource {
  readonly answers = new Map<string, PolledHead | Error>();
  readonly asked: Array<{ repo: string; branch: string; etag: string | null }> = [];

  async fetchBranchHead(repo: string, branch: string, etag: string | null): Promise<PolledHead> {
    this.asked.push({ repo, branch, etag });
    const answer = this.answers.get(`${repo}@${branch}`) ?? { kind: 'missing' };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/**
 * Ports: what the use cases need from the outside world, as interfaces. Adapters in
 * functions/adapters implement them (Firestore, Cloud Tasks, Kubernetes, GitHub); unit tests inject
 * small in-memory ones (test/support/memory-stores.ts).
 */

import type { TokenCheck } from './callers.js';
import type {
  GitHubDeploymentRequest,
  GitHubDeploymentSummary,
  GitHubStatusRequest,
  GitHubStep,
} from './github-deployments.js';
import type { HistoryQuery, VersionHistory } from './history.js';
import type { HeadDecision } from './intake.js';
import type { LaunchClaim, LaunchClaimInput, LaunchStep, LaunchView } from './launch.js';
import type { AcquireClaim, AcquireOutcome, AcquireView } from './lease-acquire.js';
import type { Lease, LeaseChange } from './leases.js';
import type { PlanHandOff, PlanMark } from './pending-plans.js';
import type { PollAnswer, PolledHead, PollTaskFailure, RecordedPollState } from './poll.js';
import type { WorkTask } from './task-body.js';
import type { TeardownClaim, TeardownStep, TeardownView } from './teardown.js';
import type { TickHealthReader } from './tick-health.js';
import type { TimelineView } from './timeline.js';
import type {
  BranchHead,
  Deployment,
  DeploymentStatus,
  DeployRequest,
  GitHubDeploymentRecord,
  JobSummary,
  PushEvent,
  VersionConfig,
  VersionDecision,
  VersionState,
  VersionView,
} from './types.js';

/** Why a deploy evaluation was asked for. */
export interface EvaluationTrigger {
  kind: 'push' | 'tick' | 'manual';
  deliveryId?: string;
  /** push: the head commit it recorded (names the plan task). */
  head?: string;
  /**
   * push: the versions whose pending-plan marks the recording already set (core/pending-plans.ts),
   * each with the time of its mark: queue their plan tasks, and only theirs. Absent: the hand-off
   * marks the versions itself.
   */
  marked?: PlanMark[];
}

/**
 * Asks the deploy pipeline to evaluate versions now (plan, then enqueue what may deploy).
 * The webhook calls it after recording a push so that a push deploys within seconds.
 */
export interface DeployEvaluator {
  evaluate(versions: string[], trigger: EvaluationTrigger): Promise<void>;
}

/** The clock, injected so the core and the tests decide what "now" is. */
export type Clock = () => Date;

/**
 * Verifies a Google-signed ID token (signature, issuer, expiry, audience one of `audiences`) and says
 * what it proved. Throws only when it cannot tell (Google's keys could not be fetched): a retry helps.
 */
export interface IdTokenVerifier {
  verify(token: string, audiences: readonly string[]): Promise<TokenCheck>;
}

// ---------------------------------------------------------------------------------------------------------
// Deploy pipeline ports

/** Creates, lists and deletes the deploy and teardown Jobs (batch/v1). */
export interface JobLauncher {
  /** Creates a Job from a manifest object (generateName allowed); returns it as created. */
  createJob(namespace: string, manifest: Record<string, unknown>): Promise<JobSummary>;
  /** The Jobs in `namespace` that carry every label of `labels`. */
  listJobs(namespace: string, labels: Record<string, string>): Promise<JobSummary[]>;
  /** Deletes a Job and its pods (propagationPolicy Background); a Job that is already gone is not an error. */
  deleteJob(namespace: string, name: string): Promise<void>;
}

/** A failed Kubernetes API call. `isTransient`: a retry may help (5xx, 429, network, timeout). */
export class JobApiError extends Error {
  override name = 'JobApiError';
  constructor(
    message: string,
    /** HTTP status, or null when no response came. */
    readonly status: number | null,
    readonly isTransient: boolean,
  ) {
    super(message);
  }
}

/** The result of putting a request in the queue. */
export interface EnqueueResult {
  /** Short task id (the last segment of the task name). */
  taskName: string;
  /** False when a task of that name already existed (ALREADY_EXISTS): it is already queued. */
  isNew: boolean;
}

/** The deploy queue (Cloud Tasks): one HTTP task per deploy request, delivered to the worker. */
export interface DeployQueue {
  /**
   * Queues a task that carries `requestId`, firing at `notBefore`, named `taskName` (deterministic, so
   * a repeat is a no-op). Throws on any other failure; the request stays pending and is retried.
   */
  enqueue(task: { requestId: string; taskName: string; notBefore: Date }): Promise<EnqueueResult>;
}

/**
 * Work handed over to the worker through the deploy queue (core/task-body.ts): the plan of a version
 * after a push (so the webhook's answer does not wait for it), the poll of a branch (the tick's fan-out).
 */
export interface WorkQueue {
  /** Queues the task named `taskName`, to run now; ALREADY_EXISTS is `isNew: false`. */
  enqueueWork(task: WorkTask, taskName: string): Promise<EnqueueResult>;
}

/** Reads branch heads (the poll fallback: GitHub never retries a failed webhook delivery). */
export interface CommitSource {
  fetchBranchHead(repo: string, branch: string, etag: string | null): Promise<PolledHead>;
}

/** What the status function reads (and the last tick's health: core/tick-health.ts). */
export interface StatusReader extends TickHealthReader {
  /** Every configured version, in config order. */
  listVersions(): Promise<VersionView[]>;
  /** Deployments not yet deleted plus recently deleted ones, newest first. */
  listDeployments(): Promise<Deployment[]>;
  /** The live leases (core/leases.ts `isLeaseLive`), soonest to expire first. */
  listLeases(): Promise<Lease[]>;
  /** What the timelines need since `since` besides the deployments and live leases (core/timeline.ts). */
  readTimeline(since: Date): Promise<TimelineView>;
  /**
   * One page of a version's history (core/history.ts), newest first; null when `query.after` names no
   * deployment of the version.
   */
  readVersionHistory(query: HistoryQuery): Promise<VersionHistory | null>;
}

// ---------------------------------------------------------------------------------------------------------
// Stores: one per use case

/**
 * `handOff`, when the store sets the versions' pending-plan marks in the recording itself (the
 * Firestore store does): what this push hands over (null: nothing; another push of the batch, or a
 * plan task already waiting, covers it). Absent: the webhook hands over the head the push moved and
 * the hand-off sets the marks.
 */
export type RecordPushResult =
  | { kind: 'duplicate'; status: 'recorded' | 'processing'; handOff?: PlanHandOff | null }
  | { kind: 'recorded'; head: HeadDecision; commitsRecorded: number; handOff?: PlanHandOff | null };

/** What the intake (webhook and poll) needs from storage. */
export interface IntakeStore {
  /** Records a push's commits and moves its branch head, exactly once per delivery id. */
  recordPush(push: PushEvent, branch: string, versions: string[], now: Date): Promise<RecordPushResult>;
  /** Creates or refreshes the per-version documents from the config; operator fields are kept. */
  syncVersions(versions: VersionConfig[], now: Date): Promise<void>;
  /** Reads the recorded head of a branch, or null. */
  getBranchHead(repo: string, branch: string): Promise<BranchHead | null>;
}

/** What the poll fallback remembers per branch besides the head (which intake records). */
export interface PollStore {
  /** The recorded head and the ETag of the last poll answer. */
  readPollState(repo: string, branch: string): Promise<RecordedPollState>;
  /** Remembers the ETag of a poll answer so the next poll is a conditional request. */
  writePollState(repo: string, branch: string, answer: PollAnswer, now: Date): Promise<void>;
  /** GitHub has `sha` too: clears the head's `inDoubt`, if the head is still `sha`. */
  confirmHead(repo: string, branch: string, sha: string): Promise<void>;
  /** Records that a fanned-out poll task could not ask GitHub about the branch (the next tick reports it). */
  recordPollTaskFailure(repo: string, branch: string, error: string, at: Date): Promise<void>;
  /** The poll task failures recorded at or after `since`, any branch. */
  listPollTaskFailures(since: Date): Promise<PollTaskFailure[]>;
}

/** Everything the planner reads, in one consistent-enough snapshot. */
export interface PipelineSnapshot {
  versions: VersionState[];
  /** Every deployment not deleted, plus deleted ones launched recently (they carry the rate limits). */
  deployments: Deployment[];
  /** Requests still to be acted on (pending, enqueued, deferred). */
  openRequests: DeployRequest[];
  /** Leases still marked active (some may be past their time): GC keeps the instances of live ones. */
  leases: Lease[];
}

/** A version's decision as stored for the console and the status page. */
export interface StoredDecision {
  decision: VersionDecision;
  /** The decision in words. */
  text: string;
}

/** What recording an enqueue needs: see `enqueuedPatch` in core/requests.ts. */
export interface EnqueueMark {
  expectedCount: number;
  taskName: string;
  now: Date;
  /** The request's `updatedAt` when the planner read it. */
  readUpdatedAt?: Date;
}

/** What the plan-and-enqueue step needs from storage. */
export interface PlanStore {
  /**
   * The versions of `configs` (switches, heads), the deployments, the open requests, and, unless
   * `withLeases` is false (a pass without GC), the active leases. With `headsAfter`, the versions are
   * read once it settles (a plan task's clear of its mark, core/pending-plans.ts), the rest at once.
   */
  readSnapshot(
    configs: VersionConfig[],
    now: Date,
    options?: { withLeases?: boolean; headsAfter?: Promise<unknown> },
  ): Promise<PipelineSnapshot>;
  /**
   * Records a new request unless one with its id exists (then returns the stored one). A manual deploy
   * also clears its version's `forceRedeploy` switch in the same transaction, so the force is used once.
   */
  createRequest(request: DeployRequest): Promise<{ request: DeployRequest; isNew: boolean }>;
  /** Records that a request was put in the queue (`enqueuedPatch`, in a transaction). */
  markEnqueued(id: string, mark: EnqueueMark): Promise<void>;
  /**
   * Records why a request's `expectedCount`-th task could not be created (`enqueueFailedPatch`, in a
   * transaction): it is pending again, and the next pass retries.
   */
  markEnqueueFailed(id: string, error: string, now: Date, expectedCount?: number): Promise<void>;
  /** Stores each version's current decision (only those that changed). */
  writeDecisions(decisions: StoredDecision[], now: Date): Promise<void>;
}

/** What the tick's steps on deployments (refresh, inventory, verify, Job cleanup) need from storage. */
export interface DeploymentStore {
  /** The deployments in these statuses. */
  listDeployments(statuses: readonly DeploymentStatus[]): Promise<Deployment[]>;
  /** Every deployment not deleted, plus deleted ones launched recently. */
  listRecentDeployments(now: Date): Promise<Deployment[]>;
  /**
   * Applies a change, unless the deployment changed since it was read (a worker wrote meanwhile: the
   * next tick looks again).
   */
  updateDeploymentIf(
    deployment: Deployment,
    patch: Partial<Deployment>,
  ): Promise<'updated' | 'changed-meanwhile'>;
  /** Records a deployment unless one of its name exists; false when it did. */
  createDeploymentIfAbsent(deployment: Deployment): Promise<boolean>;
}

/** Probes an instance's endpoint: one GET, redirects not followed, within `timeoutMs`. */
export interface EndpointProbe {
  probe(url: string, timeoutMs: number): Promise<{ status: number | null; error: string | null }>;
}

/** A GKE cluster as the inventory lists it. */
export interface CloudCluster {
  name: string;
  location: string;
  status: string;
  labels: Record<string, string>;
  createdAt: Date | null;
}

/** The clusters of a project and location. Throws on any failure: an error is never an empty list. */
export interface ClusterInventory {
  listClusters(project: string, location: string): Promise<CloudCluster[]>;
}

/** A request's patch, applied with a deployment's in one write. */
export interface RequestPatch {
  id: string;
  patch: Partial<Omit<DeployRequest, 'id'>>;
}

/** What the worker needs from storage. Each claim reads, decides (the pure function given) and writes in one transaction. */
export interface LaunchStore {
  getRequest(id: string): Promise<DeployRequest | null>;
  /**
   * In one transaction: reads the request, its version (config, switches, head), the version's and every
   * active deployment, and which of `candidateNames(request)` are taken; applies `decide`'s writes.
   */
  claimLaunch(
    claim: LaunchClaimInput,
    /** Pure in production; may be async so a test can hold a transaction open between its read and its write. */
    decide: (view: LaunchView) => LaunchClaim | Promise<LaunchClaim>,
  ): Promise<LaunchStep>;
  /** In one transaction: reads the request, its deployment and the deployment's leases; applies `decide`'s writes. */
  claimTeardown(
    requestId: string,
    /** Pure in production; may be async so a test can hold a transaction open between its read and its write. */
    decide: (view: TeardownView) => TeardownClaim | Promise<TeardownClaim>,
  ): Promise<TeardownStep>;
  /** Changes a deployment and (optionally) its request in one write. */
  finishStep(instance: string, patch: Partial<Deployment>, request?: RequestPatch): Promise<void>;
}

/**
 * What the lease API and the tick's expiry step need from storage. Each change reads, decides (the pure
 * function given, core/leases.ts and core/lease-acquire.ts) and writes in one transaction.
 */
export interface LeaseStore {
  /**
   * In one transaction: reads the lease `leaseId` and the candidates (the deployment of `instance` when
   * pinned, else every ready deployment), and creates the lease `decide` returns, if any. Because it reads
   * the instance's deployment, a teardown that moves it to `deleting` and this acquire cannot both win.
   */
  acquire(
    query: { leaseId: string; instance: string | null },
    /** Pure in production; may be async so a test can hold a transaction open between its read and its write. */
    decide: (view: AcquireView) => AcquireClaim | Promise<AcquireClaim>,
  ): Promise<AcquireOutcome>;
  /** In one transaction: reads the lease, decides, writes `next`. Null when there is no such lease. */
  changeLease<R>(leaseId: string, decide: (lease: Lease) => LeaseChange<R>): Promise<R | null>;
  getLease(leaseId: string): Promise<Lease | null>;
  /** Leases still marked active, live or past their time (the tick closes those). */
  listActiveLeases(): Promise<Lease[]>;
}

// ---------------------------------------------------------------------------------------------------------
// GitHub deployments (GITHUB_DEPLOYMENTS)

/** GitHub's deployments REST API, for the repository `owner/name` of a deployment. */
export interface GitHubDeploymentsApi {
  /** The deployments of `sha` in `environment`. */
  listDeployments(repo: string, sha: string, environment: string): Promise<GitHubDeploymentSummary[]>;
  /** Creates a deployment; returns its id. */
  createDeployment(repo: string, request: GitHubDeploymentRequest): Promise<number>;
  postStatus(repo: string, deploymentId: number, status: GitHubStatusRequest): Promise<void>;
}

/** What the GitHub deployments sync needs from storage. */
export interface GitHubSyncStore {
  /**
   * The deployments whose GitHub deployment may still need a status: every one not deleted, and the
   * deleted ones whose last posted state is not `inactive`.
   */
  listGitHubCandidates(): Promise<Deployment[]>;
  /**
   * In one transaction: reads deployments/{instance}, runs `decide` on it and writes the record it
   * returns (none: no write). Returns the step decided, or null when the deployment does not exist.
   */
  claimGitHubSync(
    instance: string,
    decide: (deployment: Deployment) => { step: GitHubStep; record: GitHubDeploymentRecord | null },
  ): Promise<GitHubStep | null>;
  /** In one transaction: replaces deployments/{instance}.github with `update(current)`. */
  writeGitHubRecord(
    instance: string,
    update: (current: GitHubDeploymentRecord | undefined) => GitHubDeploymentRecord,
  ): Promise<void>;
}

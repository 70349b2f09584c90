/**
 * Plain data shared by the pure core, the adapters and the functions.
 * Nothing here knows about Firestore, Cloud Tasks, Kubernetes or HTTP.
 */

// The deployments file's types live in config-types.ts; re-exported so every import stays in one place.
export type {
  DeploymentsConfig,
  InventoryConfig,
  Policy,
  ReadinessConfig,
  VersionConfig,
  VersionPolicyOverrides,
} from './config-types.js';

import type { VersionConfig } from './config-types.js';

/** Where a recorded commit or head came from. */
export type IntakeSource = 'webhook' | 'poll';

export interface CommitAuthor {
  name: string;
  email: string | null;
  username: string | null;
}

/** One commit of a push, as recorded. */
export interface PushCommit {
  sha: string;
  message: string;
  author: CommitAuthor;
  /** The commit's own timestamp (author date), when known. */
  timestamp: Date | null;
  url: string | null;
  /** False when the commit was already on another branch of the repository. */
  distinct: boolean;
}

/** A push to a git ref, normalised from a webhook payload or a REST poll. */
export interface PushEvent {
  source: IntakeSource;
  /** `X-GitHub-Delivery` of a webhook; a synthetic id for a poll. */
  deliveryId: string;
  /** `owner/name` as GitHub spells it. */
  repo: string;
  /** Full ref, e.g. `refs/heads/main` or `refs/tags/v1`. */
  ref: string;
  /** Head before the push; all zeros when the ref was created. */
  before: string;
  /** Head after the push; all zeros when the ref was deleted. */
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  /** Who pushed (GitHub login or name). */
  pusher: string | null;
  /** When GitHub says the repository was pushed (`repository.pushed_at`). */
  pushedAt: Date | null;
  commits: PushCommit[];
}

/** What is recorded about the head of one followed branch. */
export interface BranchHead {
  repo: string;
  branch: string;
  /** The head commit; after a deletion, the last commit the branch had. */
  sha: string;
  deleted: boolean;
  /** When this record last changed. */
  updatedAt: Date;
  /** `pushedAt` of the push that set this head, when known. */
  pushedAt: Date | null;
  /** Whether the push that set this head was a forced push. */
  forced: boolean;
  source: IntakeSource;
  deliveryId: string | null;
  /** Commits this head has moved past, newest first (bounded): a late delivery of one of them is stale. */
  recentShas: string[];
  /**
   * Set by a push that moved the head out of order (`advanced-out-of-order`, core/intake.ts): nothing
   * in the payloads ordered it against the head it replaced, so the next plan asks GitHub first.
   * Cleared by any other move, or when GitHub confirms the head. Absent: false.
   */
  inDoubt?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Deploy pipeline

/**
 * Life of one Kubeflow instance (the transitions: core/reconcile.ts, core/readiness.ts, core/inventory.ts):
 * launching (request claimed, Job being created) -> deploying (Job exists) -> verifying (Job complete,
 * waiting for the endpoint; skipped when readiness is off) -> ready <-> unhealthy (probes failing);
 * failed (Job failed, launch failed permanently, or never answered) | lost (the Job or the cluster vanished);
 * -> deleting (teardown Job created) -> deleted (teardown done and the cluster gone) | teardown-failed
 * (the cluster survived every teardown attempt). `adopted`: a cluster named like an instance that no
 * record knew (made by hand or by the original reconciler), found by the inventory.
 */
export type DeploymentStatus =
  | 'launching'
  | 'deploying'
  | 'verifying'
  | 'ready'
  | 'unhealthy'
  | 'failed'
  | 'lost'
  | 'adopted'
  | 'deleting'
  | 'teardown-failed'
  | 'deleted';

/** Every status, in life order (for views and validation). */
export const DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'launching',
  'deploying',
  'verifying',
  'ready',
  'unhealthy',
  'failed',
  'lost',
  'adopted',
  'deleting',
  'teardown-failed',
  'deleted',
];

/** The last probe of an instance's endpoint. */
export interface ProbeRecord {
  at: Date;
  /** The answer's HTTP status, or null when none came (timeout, refused, DNS). */
  status: number | null;
  ok: boolean;
  /** Why it failed, in words (null when ok). */
  error: string | null;
  /** Failed probes in a row (0 after a good one). */
  consecutiveFailures: number;
}

/** What the cloud inventory last said about an instance's cluster. */
export interface ClusterRecord {
  /** Whether the last listing had a cluster of this name. */
  listed: boolean;
  /** When that listing was made. */
  checkedAt: Date;
}

/** Why a deploy was asked for. */
export type DeployReason = 'new-commit' | 'periodic' | 'manual' | 'retry';

/** One Kubeflow instance (a deploy Job and what it made), as recorded in `deployments/{instance}`. */
export interface Deployment {
  /** Instance name `kf-<version>-<MMDD>-<3 hex>`; also the document id. */
  instance: string;
  version: string;
  repo: string;
  branch: string;
  commit: string;
  reason: DeployReason;
  /** The deploy request that launched it. */
  requestId: string;
  status: DeploymentStatus;
  /** Kubernetes namespace and name of the deploy Job (null until it is created). */
  namespace: string;
  jobName: string | null;
  teardownJobName: string | null;
  kfctlUrl: string;
  kfDefUrl: string;
  /** `https://<instance>.endpoints.<project>.cloud.goog` */
  endpoint: string;
  /** `gcloud --project=P container clusters get-credentials --zone=Z <instance>` */
  credentialsCommand: string;
  /** When the launch was claimed (the instance's age counts from here). */
  createdAt: Date;
  /** When the status last changed. */
  updatedAt: Date;
  readyAt: Date | null;
  finishedAt: Date | null;
  deletingAt: Date | null;
  deletedAt: Date | null;
  /**
   * While `launching`, or `deleting` until its teardown Job is recorded: the worker holding that step,
   * and until when.
   */
  launchLeaseExpiresAt: Date | null;
  /** The last error, in words (failed launch, failed Job, failed teardown). */
  error: string | null;
  /** Which launch of its commit this is (1 for the first; a retry after a failure counts up). */
  attempt?: number;
  /** When the deploy Job completed and verification began (readiness on). */
  verifyingAt?: Date | null;
  /** The last readiness probe (readiness on). */
  probe?: ProbeRecord | null;
  /** What the cloud inventory last said (inventory on). */
  cluster?: ClusterRecord | null;
  /** Teardowns started so far, and when the next may start after one left the cluster behind. */
  teardownAttempts?: number;
  nextTeardownAt?: Date | null;
  /** When the current teardown's Job completed (inventory on: `deleted` waits for the cluster to be gone). */
  teardownFinishedAt?: Date | null;
  /** How the record came to be: a launch of ours, or a cluster the inventory adopted. */
  origin?: 'launch' | 'adopted';
  /**
   * Every status the instance had, oldest first, with when it changed (appended by the store whenever
   * a write changes `status`). Absent on documents written before it existed.
   */
  transitions?: DeploymentTransition[];
  /**
   * The GitHub deployment of the commit that mirrors this instance (GITHUB_DEPLOYMENTS), and what was
   * last posted to it. Absent until the first sync touches it.
   */
  github?: GitHubDeploymentRecord;
}

/** The states of a GitHub deployment status this project posts. */
export type GitHubDeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** What is known about a deployment's GitHub deployment, as recorded on `deployments/{instance}.github`. */
export interface GitHubDeploymentRecord {
  /** The GitHub deployment's id; null until it was created (or found). */
  deploymentId: number | null;
  /** The last status posted; null before the first. */
  state: GitHubDeploymentState | null;
  /** When GitHub last accepted a call for it (create or status). */
  postedAt: Date | null;
  /** The last failure to talk to GitHub, in words; null once a call succeeds. */
  error: string | null;
  /** Failed attempts since the last success. */
  attempts: number;
  /** GitHub's rate limit is exhausted until then: no call before. */
  retryAt: Date | null;
  /** While a sync talks to GitHub for this deployment: until when it holds it (no other sync acts). */
  leaseExpiresAt: Date | null;
}

/** One status change of a deployment. */
export interface DeploymentTransition {
  status: DeploymentStatus;
  at: Date;
}

/** What a deploy request asks for. */
export type DeployAction = 'deploy' | 'teardown';

/**
 * pending (recorded, not yet in the queue) -> enqueued (a task carries it) -> done
 * | deferred (the worker found the limits closed; the next plan re-enqueues it) | failed (permanently).
 */
export type DeployRequestStatus = 'pending' | 'enqueued' | 'deferred' | 'done' | 'failed';

/** A request to deploy or tear down, as recorded in `deployRequests/{id}` (id derived from its content). */
export interface DeployRequest {
  id: string;
  action: DeployAction;
  version: string;
  /** The commit to deploy (teardown: the instance's commit). */
  commit: string;
  /** Deploy: why. Teardown: the GC reason in words. */
  reason: string;
  /** Teardown: the instance to delete. */
  instance: string | null;
  /** The earliest time the worker may act. */
  notBefore: Date;
  status: DeployRequestStatus;
  /** How many tasks were asked for (a failed attempt counts); part of the task name, so a re-enqueue is a new task. */
  enqueueCount: number;
  /** The Cloud Tasks task name (short id) of the last enqueue. */
  taskName: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When a task for it was last created (absent before the first enqueue). */
  enqueuedAt?: Date | null;
  /** Deploy: which launch of the commit this is (absent: the first). */
  attempt?: number;
  /** Teardown asked by an operator with `force`: live leases do not stop it (absent: they do). */
  force?: boolean;
  /** The last enqueue or execution error, in words. */
  error: string | null;
}

/** What operators set on `versions/{version}` in the Firestore console. */
export interface VersionSwitches {
  /** Stops new deploys of this version (GC goes on). */
  paused: boolean;
  /** Asks for one deploy now, rate limit aside; the pipeline sets it back to false when it queues it. */
  forceRedeploy: boolean;
  /**
   * The global drain (`control/drain`, core/operator.ts) as it applies to this version: no new deploys
   * while it is on. It leaves `paused` alone, so undraining restores each version's own switch.
   */
  drained?: boolean;
}

/** A version as the planner sees it: its config, the operator switches and its branch head. */
export interface VersionState {
  config: VersionConfig;
  switches: VersionSwitches;
  /** The recorded head of the followed branch, or null if none was recorded yet. */
  head: { sha: string; deleted: boolean; inDoubt?: true } | null;
}

/** What the planner decided for one version, with its reason (shown in the console and on the status page). */
export type VersionDecision =
  | {
      kind: 'deploy';
      version: string;
      commit: string;
      reason: DeployReason;
      notBefore: Date;
      /**
       * The deploy request id this decision maps to (`deployRequestId` with `deployWindow`), so that
       * a repeated plan finds the request it already made. Set by `planDeploys`.
       */
      requestId?: string;
      /** Which launch of the commit this will be, and of how many allowed (retry: after a failure). */
      attempt?: number;
      maxAttempts?: number;
      /** Its pass launched it itself (a plan task), rather than queueing it: `launched`, not `queued`. */
      launched?: boolean;
    }
  | {
      kind: 'wait';
      version: string;
      reason:
        | 'up-to-date'
        | 'rate-limited'
        | 'at-capacity'
        | 'paused'
        /** Every version is paused by the global drain (`control/drain`). */
        | 'drained'
        | 'in-progress'
        /** The request of the commit could not be put in the queue (Cloud Tasks unavailable); the next pass tries again. */
        | 'not-queued'
        | 'no-commit'
        /** The head commit failed `maxDeployAttempts` times: waiting for a new commit, the periodic rule or a force. */
        | 'failed';
      /** rate-limited: when the limit opens. */
      until?: Date;
      /** The commit concerned (up-to-date: the deployed one; in-progress: the one launching). */
      commit?: string;
      /** at-capacity: how many instances are active. */
      active?: number;
      /** failed: how many launches of the commit failed. */
      attempts?: number;
      /** not-queued: why the request could not be queued. */
      error?: string;
    };

/** A deployment the planner wants torn down, and why. */
export interface CollectDecision {
  kind: 'collect';
  instance: string;
  version: string;
  commit: string;
  reason: string;
}

/** One pass of the planner. */
export interface Plan {
  versions: VersionDecision[];
  collect: CollectDecision[];
}

/** A Kubernetes Job as the pipeline sees it. */
export interface JobSummary {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** `complete` / `failed` from the Job's conditions; `running` while it has neither. */
  state: 'running' | 'complete' | 'failed';
  createdAt: Date | null;
  /** When it completed or failed (completionTime, else the condition's time); null while running. */
  finishedAt?: Date | null;
  /** The Failed condition's reason and message, when failed. */
  message: string | null;
}

/** A version as the status page shows it. */
export interface VersionView {
  name: string;
  repo: string;
  branch: string;
  kfctlUrl: string;
  /** Paused in the config file or by an operator. */
  paused: boolean;
  head: { sha: string; deleted: boolean; updatedAt: Date } | null;
  /** The planner's last decision for this version, and when it was made (null before the first plan). */
  decision: VersionDecision | null;
  decidedAt: Date | null;
}

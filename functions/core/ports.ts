/**
 * Ports: what the functions need from the outside world, as interfaces.
 * Adapters in functions/adapters implement them; tests inject their own.
 */

/** Why a deploy evaluation was asked for. */
export interface EvaluationTrigger {
  kind: 'push' | 'tick' | 'manual';
  deliveryId?: string;
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

// ---------------------------------------------------------------------------------------------------------
// Deploy pipeline ports

/** A Kubernetes Job as the pipeline sees it. */
export interface JobSummary {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** `complete` / `failed` from the Job's conditions; `running` while it has neither. */
  state: 'running' | 'complete' | 'failed';
  createdAt: Date | null;
  /** The Failed condition's reason and message, when failed. */
  message: string | null;
}

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

/** A branch head read from GitHub's REST API. */
export type PolledHead =
  /** The branch has not changed since the ETag given (HTTP 304: costs no rate limit). */
  | { kind: 'unchanged' }
  /** The branch does not exist (404). */
  | { kind: 'missing' }
  | {
      kind: 'found';
      sha: string;
      etag: string | null;
      message: string;
      author: { name: string; email: string | null; username: string | null };
      timestamp: Date | null;
      url: string | null;
    };

/** Reads branch heads (the poll fallback: GitHub never retries a failed webhook delivery). */
export interface CommitSource {
  fetchBranchHead(repo: string, branch: string, etag: string | null): Promise<PolledHead>;
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
  decision: import('./types.js').VersionDecision | null;
  decidedAt: Date | null;
}

/** What the status function reads. */
export interface StatusReader {
  /** Every configured version, in config order. */
  listVersions(): Promise<VersionView[]>;
  /** Deployments not yet deleted plus recently deleted ones, newest first. */
  listDeployments(): Promise<import('./types.js').Deployment[]>;
}

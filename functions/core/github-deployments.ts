/**
 * GitHub deployments on the commit (GITHUB_DEPLOYMENTS): which GitHub state a deployment's status calls
 * for, and the next call to make given what was already posted. Pure: the deployment and `now` in, the
 * decision out; the use case (use-cases/sync-github-deployments.ts) makes the calls and records them.
 *
 * Each launch is mirrored by one GitHub deployment of its commit (environment `auto-deploy/<version>`,
 * transient, not production) whose statuses follow the instance:
 *
 *   launching/deploying with a Job, verifying -> in_progress (log_url: the Job in the Cloud console)
 *   ready                                     -> success (environment_url: the instance endpoint)
 *   failed                                    -> failure (the error as description)
 *   lost, unhealthy, teardown-failed          -> error (the error as description)
 *   deleting                                  -> keep what was posted (the instance still answers)
 *   deleted                                   -> inactive
 *   launching without a Job, adopted, others  -> nothing (not, or not yet, a launch of ours to show)
 *
 * `unhealthy` posts `error`, not a kept `success`: the commit's deployment box is where people click
 * through to an instance, and a success pointing at an instance that stopped answering misleads them.
 * When the instance recovers (ready again) the differing state posts `success` again.
 *
 * The status is read as a string, so statuses added later map to "nothing" until they are given a rule.
 */
import type { Deployment, GitHubDeploymentRecord, GitHubDeploymentState } from './types.js';

/** GitHub rejects a status description longer than this. */
export const GITHUB_DESCRIPTION_MAX_CHARS = 140;

/** How long a sync holds a deployment while it talks to GitHub (at most 3 calls of 10 s each). */
export const GITHUB_SYNC_LEASE_SECONDS = 120;

/** The GitHub environment of a version's instances. */
export function githubEnvironment(version: string): string {
  return `auto-deploy/${version}`;
}

/** The cluster where the Jobs run (GKE_CLUSTER), for links to the Cloud console. */
export interface JobConsoleCluster {
  project: string;
  location: string;
  cluster: string;
}

/** What the sync needs besides the deployment. */
export interface GitHubSyncSettings {
  /** Null when the Jobs' cluster is not a named GKE cluster: statuses carry no log_url. */
  cluster: JobConsoleCluster | null;
}

/** The body of `POST /repos/{owner}/{repo}/deployments` (GitHub's field names). */
export interface GitHubDeploymentRequest {
  ref: string;
  task: 'deploy';
  environment: string;
  description: string;
  transient_environment: true;
  production_environment: false;
  auto_merge: false;
  required_contexts: string[];
  /** Names the instance, so a deployment created by a sync that died before recording it is found again. */
  payload: { instance: string; version: string; requestId: string };
}

/** The body of `POST /repos/{owner}/{repo}/deployments/{id}/statuses` (GitHub's field names). */
export interface GitHubStatusRequest {
  state: GitHubDeploymentState;
  description: string;
  environment_url?: string;
  log_url?: string;
  /** Older instances of a version stay up until GC removes them: this project posts `inactive` itself. */
  auto_inactive: false;
}

/** A GitHub deployment as listed, reduced to what finding ours needs. */
export interface GitHubDeploymentSummary {
  id: number;
  /** `payload.instance`, or null when the payload names none. */
  instance: string | null;
}

/** The next call for one deployment. */
export type GitHubStep =
  /** No GitHub deployment recorded: find (by payload) or create it, then post `status`. */
  | { kind: 'create'; repo: string; deployment: GitHubDeploymentRequest; status: GitHubStatusRequest }
  /** Post `status` to the recorded deployment. */
  | { kind: 'post'; repo: string; deploymentId: number; status: GitHubStatusRequest }
  /** Nothing to do now: `reason` says why (for logs and tests). */
  | { kind: 'none'; reason: string };

/** What a sync's calls achieved, as the use case reports it back. */
export type GitHubSyncResult =
  | { ok: true; deploymentId: number; state: GitHubDeploymentState }
  /** `deploymentId`: the deployment found or created before the failing call, if any. */
  | { ok: false; deploymentId: number | null; error: string; retryAt: Date | null };

/** A record with nothing posted yet. */
export const EMPTY_GITHUB_RECORD: GitHubDeploymentRecord = {
  deploymentId: null,
  state: null,
  postedAt: null,
  error: null,
  attempts: 0,
  retryAt: null,
  leaseExpiresAt: null,
};

interface Target {
  state: GitHubDeploymentState;
  description: string;
  /** Which Job's logs the status links to. */
  job: 'deploy' | 'teardown';
}

type StatusRule = (d: Deployment) => Target | null;

const deploy = (state: GitHubDeploymentState, description: string): Target => ({
  state,
  description,
  job: 'deploy',
});

const jobRunning = (d: Deployment): Target | null =>
  d.jobName === null ? null : deploy('in_progress', `deploy Job ${d.jobName} is running`);

/** Each status's target, by status name (a string: the status union grows). */
const RULES: Readonly<Record<string, StatusRule>> = {
  launching: jobRunning,
  deploying: jobRunning,
  verifying: () => deploy('in_progress', 'the instance is being verified'),
  ready: () => deploy('success', 'Kubeflow is ready'),
  unhealthy: (d) => deploy('error', `unhealthy: ${d.error ?? 'the instance stopped answering'}`),
  failed: (d) => deploy('failure', d.error ?? 'the deploy failed'),
  lost: (d) => deploy('error', d.error ?? 'the deploy Job vanished'),
  'teardown-failed': (d) => ({
    state: 'error',
    description: d.error ?? 'the teardown failed',
    job: 'teardown',
  }),
  deleting: () => null,
  deleted: () => ({ state: 'inactive', description: 'the instance was torn down', job: 'teardown' }),
  adopted: () => null,
};

/** The GitHub state `d`'s status calls for, or null when it calls for none (keep what was posted). */
export function githubTargetFor(d: Deployment): Target | null {
  const rule = Object.hasOwn(RULES, d.status) ? RULES[d.status] : undefined;
  return rule ? rule(d) : null;
}

/** `text` cut to GitHub's limit on whole characters, with an ellipsis when cut. */
export function githubDescription(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  if (chars.length <= GITHUB_DESCRIPTION_MAX_CHARS) return chars.join('');
  return `${chars.slice(0, GITHUB_DESCRIPTION_MAX_CHARS - 1).join('')}…`;
}

/** The Job's page (details, events, logs) in the Cloud console. */
export function jobConsoleUrl(cluster: JobConsoleCluster, namespace: string, jobName: string): string {
  const path = [cluster.location, cluster.cluster, namespace, jobName].map(encodeURIComponent).join('/');
  return `https://console.cloud.google.com/kubernetes/job/${path}/details?project=${encodeURIComponent(cluster.project)}`;
}

/** The status to post for `target`. */
export function githubStatusRequest(
  d: Deployment,
  target: Target,
  settings: GitHubSyncSettings,
): GitHubStatusRequest {
  const jobName = target.job === 'teardown' ? d.teardownJobName : d.jobName;
  return {
    state: target.state,
    description: githubDescription(target.description),
    ...(target.state === 'success' && d.endpoint ? { environment_url: d.endpoint } : {}),
    ...(settings.cluster && jobName
      ? { log_url: jobConsoleUrl(settings.cluster, d.namespace, jobName) }
      : {}),
    auto_inactive: false,
  };
}

/** The GitHub deployment that mirrors `d`. */
export function githubDeploymentRequest(d: Deployment): GitHubDeploymentRequest {
  return {
    ref: d.commit,
    task: 'deploy',
    environment: githubEnvironment(d.version),
    description: githubDescription(`Kubeflow instance ${d.instance}`),
    transient_environment: true,
    production_environment: false,
    auto_merge: false,
    required_contexts: [],
    payload: { instance: d.instance, version: d.version, requestId: d.requestId },
  };
}

/** The deployment a sync created for `instance` (found by its payload; the oldest if several), or null. */
export function findOwnDeployment(
  listed: readonly GitHubDeploymentSummary[],
  instance: string,
): number | null {
  const ours = listed.filter((candidate) => candidate.instance === instance).map((candidate) => candidate.id);
  return ours.length === 0 ? null : Math.min(...ours);
}

/** Why no call may be made now, or null. */
function blockedReason(record: GitHubDeploymentRecord, now: Date): string | null {
  if (record.leaseExpiresAt && record.leaseExpiresAt > now) return 'another sync is talking to GitHub';
  if (record.retryAt && record.retryAt > now) return `rate-limited until ${record.retryAt.toISOString()}`;
  return null;
}

/** The next GitHub call for `d` at `now`, given what its record says was posted. */
export function nextGitHubStep(d: Deployment, now: Date, settings: GitHubSyncSettings): GitHubStep {
  const record = d.github ?? EMPTY_GITHUB_RECORD;
  const target = githubTargetFor(d);
  if (target === null) return { kind: 'none', reason: `status ${d.status} calls for no GitHub state` };
  if (record.deploymentId === null && target.state === 'inactive') {
    return { kind: 'none', reason: 'never shown on GitHub: nothing to deactivate' };
  }
  if (record.deploymentId !== null && record.state === target.state) {
    return { kind: 'none', reason: `${target.state} already posted` };
  }
  const blocked = blockedReason(record, now);
  if (blocked) return { kind: 'none', reason: blocked };
  const status = githubStatusRequest(d, target, settings);
  if (record.deploymentId === null) {
    return { kind: 'create', repo: d.repo, deployment: githubDeploymentRequest(d), status };
  }
  return { kind: 'post', repo: d.repo, deploymentId: record.deploymentId, status };
}

/**
 * The claim of a sync: the step to take and the record to write first (holding the lease), or no
 * record when there is nothing to do. Decided on the deployment as read in the claiming transaction.
 */
export function claimGitHubSync(
  d: Deployment,
  now: Date,
  settings: GitHubSyncSettings,
): { step: GitHubStep; record: GitHubDeploymentRecord | null } {
  const step = nextGitHubStep(d, now, settings);
  if (step.kind === 'none') return { step, record: null };
  const leaseExpiresAt = new Date(now.getTime() + GITHUB_SYNC_LEASE_SECONDS * 1000);
  return { step, record: { ...EMPTY_GITHUB_RECORD, ...d.github, leaseExpiresAt } };
}

/** The record after a sync: what GitHub accepted, or the error (the next tick retries), lease released. */
export function settleGitHubSync(
  current: GitHubDeploymentRecord | undefined,
  result: GitHubSyncResult,
  now: Date,
): GitHubDeploymentRecord {
  const record = current ?? EMPTY_GITHUB_RECORD;
  if (result.ok) {
    return {
      deploymentId: record.deploymentId ?? result.deploymentId,
      state: result.state,
      postedAt: now,
      error: null,
      attempts: 0,
      retryAt: null,
      leaseExpiresAt: null,
    };
  }
  return {
    ...record,
    deploymentId: record.deploymentId ?? result.deploymentId,
    error: result.error,
    attempts: record.attempts + 1,
    retryAt: result.retryAt,
    leaseExpiresAt: null,
  };
}

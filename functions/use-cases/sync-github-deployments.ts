/**
 * GitHub deployments on the commit (GITHUB_DEPLOYMENTS): posts to GitHub what each deployment's status
 * calls for (the rule: core/github-deployments.ts) and records what GitHub accepted on the deployment.
 *
 * A tick step, and called by the worker right after it created a deploy Job, so `in_progress` shows
 * within seconds. Best effort: a GitHub failure is recorded on the deployment (`github.error`, shown on
 * the status page), logged, and retried by the next tick; it never fails a deploy or the tick. Only a
 * storage failure throws.
 *
 * Idempotent: a sync first takes a lease on the deployment's GitHub record (in a transaction), so two
 * syncs never talk to GitHub for one deployment at once; the GitHub deployment's id is recorded; and a
 * sync that finds none recorded first looks for one whose payload names the instance (created by a sync
 * that died before recording it) before creating one.
 */
import {
  claimGitHubSync,
  findOwnDeployment,
  type GitHubStep,
  type GitHubSyncResult,
  type GitHubSyncSettings,
  nextGitHubStep,
  settleGitHubSync,
} from '../core/github-deployments.js';
import type { Clock, GitHubDeploymentsApi, GitHubSyncStore } from '../core/ports.js';
import type { Deployment, GitHubDeploymentState } from '../core/types.js';
import { describeError, type Logger } from '../log.js';

export interface SyncGitHubDeploymentsDeps {
  /** Null when GITHUB_DEPLOYMENTS is off: nothing is posted. */
  api: GitHubDeploymentsApi | null;
  store: GitHubSyncStore;
  settings: GitHubSyncSettings;
  clock: Clock;
  logger: Logger;
}

/** What one deployment's sync did. */
export type GitHubSyncOutcome =
  | { kind: 'none'; reason: string }
  | { kind: 'posted'; deploymentId: number; state: GitHubDeploymentState }
  | { kind: 'failed'; error: string };

/** The tick step's report. */
export interface GitHubSyncReport {
  ok: true;
  /** Why nothing was looked at (GITHUB_DEPLOYMENTS off). */
  skipped?: string;
  /** How many deployments were looked at. */
  checked: number;
  /** `instance: state` for each status GitHub accepted. */
  posted: string[];
  /** Instances GitHub could not be told about (recorded on each; the next tick retries). */
  failed: string[];
  /** The first failure's message, when there was one. */
  error?: string;
}

/** GitHub's rate-limit reset, when the error says it (GitHubApiError), else null. */
function retryAtOf(err: unknown): Date | null {
  const resetAt = (err as { rateLimitResetAt?: unknown } | null)?.rateLimitResetAt;
  return resetAt instanceof Date ? resetAt : null;
}

/** The deployment a dead sync may have created (its payload names the instance), else a new one. */
async function findOrCreate(api: GitHubDeploymentsApi, step: Extract<GitHubStep, { kind: 'create' }>) {
  const { repo, deployment } = step;
  const listed = await api.listDeployments(repo, deployment.ref, deployment.environment);
  return findOwnDeployment(listed, deployment.payload.instance) ?? api.createDeployment(repo, deployment);
}

/** Makes the calls of `step`; never throws (a failure is the result). */
async function perform(
  api: GitHubDeploymentsApi,
  step: Exclude<GitHubStep, { kind: 'none' }>,
): Promise<GitHubSyncResult> {
  let deploymentId: number | null = step.kind === 'post' ? step.deploymentId : null;
  try {
    const id = step.kind === 'post' ? step.deploymentId : await findOrCreate(api, step);
    deploymentId = id;
    await api.postStatus(step.repo, id, step.status);
    return { ok: true, deploymentId: id, state: step.status.state };
  } catch (err) {
    return { ok: false, deploymentId, error: (err as Error).message ?? String(err), retryAt: retryAtOf(err) };
  }
}

/**
 * Posts what `instance`'s status calls for, if anything, and records the result. `listed`: the
 * deployment as a list read it, to skip the claim when it clearly needs nothing. Throws only when
 * storage fails.
 */
export async function syncGitHubDeployment(
  deps: SyncGitHubDeploymentsDeps,
  instance: string,
  listed?: Deployment,
): Promise<GitHubSyncOutcome> {
  const { api, store, settings, clock } = deps;
  if (!api) return { kind: 'none', reason: 'GITHUB_DEPLOYMENTS is off' };
  if (listed) {
    const step = nextGitHubStep(listed, clock(), settings);
    if (step.kind === 'none') return step;
  }
  const step = await store.claimGitHubSync(instance, (current) =>
    claimGitHubSync(current, clock(), settings),
  );
  if (step === null) return { kind: 'none', reason: 'no such deployment' };
  if (step.kind === 'none') return step;
  const result = await perform(api, step);
  await store.writeGitHubRecord(instance, (current) => settleGitHubSync(current, result, clock()));
  const log = deps.logger.child({ instance, githubDeployment: result.deploymentId });
  if (result.ok) {
    log.info(`GitHub deployment status ${result.state} posted`, { state: result.state });
    return { kind: 'posted', deploymentId: result.deploymentId, state: result.state };
  }
  log.warn('GitHub deployment not updated; the next tick retries', { error: result.error });
  return { kind: 'failed', error: result.error };
}

/** Tick step: syncs every deployment whose GitHub deployment may still need a status. */
export async function syncGitHubDeployments(
  deps: SyncGitHubDeploymentsDeps | undefined,
): Promise<GitHubSyncReport> {
  if (!deps?.api)
    return { ok: true, skipped: 'GITHUB_DEPLOYMENTS is off', checked: 0, posted: [], failed: [] };
  const candidates = await deps.store.listGitHubCandidates();
  const report: GitHubSyncReport = { ok: true, checked: candidates.length, posted: [], failed: [] };
  for (const deployment of candidates) {
    const outcome = await syncGitHubDeployment(deps, deployment.instance, deployment);
    if (outcome.kind === 'posted') report.posted.push(`${deployment.instance}: ${outcome.state}`);
    if (outcome.kind === 'failed') {
      report.failed.push(deployment.instance);
      report.error ??= outcome.error;
    }
  }
  return report;
}

/**
 * The worker's call right after it created a deploy Job: posts `in_progress` now rather than at the
 * next tick. Never throws and never changes the worker's outcome: whatever fails, the tick retries.
 */
export async function syncAfterLaunch(
  deps: SyncGitHubDeploymentsDeps | undefined,
  instance: string,
  log: Logger,
): Promise<void> {
  if (!deps?.api) return;
  try {
    await syncGitHubDeployment(deps, instance);
  } catch (err) {
    log.warn('GitHub deployment not recorded after the launch; the next tick retries', describeError(err));
  }
}

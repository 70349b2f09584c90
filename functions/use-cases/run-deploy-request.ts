/**
 * The worker's use case: carry out one deploy or teardown request when its task fires.
 *
 * Deploy: in one transaction, re-check the limits and record the deployment as `launching` under a lease
 * (core/launch.ts `claimLaunch`); create the Job from the template; mark it `deploying`. Cloud Tasks
 * delivers at least once, so every step is idempotent: a retried or duplicated task finds the deployment
 * of its request and adopts the Job already created instead of creating a second one; a live lease held
 * by another delivery answers "busy" (retry later).
 *
 * Teardown: move the deployment to `deleting` and create the teardown Job under the same kind of lease
 * (core/teardown.ts), so a duplicated task cannot create a second Job; the refresh marks it `deleted`
 * when that Job completes.
 *
 * Outcomes map to HTTP for Cloud Tasks: `retry` (5xx: a retry can help) or `done` (2xx, including
 * permanent failures, which are recorded on the deployment and the request so they do not loop).
 */
import { JOB_LABELS, renderDeployJob, renderTeardownJob } from '../core/job-manifest.js';
import { claimLaunch, instanceNameCandidates, type LaunchStep, type WorkerOutcome } from '../core/launch.js';
import { toLabelValue } from '../core/names.js';
import { deployDeadlineSeconds } from '../core/policy.js';
import type { Clock, JobLauncher, LaunchStore } from '../core/ports.js';
import { claimTeardown, isTeardownJobOfAttempt } from '../core/teardown.js';
import type { DeploymentsConfig, DeployRequest, JobSummary } from '../core/types.js';
import type { JobTemplates } from '../job-templates.js';
import type { Logger } from '../log.js';
import { createOrAdoptJob, failStep } from './job-step.js';
import { type SyncGitHubDeploymentsDeps, syncAfterLaunch } from './sync-github-deployments.js';

export interface RunDeployRequestDeps {
  config: DeploymentsConfig;
  store: LaunchStore;
  jobs: JobLauncher;
  templates: JobTemplates;
  clock: Clock;
  logger: Logger;
  /** GitHub deployments: `in_progress` is posted as soon as the Job exists (best effort). */
  github?: SyncGitHubDeploymentsDeps;
}

function policyOf(config: DeploymentsConfig, version: string) {
  return config.versions.find((v) => v.name === version)?.policy ?? config.policy;
}

/**
 * A running deploy Job of the request's commit and version: the original's "same commit" guard, which
 * also catches Jobs Firestore does not know about. Only consulted for a fresh launch (a retry of this
 * request adopts its own Job instead). Asked inside the launch transaction as soon as it has read the
 * request, while it reads the rest (no separate read of the request first).
 */
async function runningJobOfSameCommit(
  deps: RunDeployRequestDeps,
  request: DeployRequest,
): Promise<JobSummary | null> {
  const jobs = await deps.jobs.listJobs(deps.config.namespace, {
    [JOB_LABELS.autoDeploy]: 'true',
    [JOB_LABELS.action]: 'deploy',
    [JOB_LABELS.version]: toLabelValue(request.version),
    [JOB_LABELS.commit]: toLabelValue(request.commit),
  });
  return jobs.find((job) => job.state === 'running') ?? null;
}

/** Creates (or adopts) the deploy Job of a claimed deployment and marks it deploying. */
async function launch(
  deps: RunDeployRequestDeps,
  { deployment, request, isNewLaunch }: Extract<LaunchStep, { kind: 'launch' }>,
): Promise<WorkerOutcome> {
  const { store, config, templates, clock } = deps;
  const log = deps.logger.child({
    request: request.id,
    instance: deployment.instance,
    version: deployment.version,
    commit: deployment.commit,
  });
  try {
    const job = await createOrAdoptJob(
      deps.jobs,
      config.namespace,
      {
        instance: deployment.instance,
        action: 'deploy',
        isAdoptable: () => true,
        mayExist: !isNewLaunch,
        // How long the push (or the tick) that asked for this deploy waited for its Job: the request is
        // created by the plan that follows the recorded push. A histogram of it: infra/monitoring.tf.
        createdFields: () => ({
          reason: deployment.reason,
          requestToJobMs: clock().getTime() - request.createdAt.getTime(),
        }),
        render: () =>
          renderDeployJob(templates.deploy, {
            version: deployment.version,
            repo: deployment.repo,
            branch: deployment.branch,
            commit: deployment.commit,
            instance: deployment.instance,
            namespace: config.namespace,
            project: config.project,
            zone: config.zone,
            kfctlUrl: deployment.kfctlUrl,
            kfDefUrl: deployment.kfDefUrl,
            requestId: request.id,
            activeDeadlineSeconds: deployDeadlineSeconds(policyOf(config, deployment.version)),
          }),
      },
      log,
    );
    const now = clock();
    await store.finishStep(
      deployment.instance,
      // error: null clears a `launch failed, retrying` the retries recorded (core/step-failure.ts).
      { status: 'deploying', jobName: job.name, launchLeaseExpiresAt: null, updatedAt: now, error: null },
      { id: request.id, patch: { status: 'done', updatedAt: now, error: null } },
    );
    await syncAfterLaunch(deps.github, deployment.instance, log);
    return { kind: 'done', result: 'launched', instance: deployment.instance, job: job.name };
  } catch (err) {
    return failStep(deps, 'launch', { err, deployment, request }, log);
  }
}

/** Moves a deployment to deleting and creates (or adopts) its teardown Job. */
async function teardown(deps: RunDeployRequestDeps, request: DeployRequest): Promise<WorkerOutcome> {
  const { store, config, templates, clock } = deps;
  const log = deps.logger.child({
    request: request.id,
    instance: request.instance,
    version: request.version,
  });
  const claimed = await store.claimTeardown(request.id, (view) => claimTeardown(view, clock()));
  if (claimed.kind === 'closed') return { kind: 'done', result: 'teardown-closed' };
  if (claimed.kind === 'busy') {
    const detail = `the teardown of ${claimed.instance} is being started by another delivery`;
    return { kind: 'retry', result: 'busy', detail };
  }
  const deployment = claimed.deployment;
  try {
    const job = await createOrAdoptJob(
      deps.jobs,
      config.namespace,
      {
        instance: deployment.instance,
        action: 'teardown',
        // Only this attempt's Job (named for it): an earlier attempt's finished Job is not adopted.
        isAdoptable: (candidate) => isTeardownJobOfAttempt(deployment, candidate),
        render: () =>
          renderTeardownJob(templates.teardown, {
            version: deployment.version,
            instance: deployment.instance,
            namespace: config.namespace,
            project: config.project,
            zone: config.zone,
            requestId: request.id,
            attempt: deployment.teardownAttempts ?? 1,
          }),
      },
      log,
    );
    const now = clock();
    await store.finishStep(
      deployment.instance,
      { teardownJobName: job.name, launchLeaseExpiresAt: null, updatedAt: now },
      { id: request.id, patch: { status: 'done', updatedAt: now, error: null } },
    );
    return { kind: 'done', result: 'teardown-started', instance: deployment.instance, job: job.name };
  } catch (err) {
    return failStep(deps, 'teardown', { err, deployment, request }, log);
  }
}

/**
 * Carries out a request: by its id (a deploy task), or given whole and not stored yet (a plan task
 * launching the deploy it decided: the claim's transaction stores it unless it exists). Throws only
 * on storage failures (a retry can help).
 */
export async function runDeployRequest(
  deps: RunDeployRequestDeps,
  request: string | DeployRequest,
): Promise<WorkerOutcome> {
  const requestId = typeof request === 'string' ? request : request.id;
  const create = typeof request === 'string' ? undefined : request;
  const { config, store, clock } = deps;
  const now = clock();
  const settings = {
    namespace: config.namespace,
    project: config.project,
    zone: config.zone,
    maxActiveDeployments: config.policy.maxActiveDeployments,
  };
  const step = await store.claimLaunch(
    {
      requestId,
      versions: config.versions,
      now,
      candidateNames: (request) => instanceNameCandidates(request, now),
      runningJobOf: async (request) => (await runningJobOfSameCommit(deps, request))?.name ?? null,
      ...(create ? { create } : {}),
    },
    (view) => claimLaunch(requestId, view, settings),
  );
  if (step.kind === 'outcome') return step.outcome;
  if (step.kind === 'teardown') return teardown(deps, step.request);
  return launch(deps, step);
}

/**
 * The worker's use case: carry out one deploy or teardown request when its task fires.
 *
 * Deploy: re-check the limits inside a Firestore transaction (the pure `decideLaunch`), record the
 * deployment as `launching` with a lease, create the Job from the template, then mark it `deploying`.
 * Cloud Tasks delivers at least once, so every step is idempotent: a retried or duplicated task finds
 * the deployment of its request and adopts the Job already created (found by its `kf-name` label)
 * instead of creating a second one; a live lease held by another delivery answers "busy" (retry later).
 *
 * Teardown: move the deployment to `deleting` and create the teardown Job under the same kind of lease
 * (`launchLeaseExpiresAt`), so a duplicated task cannot create a second Job; the tick's refresh marks
 * it `deleted` when that Job completes.
 *
 * Outcomes map to HTTP for Cloud Tasks: `retry` (5xx: a retry can help) or done (2xx, including
 * permanent failures, which are recorded on the deployment and the request so they do not loop).
 */
import type { FirestorePipelineStore, LaunchView } from './adapters/pipeline-store.js';
import { decideLaunch, launchLeaseExpiry } from './core/deployments.js';
import { JOB_LABELS, JobManifestError, renderDeployJob, renderTeardownJob } from './core/job-manifest.js';
import { credentialsCommand, endpointUrl, instanceName, kfDefUrlAt, toLabelValue } from './core/names.js';
import { type Clock, JobApiError, type JobLauncher, type JobSummary } from './core/ports.js';
import type { Deployment, DeploymentsConfig, DeployReason, DeployRequest } from './core/types.js';
import type { JobTemplates } from './job-templates.js';
import { describeError, type Logger } from './log.js';

/** How many instance-name seeds to try when a name is taken (3 hex chars can collide). */
const INSTANCE_NAME_ATTEMPTS = 5;

export type WorkerOutcome =
  | { kind: 'done'; result: string; instance?: string; job?: string; detail?: string }
  | { kind: 'retry'; result: string; detail: string };

export interface DeployLauncherDeps {
  config: DeploymentsConfig;
  store: FirestorePipelineStore;
  jobs: JobLauncher;
  templates: JobTemplates;
  clock: Clock;
  logger: Logger;
}

type LaunchStep =
  | { kind: 'outcome'; outcome: WorkerOutcome }
  | { kind: 'teardown'; request: DeployRequest }
  | { kind: 'launch'; deployment: Deployment; request: DeployRequest };

export class DeployLauncher {
  constructor(private readonly deps: DeployLauncherDeps) {}

  /** Carries out the request `requestId`. Throws only on storage failures (a retry can help). */
  async run(requestId: string): Promise<WorkerOutcome> {
    const step = await this.claim(requestId);
    if (step.kind === 'outcome') return step.outcome;
    if (step.kind === 'teardown') return this.teardown(step.request);
    return this.launch(step.deployment, step.request);
  }

  /** The transaction: decide, and claim the launch by recording the deployment with a lease. */
  private async claim(requestId: string): Promise<LaunchStep> {
    const { store, config, clock } = this.deps;
    const running = await this.runningJobOfSameCommit(requestId);
    return store.inLaunchTransaction(
      requestId,
      config.versions,
      clock(),
      async (view, tx): Promise<LaunchStep> => {
        const { request, version, now } = view;
        const done = (result: string, extra: Partial<WorkerOutcome> = {}): LaunchStep => ({
          kind: 'outcome',
          outcome: { kind: 'done', result, ...extra } as WorkerOutcome,
        });
        if (!request) return done('unknown-request', { detail: `no deploy request ${requestId}` });
        if (request.status === 'done' || request.status === 'failed')
          return done(`already-${request.status}`);
        if (request.action === 'teardown') return { kind: 'teardown', request };
        if (!version) {
          store.updateRequest(tx, request.id, {
            status: 'failed',
            updatedAt: now,
            error: `version ${request.version} is no longer configured`,
          });
          return done('version-not-configured');
        }

        const decision = decideLaunch({
          request,
          version,
          deployments: view.deployments,
          maxActiveDeployments: config.policy.maxActiveDeployments,
          runningJob: running?.name ?? null,
          now,
        });
        if (decision.kind === 'skip' && decision.reason === 'already-launched') {
          const deployment = view.deployments.find((d) => d.requestId === request.id) as Deployment;
          if (deployment.status !== 'launching') {
            store.updateRequest(tx, request.id, { status: 'done', updatedAt: now, error: null });
            return done('already-launched', { instance: deployment.instance });
          }
          if ((deployment.launchLeaseExpiresAt?.getTime() ?? 0) > now.getTime()) {
            return {
              kind: 'outcome',
              outcome: {
                kind: 'retry',
                result: 'busy',
                detail: `${deployment.instance} is being launched by another delivery`,
              },
            };
          }
          // The delivery that held the launch died or timed out: take it over.
          const lease = launchLeaseExpiry(now);
          store.updateDeployment(tx, deployment.instance, { launchLeaseExpiresAt: lease, updatedAt: now });
          return {
            kind: 'launch',
            deployment: { ...deployment, launchLeaseExpiresAt: lease, updatedAt: now },
            request,
          };
        }
        if (decision.kind === 'skip') {
          store.updateRequest(tx, request.id, {
            status: 'done',
            updatedAt: now,
            error: `skipped: ${decision.reason}`,
          });
          return done(`skipped-${decision.reason}`, decision.instance ? { instance: decision.instance } : {});
        }
        if (decision.kind === 'defer') {
          const why =
            decision.reason === 'job-running'
              ? `Job ${decision.job} of the same commit is still running`
              : decision.reason;
          store.updateRequest(tx, request.id, {
            status: 'deferred',
            notBefore: decision.until ?? request.notBefore,
            updatedAt: now,
            error: `deferred: ${why}`,
          });
          return done(`deferred-${decision.reason}`, decision.job ? { job: decision.job } : {});
        }

        const instance = await this.freeInstanceName(view, tx, request);
        const deployment = this.newDeployment(view, request, instance);
        store.createDeployment(tx, deployment);
        store.updateRequest(tx, request.id, { updatedAt: now, error: null });
        return { kind: 'launch', deployment, request };
      },
    );
  }

  /**
   * A running deploy Job of the request's commit and version: the original's "same commit" guard,
   * which also catches Jobs Firestore does not know about. Only consulted for a fresh launch (a retry
   * of this request adopts its own Job instead).
   */
  private async runningJobOfSameCommit(requestId: string): Promise<JobSummary | null> {
    const request = await this.deps.store.getRequest(requestId);
    if (request?.action !== 'deploy') return null;
    const jobs = await this.deps.jobs.listJobs(this.deps.config.namespace, {
      [JOB_LABELS.autoDeploy]: 'true',
      [JOB_LABELS.action]: 'deploy',
      [JOB_LABELS.version]: toLabelValue(request.version),
      [JOB_LABELS.commit]: toLabelValue(request.commit),
    });
    return jobs.find((job) => job.state === 'running') ?? null;
  }

  private async freeInstanceName(
    view: LaunchView,
    tx: FirebaseFirestore.Transaction,
    request: DeployRequest,
  ): Promise<string> {
    for (let attempt = 0; attempt < INSTANCE_NAME_ATTEMPTS; attempt++) {
      const seed = attempt === 0 ? request.id : `${request.id}#${attempt}`;
      const name = instanceName(request.version, view.now, seed);
      if (!(await tx.get(this.deps.store.deploymentRef(name))).exists) return name;
    }
    throw new Error(`no free instance name for ${request.id} after ${INSTANCE_NAME_ATTEMPTS} attempts`);
  }

  private newDeployment(view: LaunchView, request: DeployRequest, instance: string): Deployment {
    const { config } = this.deps;
    const version = view.version?.config;
    if (!version) throw new Error('unreachable: launch without a version');
    const now = view.now;
    return {
      instance,
      version: version.name,
      repo: version.repo,
      branch: version.branch,
      commit: request.commit,
      reason: request.reason as DeployReason,
      requestId: request.id,
      status: 'launching',
      namespace: config.namespace,
      jobName: null,
      teardownJobName: null,
      kfctlUrl: version.kfctlUrl,
      kfDefUrl: kfDefUrlAt(version.repo, request.commit, version.kfDefPath),
      endpoint: endpointUrl(instance, config.project),
      credentialsCommand: credentialsCommand(instance, config.project, config.zone),
      createdAt: now,
      updatedAt: now,
      readyAt: null,
      finishedAt: null,
      deletingAt: null,
      deletedAt: null,
      launchLeaseExpiresAt: launchLeaseExpiry(now),
      error: null,
    };
  }

  /** Creates (or adopts) the deploy Job of a claimed deployment. */
  private async launch(deployment: Deployment, request: DeployRequest): Promise<WorkerOutcome> {
    const { store, config, templates, clock } = this.deps;
    const log = this.deps.logger.child({
      request: request.id,
      instance: deployment.instance,
      version: deployment.version,
      commit: deployment.commit,
    });
    try {
      const job = await this.createOrAdoptJob(
        deployment,
        'deploy',
        () => true,
        log,
        () =>
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
          }),
      );
      const now = clock();
      await store.finishStep(
        deployment.instance,
        { status: 'deploying', jobName: job.name, launchLeaseExpiresAt: null, updatedAt: now },
        { id: request.id, patch: { status: 'done', updatedAt: now, error: null } },
      );
      return { kind: 'done', result: 'launched', instance: deployment.instance, job: job.name };
    } catch (err) {
      return this.failStep(err, deployment, request, log, 'launch');
    }
  }

  /** Moves a deployment to deleting and creates (or adopts) its teardown Job. */
  private async teardown(request: DeployRequest): Promise<WorkerOutcome> {
    const { store, config, templates, clock } = this.deps;
    const log = this.deps.logger.child({
      request: request.id,
      instance: request.instance,
      version: request.version,
    });
    const claimed = await store.inTeardownTransaction(request.id, ({ request: current, deployment }, tx) => {
      const now = clock();
      if (!current || current.status === 'done' || current.status === 'failed')
        return { kind: 'closed' as const };
      if (!deployment) {
        store.updateRequest(tx, request.id, {
          status: 'failed',
          updatedAt: now,
          error: 'deployment not found',
        });
        return { kind: 'closed' as const };
      }
      if (deployment.status === 'deleted') {
        store.updateRequest(tx, request.id, { status: 'done', updatedAt: now, error: null });
        return { kind: 'closed' as const };
      }
      if (deployment.status === 'launching' || deployment.status === 'deploying') {
        store.updateRequest(tx, request.id, {
          status: 'failed',
          updatedAt: now,
          error: `not torn down: the deployment is ${deployment.status} again`,
        });
        return { kind: 'closed' as const };
      }
      // Cloud Tasks may deliver this task twice at once: like a launch, the step of creating the
      // teardown Job is held under a lease, so a second delivery cannot create a second Job.
      if (
        deployment.status === 'deleting' &&
        (deployment.launchLeaseExpiresAt?.getTime() ?? 0) > now.getTime()
      )
        return { kind: 'busy' as const, instance: deployment.instance };
      const lease = launchLeaseExpiry(now);
      if (deployment.status !== 'deleting') {
        store.updateDeployment(tx, deployment.instance, {
          status: 'deleting',
          deletingAt: now,
          launchLeaseExpiresAt: lease,
          updatedAt: now,
        });
        return {
          kind: 'teardown' as const,
          deployment: {
            ...deployment,
            status: 'deleting' as const,
            deletingAt: now,
            launchLeaseExpiresAt: lease,
          },
        };
      }
      store.updateDeployment(tx, deployment.instance, { launchLeaseExpiresAt: lease, updatedAt: now });
      return { kind: 'teardown' as const, deployment: { ...deployment, launchLeaseExpiresAt: lease } };
    });
    if (claimed.kind === 'closed') return { kind: 'done', result: 'teardown-closed' };
    if (claimed.kind === 'busy')
      return {
        kind: 'retry',
        result: 'busy',
        detail: `the teardown of ${claimed.instance} is being started by another delivery`,
      };
    const deployment = claimed.deployment;
    try {
      // A teardown Job from an earlier attempt (before this deletingAt) is not this attempt's.
      const since = (deployment.deletingAt?.getTime() ?? 0) - 1000;
      const isThisAttempts = (job: JobSummary) => (job.createdAt?.getTime() ?? 0) >= since;
      const job = await this.createOrAdoptJob(deployment, 'teardown', isThisAttempts, log, () =>
        renderTeardownJob(templates.teardown, {
          version: deployment.version,
          instance: deployment.instance,
          namespace: config.namespace,
          project: config.project,
          zone: config.zone,
          requestId: request.id,
        }),
      );
      const now = clock();
      await store.finishStep(
        deployment.instance,
        { teardownJobName: job.name, launchLeaseExpiresAt: null, updatedAt: now },
        { id: request.id, patch: { status: 'done', updatedAt: now, error: null } },
      );
      return { kind: 'done', result: 'teardown-started', instance: deployment.instance, job: job.name };
    } catch (err) {
      return this.failStep(err, deployment, request, log, 'teardown');
    }
  }

  /**
   * The deployment's Job for `action`: the one a previous delivery created (found by its `kf-name`
   * and action labels, and accepted by `isAdoptable`), else a new one from `render`.
   */
  private async createOrAdoptJob(
    deployment: Deployment,
    action: 'deploy' | 'teardown',
    isAdoptable: (job: JobSummary) => boolean,
    log: Logger,
    render: () => Record<string, unknown>,
  ): Promise<JobSummary> {
    const { jobs, config } = this.deps;
    const existing = await jobs.listJobs(config.namespace, {
      [JOB_LABELS.instance]: deployment.instance,
      [JOB_LABELS.action]: action,
    });
    const adopted = existing.find(isAdoptable);
    if (adopted) {
      log.info(`adopting the ${action} Job a previous delivery created`, { job: adopted.name });
      return adopted;
    }
    const job = await jobs.createJob(config.namespace, render());
    log.info(`${action} Job created`, { job: job.name });
    return job;
  }

  /** Transient: release the lease and ask for a retry. Permanent: record it and stop. */
  private async failStep(
    err: unknown,
    deployment: Deployment,
    request: DeployRequest,
    log: Logger,
    step: 'launch' | 'teardown',
  ): Promise<WorkerOutcome> {
    const now = this.deps.clock();
    const isPermanent = err instanceof JobManifestError || (err instanceof JobApiError && !err.isTransient);
    const message = (err as Error).message;
    if (!isPermanent) {
      log.warn(`${step} failed; Cloud Tasks will retry`, describeError(err));
      // Let the retry take the step over at once.
      await this.deps.store.finishStep(deployment.instance, { launchLeaseExpiresAt: now, updatedAt: now });
      return { kind: 'retry', result: `${step}-failed-transient`, detail: message };
    }
    log.error(`${step} failed permanently`, describeError(err));
    await this.deps.store.finishStep(
      deployment.instance,
      step === 'launch'
        ? { status: 'failed', launchLeaseExpiresAt: null, finishedAt: now, updatedAt: now, error: message }
        : // Back to failed (not stuck in deleting): GC collects it again with a new teardown attempt.
          {
            status: 'failed',
            launchLeaseExpiresAt: null,
            updatedAt: now,
            error: `teardown failed: ${message}`,
          },
      { id: request.id, patch: { status: 'failed', updatedAt: now, error: message } },
    );
    return { kind: 'done', result: `${step}-failed`, instance: deployment.instance, detail: message };
  }
}

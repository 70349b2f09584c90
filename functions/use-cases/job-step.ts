/**
 * What the launch and the teardown share: creating a Job idempotently (adopting the one a previous
 * delivery created, found by its labels), and ending a failed step as the core decides (core/step-failure.ts).
 */
import { JOB_LABELS } from '../core/job-manifest.js';
import type { WorkerOutcome } from '../core/launch.js';
import { type Clock, JobApiError, type JobLauncher, type LaunchStore } from '../core/ports.js';
import { type StepName, stepFailure } from '../core/step-failure.js';
import type { Deployment, DeployRequest, JobSummary } from '../core/types.js';
import { describeError, type LogFields, type Logger } from '../log.js';

/**
 * The deployment's Job for `action`: the one a previous delivery created (found by its `kf-name` and
 * action labels, and accepted by `isAdoptable`), else a new one from `render`.
 */
export async function createOrAdoptJob(
  jobs: JobLauncher,
  namespace: string,
  job: {
    instance: string;
    action: 'deploy' | 'teardown';
    isAdoptable: (job: JobSummary) => boolean;
    render: () => Record<string, unknown>;
    /**
     * False when no delivery can have created this Job yet: create it at once, and adopt only on a 409
     * (one Kubernetes call instead of two). Default true: list the instance's Jobs first.
     */
    mayExist?: boolean;
    /** Added to the "Job created" line, read once the Job exists (infra/monitoring.tf counts that line). */
    createdFields?: () => LogFields;
  },
  log: Logger,
): Promise<JobSummary> {
  const adopted = job.mayExist === false ? undefined : await findAdoptable(jobs, namespace, job);
  if (adopted) {
    log.info(`adopting the ${job.action} Job a previous delivery created`, { job: adopted.name });
    return adopted;
  }
  let created: JobSummary;
  try {
    created = await jobs.createJob(namespace, job.render());
  } catch (err) {
    if (!(err instanceof JobApiError && err.status === 409)) throw err;
    created = await adoptAfterConflict(jobs, namespace, job, err, log);
  }
  log.info(`${job.action} Job created`, { job: created.name, ...job.createdFields?.() });
  return created;
}

type AdoptableJob = {
  instance: string;
  action: 'deploy' | 'teardown';
  isAdoptable: (job: JobSummary) => boolean;
};

async function findAdoptable(
  jobs: JobLauncher,
  namespace: string,
  job: AdoptableJob,
): Promise<JobSummary | undefined> {
  const existing = await jobs.listJobs(namespace, {
    [JOB_LABELS.instance]: job.instance,
    [JOB_LABELS.action]: job.action,
  });
  return existing.find(job.isAdoptable);
}

/**
 * A 409 on create means the Job exists: another delivery created it between our look and our create.
 * Adopt it. A 409 with no such Job to be found is not "permanently impossible" (Kubernetes said it
 * exists), so it is a transient failure: the retry looks again.
 */
async function adoptAfterConflict(
  jobs: JobLauncher,
  namespace: string,
  job: AdoptableJob,
  conflict: JobApiError,
  log: Logger,
): Promise<JobSummary> {
  const adopted = await findAdoptable(jobs, namespace, job);
  if (adopted) {
    log.info(`adopting the ${job.action} Job another delivery created (409 on create)`, {
      job: adopted.name,
    });
    return adopted;
  }
  throw new JobApiError(`${conflict.message} No such Job found by its labels; retrying.`, 409, true);
}

/** Records a failed step as the core decides (release for a retry, or fail for good) and says what to answer. */
export async function failStep(
  deps: { store: LaunchStore; clock: Clock },
  step: StepName,
  failure: { err: unknown; deployment: Deployment; request: DeployRequest },
  log: Logger,
): Promise<WorkerOutcome> {
  const { err, deployment, request } = failure;
  const result = stepFailure(step, deployment.instance, err, deps.clock());
  // from/to as on "deployment status changed": the deploys_failed metric (infra/monitoring.tf) counts both.
  const change = { from: deployment.status, to: result.deploymentPatch.status };
  if (result.isPermanent) log.error(`${step} failed permanently`, { ...describeError(err), ...change });
  else log.warn(`${step} failed; Cloud Tasks will retry`, describeError(err));
  await deps.store.finishStep(
    deployment.instance,
    result.deploymentPatch,
    result.requestPatch ? { id: request.id, patch: result.requestPatch } : undefined,
  );
  return result.outcome;
}

/**
 * The adapters of one function instance, built on first use and shared: Firestore stores, the deploy
 * queue, the Kubernetes Jobs, the GitHub poll, the Job templates, and the use cases' dependency sets.
 * A collaborator a test or the local stack passes in `overrides` replaces the real one. Nothing here
 * decides anything; a missing setting is a ConfigError that names it.
 */
import type { Firestore } from '@google-cloud/firestore';
import { createContainerClient } from './adapters/container-client.js';
import { deferredJobLauncher } from './adapters/deferred-job-launcher.js';
import { createFirestore } from './adapters/firestore/client.js';
import { FirestoreIntakeStore } from './adapters/firestore/intake-store.js';
import { FirestorePlanStore } from './adapters/firestore/plan-store.js';
import { FirestorePollStore } from './adapters/firestore/poll-store.js';
import { FirestoreRefreshStore } from './adapters/firestore/refresh-store.js';
import { GitHubRestCommitSource } from './adapters/github-rest.js';
import { loadGkeKubeConfig } from './adapters/gke-credentials.js';
import { createKubeJobLauncher, loadKubeConfig } from './adapters/kube-jobs.js';
import { CloudTasksQueue, createTasksClient } from './adapters/tasks-queue.js';
import { type AppConfig, ConfigError } from './config.js';
import type {
  Clock,
  CommitSource,
  DeployEvaluator,
  DeployQueue,
  IdTokenVerifier,
  IntakeStore,
  JobLauncher,
} from './core/ports.js';
import { type JobTemplates, loadJobTemplates } from './job-templates.js';
import type { Logger } from './log.js';
import type { PlanAndEnqueueDeps } from './use-cases/plan-and-enqueue.js';
import type { TickDeps } from './use-cases/tick.js';

/** Collaborators a caller may replace; everything else is built from the config. */
export interface AppOverrides {
  firestore?: Firestore;
  queue?: DeployQueue;
  jobs?: JobLauncher;
  /** Null disables the poll fallback. */
  commits?: CommitSource | null;
  templates?: JobTemplates;
  /** Replaces the plan-and-enqueue pass as the webhook's evaluation hook. */
  evaluator?: DeployEvaluator;
  clock?: Clock;
  logger?: Logger;
  /** Verifies callers' ID tokens (tests inject certificates); Google's keys by default. */
  idTokenVerifier?: IdTokenVerifier;
}

/** A value built on the first call and reused. */
export function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}

function createQueue(config: AppConfig): DeployQueue {
  const tasks = config.tasks;
  if ('problem' in tasks) {
    throw new ConfigError(`The deploy queue is not configured: ${tasks.problem}`, [tasks.problem]);
  }
  return new CloudTasksQueue({
    client: createTasksClient({ emulator: tasks.emulator, projectId: config.projectId }),
    queuePath: tasks.queuePath,
    workerUrl: tasks.workerUrl,
    serviceAccountEmail: tasks.serviceAccountEmail,
    dispatchDeadlineSeconds: tasks.dispatchDeadlineSeconds,
  });
}

/** GKE_CLUSTER (credentials from ADC, built on first use), else the kubeconfig or in-cluster credentials. */
function createJobLauncher(config: AppConfig): JobLauncher {
  const gkeCluster = config.kube.gkeCluster;
  if (gkeCluster) {
    const clusterManager = createContainerClient({
      emulator: config.containerEmulator,
      projectId: gkeCluster.project,
    });
    return deferredJobLauncher(async () =>
      createKubeJobLauncher(await loadGkeKubeConfig({ cluster: gkeCluster, clusterManager })),
    );
  }
  try {
    return createKubeJobLauncher(loadKubeConfig(config.kube.env));
  } catch (err) {
    const message = (err as Error).message;
    throw new ConfigError(`Kubernetes is not configured: ${message}`, [message]);
  }
}

/** The adapters and dependency sets of one instance, each built on first use. */
export function wireAdapters(config: AppConfig, overrides: AppOverrides, logger: Logger, clock: Clock) {
  const firestore = overrides.firestore ?? createFirestore(config.projectId, config.firestoreEmulatorHost);
  const intakeStore: IntakeStore = new FirestoreIntakeStore(firestore);
  const deployments = config.deployments;
  const queue = once(() => overrides.queue ?? createQueue(config));
  const jobs = once(() => overrides.jobs ?? createJobLauncher(config));
  const commits = once((): CommitSource | null => {
    if (overrides.commits !== undefined) return overrides.commits;
    if (!config.github.isPollEnabled) return null;
    return new GitHubRestCommitSource({ apiUrl: config.github.apiUrl, token: config.github.token });
  });
  const templates = once(() => overrides.templates ?? loadJobTemplates());
  const plannerLogger = logger.child({ component: 'planner' });
  const planDeps = once(
    (): PlanAndEnqueueDeps => ({
      config: deployments,
      store: new FirestorePlanStore(firestore),
      queue: queue(),
      clock,
      logger: plannerLogger,
    }),
  );
  const tickDeps = once(
    (): TickDeps => ({
      poll: {
        versions: deployments.versions,
        commits: commits(),
        pollStore: new FirestorePollStore(firestore),
        intake: intakeStore,
        clock,
        logger: plannerLogger,
      },
      refresh: {
        namespace: deployments.namespace,
        store: new FirestoreRefreshStore(firestore),
        jobs: jobs(),
        clock,
        logger: plannerLogger,
      },
      plan: planDeps(),
      intake: intakeStore,
      logger: plannerLogger,
    }),
  );
  return { firestore, intakeStore, jobs, templates, planDeps, tickDeps };
}

/**
 * The adapters of one function instance, built on first use and shared: Firestore stores, the deploy
 * queue, the Kubernetes Jobs, the GitHub poll, the Job templates, and the use cases' dependency sets.
 * A collaborator a test or the local stack passes in `overrides` replaces the real one. Nothing here
 * decides anything; a missing setting is a ConfigError that names it.
 *
 * The heavy client libraries (@google-cloud/tasks, @kubernetes/client-node, @google-cloud/container)
 * are imported on first use (`await import()`), so a function loads only those it calls: the status
 * page and the webhook never load Kubernetes, the status page never loads Cloud Tasks.
 */
import type { Firestore } from '@google-cloud/firestore';
import { deferredJobLauncher } from './adapters/deferred-job-launcher.js';
import { createFirestore } from './adapters/firestore/client.js';
import { FirestoreDeploymentStore } from './adapters/firestore/deployment-store.js';
import { FirestoreGitHubSyncStore } from './adapters/firestore/github-sync-store.js';
import { FirestoreTickHealthStore } from './adapters/firestore/health-store.js';
import { FirestoreIntakeStore } from './adapters/firestore/intake-store.js';
import { FirestoreLeaseStore } from './adapters/firestore/lease-store.js';
import { FirestoreOperatorStore } from './adapters/firestore/operator-store.js';
import { FirestorePlanStore } from './adapters/firestore/plan-store.js';
import { FirestorePollStore } from './adapters/firestore/poll-store.js';
import { GitHubRestDeployments } from './adapters/github-deployments.js';
import { GitHubRestCommitSource } from './adapters/github-rest.js';
import { HttpProbe } from './adapters/http-probe.js';
import { type AppConfig, ConfigError } from './config.js';
import type {
  Clock,
  ClusterInventory,
  CommitSource,
  DeployEvaluator,
  DeployQueue,
  EndpointProbe,
  GitHubDeploymentsApi,
  IdTokenVerifier,
  IntakeStore,
  JobLauncher,
  WorkQueue,
} from './core/ports.js';
import { kubeJobsModule } from './function-modules.js';
import { type JobTemplates, loadJobTemplates } from './job-templates.js';
import type { Logger } from './log.js';
import type { OperatorDeps } from './use-cases/operator-actions.js';
import { createPushEvaluator, type PlanAndEnqueueDeps } from './use-cases/plan-and-enqueue.js';
import type { PollBranchesDeps } from './use-cases/poll-branches.js';
import type { PollFanOut } from './use-cases/poll-tasks.js';
import type { SyncGitHubDeploymentsDeps } from './use-cases/sync-github-deployments.js';
import type { TickDeps } from './use-cases/tick.js';

/** Collaborators a caller may replace; everything else is built from the config. */
export interface AppOverrides {
  firestore?: Firestore;
  queue?: DeployQueue;
  /** Where the webhook hands plan tasks to (default: `queue` when it carries them, else Cloud Tasks). */
  workQueue?: WorkQueue;
  jobs?: JobLauncher;
  /** Null disables the poll fallback. */
  commits?: CommitSource | null;
  /** The GitHub deployments API; null disables the deployments on the commit. */
  githubDeployments?: GitHubDeploymentsApi | null;
  templates?: JobTemplates;
  /** Replaces the plan-and-enqueue pass as the webhook's evaluation hook. */
  evaluator?: DeployEvaluator;
  /** The cloud inventory (default: GKE, or the ClusterManager fake CONTAINER_EMULATOR_HOST names). */
  inventory?: ClusterInventory;
  /** The readiness probe (default: HTTP). */
  probe?: EndpointProbe;
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

/** The deploy queue's settings, or a ConfigError naming what is missing (checked before any use). */
function queueSettings(config: AppConfig) {
  const tasks = config.tasks;
  if ('problem' in tasks) {
    throw new ConfigError(`The deploy queue is not configured: ${tasks.problem}`, [tasks.problem]);
  }
  return tasks;
}

/** The deploy queue on Cloud Tasks, its client library imported when it is first needed. */
async function createQueue(config: AppConfig): Promise<DeployQueue & WorkQueue> {
  const tasks = queueSettings(config);
  const { CloudTasksQueue, createTasksClient } = await import('./adapters/tasks-queue.js');
  return new CloudTasksQueue({
    client: createTasksClient({ emulator: tasks.emulator, projectId: config.projectId }),
    queuePath: tasks.queuePath,
    workerUrl: tasks.workerUrl,
    serviceAccountEmail: tasks.serviceAccountEmail,
    dispatchDeadlineSeconds: tasks.dispatchDeadlineSeconds,
  });
}

/** GKE_CLUSTER (credentials from ADC, built on first use), else the kubeconfig or in-cluster credentials. */
async function createJobLauncher(config: AppConfig): Promise<JobLauncher> {
  const { createKubeJobLauncher, loadKubeConfig } = await kubeJobsModule();
  const gkeCluster = config.kube.gkeCluster;
  if (gkeCluster) {
    const { createContainerClient } = await import('./adapters/container-client.js');
    const { loadGkeKubeConfig } = await import('./adapters/gke-credentials.js');
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

/** The GKE inventory, its client library imported on its first listing (the tick skips it when off). */
function createInventory(config: AppConfig): ClusterInventory {
  let inventory: Promise<ClusterInventory> | undefined;
  const load = async (): Promise<ClusterInventory> => {
    const { createContainerClient } = await import('./adapters/container-client.js');
    const { GkeInventory } = await import('./adapters/gke-inventory.js');
    const client = createContainerClient({
      emulator: config.containerEmulator,
      projectId: config.deployments.project,
    });
    return new GkeInventory({ client });
  };
  return {
    listClusters: async (project, location) => {
      inventory ??= load();
      return (await inventory).listClusters(project, location);
    },
  };
}

/** The tick's poll fan-out on `queue`; none without a queue that carries work (the tick polls inline). */
function fanOutOf(queue: WorkQueue | undefined): PollFanOut | undefined {
  return queue ? { queue } : undefined;
}

/** A queue override that also carries plan tasks (the in-memory one does). */
function asWorkQueue(queue: DeployQueue | undefined): WorkQueue | undefined {
  return queue && 'enqueueWork' in queue ? (queue as DeployQueue & WorkQueue) : undefined;
}

/** The GitHub deployments sync of the tick and the worker (its API null when GITHUB_DEPLOYMENTS is off). */
function githubSyncDeps(
  config: AppConfig,
  overrides: AppOverrides,
  deps: { firestore: Firestore; clock: Clock; logger: Logger },
): SyncGitHubDeploymentsDeps {
  const { apiUrl, token, isDeploymentsEnabled } = config.github;
  const api =
    overrides.githubDeployments !== undefined
      ? overrides.githubDeployments
      : isDeploymentsEnabled
        ? new GitHubRestDeployments({ apiUrl, token })
        : null;
  const cluster = config.kube.gkeCluster;
  return {
    api,
    store: new FirestoreGitHubSyncStore(deps.firestore),
    settings: {
      cluster: cluster && { project: cluster.project, location: cluster.location, cluster: cluster.cluster },
    },
    clock: deps.clock,
    logger: deps.logger.child({ component: 'github-deployments' }),
  };
}

/**
 * The deploy queue (`queue`) and where plan tasks go (`workQueue`): an override, or Cloud Tasks, whose
 * settings are checked at once (a ConfigError) and whose client is built on the first task.
 */
function wireQueue(config: AppConfig, overrides: AppOverrides) {
  const realQueue = once(() => createQueue(config));
  const lazyQueue: DeployQueue & WorkQueue = {
    enqueue: async (task) => (await realQueue()).enqueue(task),
    enqueueWork: async (task, taskName) => (await realQueue()).enqueueWork(task, taskName),
  };
  return {
    queue: (): DeployQueue => {
      if (overrides.queue) return overrides.queue;
      queueSettings(config);
      return lazyQueue;
    },
    workQueue: (): WorkQueue => {
      const given = overrides.workQueue ?? asWorkQueue(overrides.queue);
      if (given) return given;
      queueSettings(config);
      return lazyQueue;
    },
    /** The queue for the tick's fan-out, when there is one (else the tick polls inline). */
    fanOutQueue: (): WorkQueue | undefined => {
      const given = overrides.workQueue ?? asWorkQueue(overrides.queue);
      if (given) return given;
      if (overrides.queue || 'problem' in config.tasks) return undefined;
      return lazyQueue;
    },
  };
}

/**
 * The operator API's dependencies. It plans what it changed at once when this function can queue
 * (locally, or with the queue's settings); else the next tick does. The queue's client is loaded by
 * the first such plan.
 */
function operatorDepsOf(
  config: AppConfig,
  overrides: AppOverrides,
  deps: { firestore: Firestore; clock: Clock; logger: Logger; planDeps: () => PlanAndEnqueueDeps },
): OperatorDeps {
  const canQueue = overrides.queue !== undefined || !('problem' in config.tasks);
  return {
    store: new FirestoreOperatorStore(deps.firestore),
    snapshots: new FirestorePlanStore(deps.firestore),
    config: config.deployments,
    clock: deps.clock,
    logger: deps.logger.child({ component: 'operator' }),
    evaluator: canQueue ? (overrides.evaluator ?? createPushEvaluator(deps.planDeps())) : null,
  };
}

/** The tick's own stores: the versions' config mirror (intake) and its health record for the status page. */
function tickStores(intake: IntakeStore, firestore: Firestore): Pick<TickDeps, 'intake' | 'health'> {
  return { intake, health: new FirestoreTickHealthStore(firestore) };
}

/** The adapters and dependency sets of one instance, each built on first use. */
export function wireAdapters(config: AppConfig, overrides: AppOverrides, logger: Logger, clock: Clock) {
  const firestore = overrides.firestore ?? createFirestore(config.projectId, config.firestoreEmulatorHost);
  const intakeStore: IntakeStore = new FirestoreIntakeStore(firestore);
  const deployments = config.deployments;
  const { queue, workQueue, fanOutQueue } = wireQueue(config, overrides);
  const jobs = once(
    (): Promise<JobLauncher> =>
      overrides.jobs ? Promise.resolve(overrides.jobs) : createJobLauncher(config),
  );
  const commits = once((): CommitSource | null => {
    if (overrides.commits !== undefined) return overrides.commits;
    if (!config.github.isPollEnabled) return null;
    return new GitHubRestCommitSource({ apiUrl: config.github.apiUrl, token: config.github.token });
  });
  const templates = once(() => overrides.templates ?? loadJobTemplates());
  const deploymentStore = new FirestoreDeploymentStore(firestore);
  const inventory = once((): ClusterInventory => overrides.inventory ?? createInventory(config));
  const leaseStore = once(() => new FirestoreLeaseStore(firestore));
  const githubDeps = once(() => githubSyncDeps(config, overrides, { firestore, clock, logger }));
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
  const pollDeps = once(
    (): PollBranchesDeps => ({
      versions: deployments.versions,
      commits: commits(),
      pollStore: new FirestorePollStore(firestore),
      intake: intakeStore,
      clock,
      logger: plannerLogger,
    }),
  );
  const tickDeps = once(async (): Promise<TickDeps> => {
    const plan = planDeps();
    const launcher = await jobs();
    return {
      poll: pollDeps(),
      fanOut: fanOutOf(fanOutQueue()),
      refresh: { config: deployments, store: deploymentStore, jobs: launcher, clock, logger: plannerLogger },
      inventory: {
        config: deployments,
        store: deploymentStore,
        inventory: inventory(),
        clock,
        logger: plannerLogger,
      },
      verify: {
        config: deployments,
        store: deploymentStore,
        probe: overrides.probe ?? new HttpProbe(),
        urlTemplate: config.readinessUrl,
        clock,
        logger: plannerLogger,
      },
      leases: { store: leaseStore(), deployments: deploymentStore, clock, logger: plannerLogger },
      cleanJobs: {
        config: deployments,
        store: deploymentStore,
        jobs: launcher,
        clock,
        logger: plannerLogger,
      },
      plan,
      ...tickStores(intakeStore, firestore),
      github: githubDeps(),
      logger: plannerLogger,
    };
  });
  const operatorDeps = once(() => operatorDepsOf(config, overrides, { firestore, clock, logger, planDeps }));
  return {
    firestore,
    intakeStore,
    queue,
    workQueue,
    jobs,
    templates,
    planDeps,
    pollDeps,
    tickDeps,
    leaseStore,
    githubDeps,
    operatorDeps,
  };
}

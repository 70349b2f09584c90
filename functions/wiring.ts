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
import { FirestoreDeploymentStore } from './adapters/firestore/deployment-store.js';
import { FirestoreGitHubSyncStore } from './adapters/firestore/github-sync-store.js';
import { FirestoreIntakeStore } from './adapters/firestore/intake-store.js';
import { FirestoreLeaseStore } from './adapters/firestore/lease-store.js';
import { FirestoreOperatorStore } from './adapters/firestore/operator-store.js';
import { FirestorePlanStore } from './adapters/firestore/plan-store.js';
import { FirestorePollStore } from './adapters/firestore/poll-store.js';
import { GitHubRestDeployments } from './adapters/github-deployments.js';
import { GitHubRestCommitSource } from './adapters/github-rest.js';
import { loadGkeKubeConfig } from './adapters/gke-credentials.js';
import { GkeInventory } from './adapters/gke-inventory.js';
import { HttpProbe } from './adapters/http-probe.js';
import { createKubeJobLauncher, loadKubeConfig } from './adapters/kube-jobs.js';
import { CloudTasksQueue, createTasksClient } from './adapters/tasks-queue.js';
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
} from './core/ports.js';
import { type JobTemplates, loadJobTemplates } from './job-templates.js';
import type { Logger } from './log.js';
import type { OperatorDeps } from './use-cases/operator-actions.js';
import { createPushEvaluator, type PlanAndEnqueueDeps } from './use-cases/plan-and-enqueue.js';
import type { SyncGitHubDeploymentsDeps } from './use-cases/sync-github-deployments.js';
import type { TickDeps } from './use-cases/tick.js';

/** Collaborators a caller may replace; everything else is built from the config. */
export interface AppOverrides {
  firestore?: Firestore;
  queue?: DeployQueue;
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
  const deploymentStore = new FirestoreDeploymentStore(firestore);
  const inventory = once(
    (): ClusterInventory =>
      overrides.inventory ??
      new GkeInventory({
        client: createContainerClient({ emulator: config.containerEmulator, projectId: deployments.project }),
      }),
  );
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
      refresh: { config: deployments, store: deploymentStore, jobs: jobs(), clock, logger: plannerLogger },
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
      leases: { store: leaseStore(), clock, logger: plannerLogger },
      cleanJobs: { config: deployments, store: deploymentStore, jobs: jobs(), clock, logger: plannerLogger },
      plan: planDeps(),
      intake: intakeStore,
      github: githubDeps(),
      logger: plannerLogger,
    }),
  );
  // The operator API plans what it changed at once when this function can queue (locally, or with the
  // queue's settings); else the next tick does.
  const canQueue = overrides.queue !== undefined || !('problem' in config.tasks);
  const operatorDeps = once(
    (): OperatorDeps => ({
      store: new FirestoreOperatorStore(firestore),
      snapshots: new FirestorePlanStore(firestore),
      config: deployments,
      clock,
      logger: logger.child({ component: 'operator' }),
      evaluator: canQueue ? (overrides.evaluator ?? createPushEvaluator(planDeps())) : null,
    }),
  );
  return {
    firestore,
    intakeStore,
    jobs,
    templates,
    planDeps,
    tickDeps,
    leaseStore,
    githubDeps,
    operatorDeps,
  };
}

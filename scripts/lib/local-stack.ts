/**
 * The whole system on one machine, for `npm start` and the end-to-end tests:
 * - Firestore: the emulator (unless FIRESTORE_EMULATOR_HOST names one);
 * - Cloud Tasks: the project's emulator (unless CLOUD_TASKS_EMULATOR_HOST names one) with the queue created;
 * - Kubernetes: KUBECONFIG's cluster, or else the local API server for batch/v1 Jobs, whose Jobs finish by
 *   themselves after LOCAL_JOB_SECONDS;
 * - the cloud: a ClusterManager fake (unless CONTAINER_EMULATOR_HOST names one) driven by those Jobs, and
 *   a simulated endpoint per instance for the readiness probes (READINESS_URL);
 * - every function behind one gateway on PORT, at /<functionName>;
 * - a local scheduler calling /schedulerTick every TICK_INTERVAL_SECONDS (0 = never).
 * Production never runs this: it only fills in local defaults and starts development tools.
 * Each component has its starter in local-stack/, which resolves to what the component contributes and
 * how to stop it; a new component is a starter there and one line in `startComponents`.
 */
import type { Firestore } from '@google-cloud/firestore';
import { isAlreadyExists } from '../../functions/adapters/grpc-codes.js';
import { createTasksClient } from '../../functions/adapters/tasks-queue.js';
import { type App, buildApp } from '../../functions/app.js';
import type { HostPort } from '../../functions/config/host-port.js';
import type { AppConfig } from '../../functions/config.js';
import type { Clock, JobLauncher } from '../../functions/core/ports.js';
import { createLogger, type Logger } from '../../functions/log.js';
import QUEUE_DEFAULTS from '../../infra/queue-defaults.json' with { type: 'json' };
import type { ContainerEmulator } from '../container-emulator/server.js';
import type { KubeServer } from '../kube-server/server.js';
import type { TasksEmulator } from '../tasks-emulator/server.js';
import {
  linkClustersToJobs,
  type SimulatedEndpoints,
  startInstanceEndpoints,
  startLocalCloud,
} from './local-stack/cloud.js';
import { startLocalFirestore } from './local-stack/firestore.js';
import { startFunctionsGateway } from './local-stack/functions-gateway.js';
import { connectCluster, startLocalKubeServer } from './local-stack/kube.js';
import { loadLocalConfig } from './local-stack/local-config.js';
import { RunningComponents } from './local-stack/running-components.js';
import { startLocalScheduler, tickThrough } from './local-stack/scheduler.js';
import { startLocalTasks } from './local-stack/tasks.js';

export { LOCAL_WEBHOOK_SECRET } from './local-stack/local-config.js';

/**
 * The local queue: production's limits and attempts (infra/queue-defaults.json, the Terraform
 * defaults), but retried after 1 to 30 s instead of 10 to 300 s, so a retry shows within seconds.
 */
export const LOCAL_QUEUE = {
  rateLimits: {
    maxDispatchesPerSecond: QUEUE_DEFAULTS.maxDispatchesPerSecond,
    maxConcurrentDispatches: QUEUE_DEFAULTS.maxConcurrentDispatches,
  },
  retryConfig: {
    maxAttempts: QUEUE_DEFAULTS.maxAttempts,
    minBackoff: { seconds: 1 },
    maxBackoff: { seconds: 30 },
    maxDoublings: QUEUE_DEFAULTS.maxDoublings,
  },
};

export interface LocalStack {
  url: string;
  config: AppConfig;
  app: App;
  firestoreEmulatorHost: string;
  tasksEmulatorHost: string;
  /** The local Tasks emulator, when this stack started it. */
  tasksEmulator: TasksEmulator | null;
  /** The ClusterManager fake, when this stack started it (its control API adds or deletes clusters by hand). */
  containerEmulator: ContainerEmulator | null;
  containerEmulatorHost: string;
  /** Where the readiness probes go (READINESS_URL), or null for each version's own URL. */
  readinessUrl: string | null;
  /** The simulated instance endpoints, when this stack serves them. */
  simulatedEndpoints: SimulatedEndpoints | null;
  /** The local Kubernetes API server, when KUBECONFIG was not set. */
  kubeServer: KubeServer | null;
  kubeconfigPath: string | null;
  webhookSecret: string;
  /** Calls /schedulerTick once over HTTP, as Cloud Scheduler does. */
  tick(): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  port?: number;
  logger?: Logger;
  /** Overrides the jobs adapter (tests that inject Kubernetes faults use the kube server instead). */
  jobs?: JobLauncher;
  /** Where to write the local kubeconfig (default .emulators/kubeconfig). */
  stateDir?: string;
  /**
   * The one clock of the functions, the Tasks emulator and the local kube server (default: the real
   * clock). Tests inject one to put time where a rule needs it instead of waiting for it.
   */
  clock?: Clock;
  /** The functions' Firestore client (default: one for the stack's emulator, made by the app). */
  firestore?: Firestore;
}

/** What the npm scripts need before them to call this stack: `PORT=N ` unless it is on their default 8080. */
export function localPortPrefix(gatewayUrl: string): string {
  const port = new URL(gatewayUrl).port;
  return port === '8080' ? '' : `PORT=${port} `;
}

/** How to run a tick against this stack (the status page says it): `npm run tick`, on the gateway's port. */
export function localTickCommand(gatewayUrl: string): string {
  return `${localPortPrefix(gatewayUrl)}npm run tick`;
}

/** Starts the local stack from `env` (process.env by default); `port` 0 picks a free port. */
export async function startLocalStack(
  env: NodeJS.ProcessEnv = process.env,
  options: LocalStackOptions = {},
): Promise<LocalStack> {
  const logger = options.logger ?? createLogger({ component: 'local-stack' });
  const components = new RunningComponents(logger);
  try {
    return await startComponents(env, options, logger, components);
  } catch (err) {
    await components.stopAll();
    throw err;
  }
}

/** Starts the components in order, each given what the earlier ones contributed. */
async function startComponents(
  env: NodeJS.ProcessEnv,
  options: LocalStackOptions,
  logger: Logger,
  components: RunningComponents,
): Promise<LocalStack> {
  const clock: Clock = options.clock ?? (() => new Date());
  // The gateway first: a port already taken fails the start at once, before any emulator starts.
  let app: App | undefined;
  const gateway = await components.add(
    startFunctionsGateway(options.port ?? Number(env.PORT || 8080), () => {
      if (!app) throw new Error('the local stack is still starting');
      return app;
    }),
  );
  const firestore = await components.add(startLocalFirestore(env, logger));
  const tasks = await components.add(startLocalTasks(env, logger, clock));
  const cloud = await components.add(startLocalCloud(env, logger));
  const endpoints = await components.add(startInstanceEndpoints(cloud.containerEmulator));
  const { config, projectId, webhookSecret, queue } = loadLocalConfig(env, {
    FIRESTORE_EMULATOR_HOST: firestore.firestoreEmulatorHost,
    CLOUD_TASKS_EMULATOR_HOST: tasks.tasksEmulatorHost,
    CONTAINER_EMULATOR_HOST: cloud.containerEmulatorHost,
    DEPLOY_WORKER_URL: env.DEPLOY_WORKER_URL?.trim() || `${gateway.url}/deployWorker`,
    ...(endpoints.endpoints && !env.READINESS_URL?.trim()
      ? { READINESS_URL: endpoints.endpoints.readinessUrl }
      : {}),
    TICK_COMMAND: env.TICK_COMMAND?.trim() || localTickCommand(gateway.url),
  });
  await ensureQueue(queue.queuePath, queue.emulator, projectId);

  const { kubeServer } = await components.add(startLocalKubeServer(env, options.jobs, clock));
  const namespace = config.deployments.namespace;
  const cluster = connectCluster(
    env,
    { jobs: options.jobs, stateDir: options.stateDir, namespace },
    kubeServer,
    logger,
  );

  const where = { project: config.deployments.project, location: config.deployments.zone };
  await components.add(linkClustersToJobs(kubeServer, cloud.containerEmulator, where, logger));

  app = buildApp(config, {
    logger,
    clock,
    ...(options.firestore ? { firestore: options.firestore } : {}),
    ...(cluster.jobs ? { jobs: cluster.jobs } : {}),
  });
  await app.intakeStore.syncVersions(config.deployments.versions, clock());

  const tick = tickThrough(gateway.url);
  await components.add(startLocalScheduler(env, tick, logger));

  return {
    url: gateway.url,
    config,
    app,
    firestoreEmulatorHost: firestore.firestoreEmulatorHost,
    tasksEmulatorHost: tasks.tasksEmulatorHost,
    tasksEmulator: tasks.tasksEmulator,
    containerEmulator: cloud.containerEmulator,
    containerEmulatorHost: cloud.containerEmulatorHost,
    readinessUrl: config.readinessUrl,
    simulatedEndpoints: endpoints.endpoints,
    kubeServer,
    kubeconfigPath: cluster.kubeconfigPath,
    webhookSecret,
    tick,
    stop: () => components.stopAll(),
  };
}

/** Creates the queue in a Tasks emulator unless it exists (Cloud Tasks' own queue comes from infra/). */
export async function ensureQueue(queuePath: string, emulator: HostPort, projectId: string): Promise<void> {
  const client = createTasksClient({ emulator, projectId });
  try {
    const parent = queuePath.slice(0, queuePath.indexOf('/queues/'));
    await client.createQueue({ parent, queue: { name: queuePath, ...LOCAL_QUEUE } });
  } catch (err) {
    // It was created before (an emulator the caller started, or an earlier attempt).
    if (!isAlreadyExists(err)) throw err;
  } finally {
    await client.close();
  }
}

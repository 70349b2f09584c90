/**
 * The whole system on one machine, for `npm start` and the end-to-end tests:
 * - Firestore: the emulator (unless FIRESTORE_EMULATOR_HOST names one);
 * - Cloud Tasks: the project's emulator (unless CLOUD_TASKS_EMULATOR_HOST names one) with the queue created;
 * - Kubernetes: KUBECONFIG's cluster, or else the local API server for batch/v1 Jobs;
 * - every function behind one gateway on PORT, at /<functionName>;
 * - a local scheduler calling /schedulerTick every TICK_INTERVAL_SECONDS (0 = never).
 * Production never runs this: it only fills in local defaults and starts development tools.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlreadyExists } from '../../functions/adapters/grpc-codes.js';
import { createKubeJobLauncher } from '../../functions/adapters/kube-jobs.js';
import { createTasksClient } from '../../functions/adapters/tasks-queue.js';
import {
  type App,
  buildApp,
  FUNCTION_NAMES,
  type FunctionName,
  type HttpHandler,
} from '../../functions/app.js';
import type { HostPort } from '../../functions/config/host-port.js';
import { type AppConfig, LOCAL_PROJECT_ID, loadConfig } from '../../functions/config.js';
import type { JobLauncher } from '../../functions/core/ports.js';
import { createLogger, describeError, type Logger } from '../../functions/log.js';
import QUEUE_DEFAULTS from '../../infra/queue-defaults.json' with { type: 'json' };
import {
  DEFAULT_LOCAL_JOB_SECONDS,
  type KubeServer,
  kubeConfigForLocalServer,
  parseJobSeconds,
  renderLocalKubeconfig,
  startKubeServer,
} from '../kube-server/server.js';
import { startTasksEmulator, type TasksEmulator } from '../tasks-emulator/server.js';
import { startFirestoreEmulator } from './firestore-emulator.js';
import { type Gateway, startGateway } from './gateway.js';

/** The webhook secret of the local stack when GITHUB_WEBHOOK_SECRET is unset. Local use only. */
export const LOCAL_WEBHOOK_SECRET = 'local-dev-secret';

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
}

/** Starts the local stack from `env` (process.env by default); `port` 0 picks a free port. */
export async function startLocalStack(
  env: NodeJS.ProcessEnv = process.env,
  options: LocalStackOptions = {},
): Promise<LocalStack> {
  const logger = options.logger ?? createLogger({ component: 'local-stack' });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) {
      await step().catch((err: unknown) => logger.warn('stopping a component failed', describeError(err)));
    }
  };
  try {
    let firestoreEmulatorHost = env.FIRESTORE_EMULATOR_HOST?.trim() ?? '';
    if (!firestoreEmulatorHost) {
      const emulator = await startFirestoreEmulator();
      stops.push(() => emulator.stop());
      firestoreEmulatorHost = emulator.hostPort;
      logger.info('firestore emulator started', { firestoreEmulatorHost });
    }

    let tasksEmulator: TasksEmulator | null = null;
    let tasksEmulatorHost = env.CLOUD_TASKS_EMULATOR_HOST?.trim() ?? '';
    if (!tasksEmulatorHost) {
      tasksEmulator = await startTasksEmulator({
        log: (entry) => {
          const { severity, message, ...fields } = entry;
          if (severity === 'WARNING') logger.warn(String(message), fields);
          else if (severity === 'ERROR') logger.error(String(message), fields);
          else if (severity === 'INFO') logger.info(String(message), fields);
        },
      });
      const started = tasksEmulator;
      stops.push(() => started.stop());
      tasksEmulatorHost = tasksEmulator.address;
      logger.info('tasks emulator started', { tasksEmulatorHost });
    }

    const gateway: Gateway = await startGateway(
      Object.fromEntries(
        FUNCTION_NAMES.map((name) => [name, (req, res) => handler(name)(req, res)] as const),
      ) as Record<string, HttpHandler>,
      { port: options.port ?? Number(env.PORT || 8080) },
    );
    stops.push(() => gateway.stop());

    const projectId = env.GOOGLE_CLOUD_PROJECT?.trim() || LOCAL_PROJECT_ID;
    const webhookSecret = env.GITHUB_WEBHOOK_SECRET?.trim() || LOCAL_WEBHOOK_SECRET;
    const config = loadConfig({
      ...env,
      FIRESTORE_EMULATOR_HOST: firestoreEmulatorHost,
      CLOUD_TASKS_EMULATOR_HOST: tasksEmulatorHost,
      GOOGLE_CLOUD_PROJECT: projectId,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      TASKS_QUEUE:
        env.TASKS_QUEUE?.trim() ||
        `projects/${projectId}/locations/us-central1/queues/${QUEUE_DEFAULTS.name}`,
      DEPLOY_WORKER_URL: env.DEPLOY_WORKER_URL?.trim() || `${gateway.url}/deployWorker`,
      // Locally the poll talks to GitHub only when asked to, or when GITHUB_API_URL names a (fake) API.
      GITHUB_POLL: env.GITHUB_POLL?.trim() || (env.GITHUB_API_URL?.trim() ? 'true' : 'false'),
      // Locally nobody's ID token can be verified (the emulators send unsigned ones): the checks are
      // off, and the gateway listens on loopback only.
      AUTH_MODE: 'off',
    });
    if ('problem' in config.tasks) throw new Error(config.tasks.problem);
    if (!config.tasks.emulator) throw new Error('unreachable: the local stack always runs a Tasks emulator');
    await ensureQueue(config.tasks.queuePath, config.tasks.emulator, projectId);

    let kubeServer: KubeServer | null = null;
    let kubeconfigPath: string | null = env.KUBECONFIG?.trim() || null;
    let jobs = options.jobs;
    if (!jobs && !kubeconfigPath) {
      kubeServer = await startKubeServer({
        token: env.LOCAL_KUBE_TOKEN?.trim() || undefined,
        // Jobs complete by themselves, so `npm start` shows an instance's whole life; 0 = never.
        jobSeconds: parseJobSeconds(env.LOCAL_JOB_SECONDS, 'LOCAL_JOB_SECONDS', DEFAULT_LOCAL_JOB_SECONDS),
      });
      const server = kubeServer;
      stops.push(() => server.stop());
      jobs = createKubeJobLauncher(kubeConfigForLocalServer(kubeServer, config.deployments.namespace));
      const dir = options.stateDir ?? join(process.cwd(), '.emulators');
      mkdirSync(dir, { recursive: true });
      kubeconfigPath = join(dir, 'kubeconfig');
      writeFileSync(kubeconfigPath, renderLocalKubeconfig(kubeServer, config.deployments.namespace));
      logger.info('local kubernetes API server started', { url: kubeServer.url, kubeconfig: kubeconfigPath });
    }

    const app = buildApp(config, { logger, ...(jobs ? { jobs } : {}) });
    const handler = (name: FunctionName) => app.handler(name);
    await app.intakeStore.syncVersions(config.deployments.versions, new Date());

    const tick = async () => {
      const response = await fetch(`${gateway.url}/schedulerTick`, { method: 'POST' });
      return { status: response.status, body: await response.json().catch(() => null) };
    };
    const intervalSeconds = Number(env.TICK_INTERVAL_SECONDS ?? 300);
    if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
      throw new Error(
        `TICK_INTERVAL_SECONDS: must be a number of seconds, 0 to disable (got ${env.TICK_INTERVAL_SECONDS})`,
      );
    }
    if (intervalSeconds > 0) {
      const timer = setInterval(() => {
        tick().catch((err: unknown) => logger.warn('local scheduler: tick failed', describeError(err)));
      }, intervalSeconds * 1000);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }

    return {
      url: gateway.url,
      config,
      app,
      firestoreEmulatorHost,
      tasksEmulatorHost,
      tasksEmulator,
      kubeServer,
      kubeconfigPath,
      webhookSecret,
      tick,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
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

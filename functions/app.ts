/**
 * The composition root: builds each function's handler from the configuration, with the real
 * adapters unless a test or the local stack passes its own. Nothing here decides anything.
 *
 * Each function is built on its first use, with only what it needs: the status function runs
 * without a queue or a cluster, and a function whose settings are missing fails with a ConfigError
 * that says which.
 */

import type { Firestore } from '@google-cloud/firestore';
import type { Request, Response } from '@google-cloud/functions-framework';
import { createContainerClient } from './adapters/container-client.js';
import { deferredJobLauncher } from './adapters/deferred-job-launcher.js';
import { createFirestore } from './adapters/firestore/client.js';
import { FirestoreIntakeStore } from './adapters/firestore/intake-store.js';
import { FirestoreLaunchStore } from './adapters/firestore/launch-store.js';
import { FirestorePlanStore } from './adapters/firestore/plan-store.js';
import { FirestorePollStore } from './adapters/firestore/poll-store.js';
import { FirestoreRefreshStore } from './adapters/firestore/refresh-store.js';
import { FirestoreStatusReader } from './adapters/firestore/status-reader.js';
import { WebhookVerifier } from './adapters/github-payload.js';
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
  IntakeStore,
  JobLauncher,
} from './core/ports.js';
import { createDeployWorkerHandler } from './deploy-worker.js';
import { createDeploymentStatusHandler } from './deployment-status.js';
import { createGithubWebhookHandler } from './github-webhook.js';
import { type JobTemplates, loadJobTemplates } from './job-templates.js';
import { createLogger, type Logger } from './log.js';
import { createSchedulerTickHandler } from './scheduler-tick.js';
import { createPushEvaluator, type PlanAndEnqueueDeps } from './use-cases/plan-and-enqueue.js';
import { runDeployRequest } from './use-cases/run-deploy-request.js';
import { runTick, type TickDeps, type TickReport } from './use-cases/tick.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

/** The functions this project deploys, by their Cloud Functions name (= `--entry-point`). */
export const FUNCTION_NAMES = ['githubWebhook', 'schedulerTick', 'deployWorker', 'deploymentStatus'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

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
}

export interface App {
  config: AppConfig;
  firestore: Firestore;
  intakeStore: IntakeStore;
  /** The handler of one function, built on first use. Throws ConfigError when its settings are missing. */
  handler(name: FunctionName): HttpHandler;
  /** One scheduler tick, as the schedulerTick function runs it. Throws ConfigError without a queue. */
  tick(): Promise<TickReport>;
}

function once<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}

/** Builds the app. Clients are created once and shared by every function of the instance. */
export function buildApp(config: AppConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? createLogger();
  // The one place the real clock is read; everything else is handed `clock`.
  const clock: Clock = overrides.clock ?? (() => new Date());
  const firestore = overrides.firestore ?? createFirestore(config.projectId, config.firestoreEmulatorHost);
  const intakeStore = new FirestoreIntakeStore(firestore);
  const deployments = config.deployments;

  const queue = once((): DeployQueue => {
    if (overrides.queue) return overrides.queue;
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
  });
  const jobs = once((): JobLauncher => {
    if (overrides.jobs) return overrides.jobs;
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
  });
  const commits = once((): CommitSource | null => {
    if (overrides.commits !== undefined) return overrides.commits;
    if (!config.github.isPollEnabled) return null;
    return new GitHubRestCommitSource({ apiUrl: config.github.apiUrl, token: config.github.token });
  });
  const templates = once(() => overrides.templates ?? loadJobTemplates());
  const planDeps = once(
    (): PlanAndEnqueueDeps => ({
      config: deployments,
      store: new FirestorePlanStore(firestore),
      queue: queue(),
      clock,
      logger: logger.child({ component: 'planner' }),
    }),
  );
  const tickDeps = once((): TickDeps => {
    const stepLogger = logger.child({ component: 'planner' });
    return {
      poll: {
        versions: deployments.versions,
        commits: commits(),
        pollStore: new FirestorePollStore(firestore),
        intake: intakeStore,
        clock,
        logger: stepLogger,
      },
      refresh: {
        namespace: deployments.namespace,
        store: new FirestoreRefreshStore(firestore),
        jobs: jobs(),
        clock,
        logger: stepLogger,
      },
      plan: planDeps(),
      intake: intakeStore,
      logger: stepLogger,
    };
  });
  const tick = () => runTick(tickDeps());

  const builders: Record<FunctionName, () => HttpHandler> = {
    githubWebhook: () => {
      if (config.webhookSecrets.length === 0) {
        throw new ConfigError(
          'GITHUB_WEBHOOK_SECRET is not set: githubWebhook refuses to run without a secret (it would accept ' +
            'unsigned pushes). Set it to the secret configured on the GitHub webhook.',
          ['GITHUB_WEBHOOK_SECRET: missing'],
        );
      }
      return createGithubWebhookHandler({
        verifier: new WebhookVerifier(config.webhookSecrets),
        store: intakeStore,
        versions: deployments.versions,
        evaluator: overrides.evaluator ?? createPushEvaluator(planDeps()),
        clock,
        logger: logger.child({ function: 'githubWebhook' }),
      });
    },
    schedulerTick: () => {
      tickDeps();
      return createSchedulerTickHandler({ tick, logger: logger.child({ function: 'schedulerTick' }) });
    },
    deployWorker: () => {
      const workerLogger = logger.child({ function: 'deployWorker' });
      const deps = {
        config: deployments,
        store: new FirestoreLaunchStore(firestore),
        jobs: jobs(),
        templates: templates(),
        clock,
        logger: workerLogger,
      };
      return createDeployWorkerHandler({
        run: (requestId) => runDeployRequest(deps, requestId),
        logger: workerLogger,
      });
    },
    deploymentStatus: () =>
      createDeploymentStatusHandler({
        reader: new FirestoreStatusReader(firestore, deployments.versions, clock),
        clock,
        logger: logger.child({ function: 'deploymentStatus' }),
        project: deployments.project,
        zone: deployments.zone,
      }),
  };
  const handlers = new Map<FunctionName, HttpHandler>();
  return {
    config,
    firestore,
    intakeStore,
    tick,
    handler(name) {
      let handler = handlers.get(name);
      if (!handler) {
        handler = builders[name]();
        handlers.set(name, handler);
      }
      return handler;
    },
  };
}

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
import { createFirestore, FirestoreStore } from './adapters/firestore-store.js';
import { WebhookVerifier } from './adapters/github-payload.js';
import { GitHubRestCommitSource } from './adapters/github-rest.js';
import { createKubeJobLauncher, loadKubeConfig } from './adapters/kube-jobs.js';
import { FirestorePipelineStore, FirestoreStatusReader } from './adapters/pipeline-store.js';
import { CloudTasksQueue, createTasksClient } from './adapters/tasks-queue.js';
import { type AppConfig, ConfigError } from './config.js';
import type { Clock, CommitSource, DeployEvaluator, DeployQueue, JobLauncher } from './core/ports.js';
import { DeployLauncher } from './deploy-launcher.js';
import { DeployPlanner } from './deploy-planner.js';
import { createDeployWorkerHandler } from './deploy-worker.js';
import { createDeploymentStatusHandler } from './deployment-status.js';
import { createGithubWebhookHandler } from './github-webhook.js';
import { type JobTemplates, loadJobTemplates } from './job-templates.js';
import { createLogger, type Logger } from './log.js';
import { createSchedulerTickHandler } from './scheduler-tick.js';

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
  /** Replaces the planner as the webhook's evaluation hook. */
  evaluator?: DeployEvaluator;
  clock?: Clock;
  logger?: Logger;
}

export interface App {
  config: AppConfig;
  store: FirestoreStore;
  pipelineStore: FirestorePipelineStore;
  /** The handler of one function, built on first use. Throws ConfigError when its settings are missing. */
  handler(name: FunctionName): HttpHandler;
  /** The planner (tick steps, evaluation after a push). Throws ConfigError without a queue. */
  planner(): DeployPlanner;
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
  const store = new FirestoreStore(firestore);
  const pipelineStore = new FirestorePipelineStore(firestore);

  const queue = once((): DeployQueue => {
    if (overrides.queue) return overrides.queue;
    const tasks = config.tasks;
    if ('problem' in tasks) {
      throw new ConfigError(`The deploy queue is not configured: ${tasks.problem}`, [tasks.problem]);
    }
    return new CloudTasksQueue({
      client: createTasksClient({ emulatorHost: tasks.emulatorHost, projectId: config.projectId }),
      queuePath: tasks.queuePath,
      workerUrl: tasks.workerUrl,
      serviceAccountEmail: tasks.serviceAccountEmail,
      dispatchDeadlineSeconds: tasks.dispatchDeadlineSeconds,
    });
  });
  const jobs = once((): JobLauncher => {
    if (overrides.jobs) return overrides.jobs;
    try {
      return createKubeJobLauncher(loadKubeConfig(config.env));
    } catch (err) {
      throw new ConfigError(`Kubernetes is not configured: ${(err as Error).message}`, [
        (err as Error).message,
      ]);
    }
  });
  const commits = once((): CommitSource | null => {
    if (overrides.commits !== undefined) return overrides.commits;
    if (!config.github.isPollEnabled) return null;
    return new GitHubRestCommitSource({ apiUrl: config.github.apiUrl, token: config.github.token });
  });
  const templates = once(() => overrides.templates ?? loadJobTemplates());
  const planner = once(
    () =>
      new DeployPlanner({
        config: config.deployments,
        store: pipelineStore,
        intake: store,
        queue: queue(),
        jobs: jobs(),
        commits: commits(),
        clock,
        logger: logger.child({ component: 'planner' }),
      }),
  );

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
        store,
        versions: config.deployments.versions,
        evaluator: overrides.evaluator ?? planner(),
        clock,
        logger: logger.child({ function: 'githubWebhook' }),
      });
    },
    schedulerTick: () =>
      createSchedulerTickHandler({ planner: planner(), logger: logger.child({ function: 'schedulerTick' }) }),
    deployWorker: () =>
      createDeployWorkerHandler({
        launcher: new DeployLauncher({
          config: config.deployments,
          store: pipelineStore,
          jobs: jobs(),
          templates: templates(),
          clock,
          logger: logger.child({ function: 'deployWorker' }),
        }),
        logger: logger.child({ function: 'deployWorker' }),
      }),
    deploymentStatus: () =>
      createDeploymentStatusHandler({
        reader: new FirestoreStatusReader(pipelineStore, config.deployments.versions, clock),
        clock,
        logger: logger.child({ function: 'deploymentStatus' }),
        project: config.deployments.project,
        zone: config.deployments.zone,
      }),
  };
  const handlers = new Map<FunctionName, HttpHandler>();
  return {
    config,
    store,
    pipelineStore,
    planner,
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

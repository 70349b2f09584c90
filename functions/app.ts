/**
 * The composition root: builds each function's handler from the configuration, with the real
 * adapters unless a test or the local stack passes its own. Nothing here decides anything.
 *
 * Each function is built on its first use, with only what it needs: the status function runs
 * without a queue or a cluster, and a function whose settings are missing fails with a ConfigError
 * that says which.
 */

import { randomBytes } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { Request, Response } from '@google-cloud/functions-framework';
import { FirestoreLaunchStore } from './adapters/firestore/launch-store.js';
import { FirestoreStatusReader } from './adapters/firestore/status-reader.js';
import { WebhookVerifier } from './adapters/github-payload.js';
import { GoogleIdTokenVerifier } from './adapters/id-token-verifier.js';
import { callerChecks } from './caller-wiring.js';
import { type AppConfig, ConfigError } from './config.js';
import type { Clock, IntakeStore } from './core/ports.js';
import { createDeployWorkerHandler } from './deploy-worker.js';
import { createDeploymentStatusHandler } from './deployment-status.js';
import { createGithubWebhookHandler } from './github-webhook.js';
import { createLogger } from './log.js';
import { createSchedulerTickHandler } from './scheduler-tick.js';
import { createPushEvaluator } from './use-cases/plan-and-enqueue.js';
import { runDeployRequest } from './use-cases/run-deploy-request.js';
import { runTick, type TickReport } from './use-cases/tick.js';
import { type AppOverrides, once, wireAdapters } from './wiring.js';

export type { AppOverrides } from './wiring.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

/** The functions this project deploys, by their Cloud Functions name (= `--entry-point`). */
export const FUNCTION_NAMES = ['githubWebhook', 'schedulerTick', 'deployWorker', 'deploymentStatus'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface App {
  config: AppConfig;
  firestore: Firestore;
  intakeStore: IntakeStore;
  /** The handler of one function, built on first use. Throws ConfigError when its settings are missing. */
  handler(name: FunctionName): HttpHandler;
  /** One scheduler tick, as the schedulerTick function runs it. Throws ConfigError without a queue. */
  tick(): Promise<TickReport>;
}

/** Builds the app. Clients are created once and shared by every function of the instance. */
export function buildApp(config: AppConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? createLogger();
  // The one place the real clock is read; everything else is handed `clock`.
  const clock: Clock = overrides.clock ?? (() => new Date());
  const {
    firestore,
    intakeStore,
    jobs,
    templates,
    planDeps,
    tickDeps,
    leaseStore,
    githubDeps,
    operatorDeps,
  } = wireAdapters(config, overrides, logger, clock);
  const deployments = config.deployments;
  const tick = () => runTick(tickDeps());
  const checks = callerChecks(
    config.auth,
    once(() => overrides.idTokenVerifier ?? new GoogleIdTokenVerifier()),
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
        store: intakeStore,
        versions: deployments.versions,
        evaluator: overrides.evaluator ?? createPushEvaluator(planDeps()),
        clock,
        logger: logger.child({ function: 'githubWebhook' }),
      });
    },
    schedulerTick: () => {
      const tickLogger = logger.child({ function: 'schedulerTick' });
      const guard = checks.guard('schedulerTick', tickLogger);
      tickDeps();
      return createSchedulerTickHandler({ tick, logger: tickLogger, guard });
    },
    deployWorker: () => {
      const workerLogger = logger.child({ function: 'deployWorker' });
      const guard = checks.guard('deployWorker', workerLogger);
      const deps = {
        config: deployments,
        store: new FirestoreLaunchStore(firestore),
        jobs: jobs(),
        templates: templates(),
        clock,
        logger: workerLogger,
        github: githubDeps(),
      };
      return createDeployWorkerHandler({
        run: (requestId) => runDeployRequest(deps, requestId),
        logger: workerLogger,
        guard,
      });
    },
    deploymentStatus: () => {
      const statusLogger = logger.child({ function: 'deploymentStatus' });
      return createDeploymentStatusHandler({
        reader: new FirestoreStatusReader(firestore, deployments.versions, clock),
        clock,
        logger: statusLogger,
        project: deployments.project,
        zone: deployments.zone,
        leases: {
          store: leaseStore(),
          versions: deployments.versions.map((version) => version.name),
          clock,
          randomHex: () => randomBytes(8).toString('hex'),
        },
        operator: operatorDeps(),
        auth: checks.status(statusLogger),
      });
    },
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

/**
 * The composition root: builds each function's handler from the configuration, with the real
 * adapters unless a test or the local stack passes its own. Nothing here decides anything.
 *
 * Each function is built on its first use, with only what it needs: `handler(name)` checks the
 * function's settings at once (a missing one is a ConfigError that says which), and its modules and
 * client libraries are imported (`await import()`, function-modules.ts) when its first request comes,
 * or earlier, while the instance starts, when FUNCTION_TARGET names it (index.ts); so one function's
 * cold start never pays for another's libraries. A setting found wrong only then (a kubeconfig that
 * does not load) answers 500 with the problem, logged CRITICAL, like a bad configuration.
 */

import { randomBytes } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import type { Request, Response } from '@google-cloud/functions-framework';
import { FirestoreLaunchStore } from './adapters/firestore/launch-store.js';
import { FirestorePendingPlanStore } from './adapters/firestore/pending-plan-store.js';
import { FirestoreStatusReader } from './adapters/firestore/status-reader.js';
import { callerChecks } from './caller-wiring.js';
import { type AppConfig, ConfigError } from './config.js';
import type { Clock, IdTokenVerifier, IntakeStore, WorkQueue } from './core/ports.js';
import {
  type FunctionName,
  statusModules,
  tickModules,
  tickUseCase,
  webhookModules,
  workerModules,
} from './function-modules.js';
import { createLogger, describeError, type Logger } from './log.js';
import type { TickReport } from './use-cases/tick.js';
import { type AppOverrides, once, wireAdapters } from './wiring.js';

export { FUNCTION_NAMES, type FunctionName } from './function-modules.js';
export type { AppOverrides } from './wiring.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

export interface App {
  config: AppConfig;
  firestore: Firestore;
  intakeStore: IntakeStore;
  /** The handler of one function, built on first use. Throws ConfigError when its settings are missing. */
  handler(name: FunctionName): HttpHandler;
  /** One scheduler tick, as the schedulerTick function runs it. Throws ConfigError without a queue. */
  tick(): Promise<TickReport>;
}

/** Google's ID token verifier, its library (google-auth-library) imported on the first token checked. */
function lazyIdTokenVerifier(): IdTokenVerifier {
  const verifier = once(async () => {
    const { GoogleIdTokenVerifier } = await import('./adapters/id-token-verifier.js');
    return new GoogleIdTokenVerifier();
  });
  return { verify: async (token, audiences) => (await verifier()).verify(token, audiences) };
}

/**
 * A handler that waits for its function to be built on its first request; a build that failed
 * answers 500 with the problem every time (logged CRITICAL), as a bad configuration does.
 */
function whenBuilt(name: FunctionName, built: Promise<HttpHandler>, logger: Logger): HttpHandler {
  // Observed here so that a failed build is reported per request, never as an unhandled rejection.
  built.catch(() => undefined);
  return async (req, res) => {
    let handler: HttpHandler;
    try {
      handler = await built;
    } catch (err) {
      logger.critical(`${name} cannot start: fix the configuration and redeploy`, describeError(err));
      res.status(500).json({ error: (err as Error).message });
      return;
    }
    await handler(req, res);
  };
}

/** What every builder shares: the configuration, the adapters, the caller checks. */
interface BuildContext {
  config: AppConfig;
  overrides: AppOverrides;
  logger: Logger;
  clock: Clock;
  wired: ReturnType<typeof wireAdapters>;
  checks: ReturnType<typeof callerChecks>;
  tick: () => Promise<TickReport>;
}

/** Each builder checks its function's settings at once, then returns its build (the imports) as a promise. */
type Builder = (context: BuildContext) => Promise<HttpHandler>;

const buildWebhook: Builder = ({ config, overrides, logger, clock, wired }) => {
  if (config.webhookSecrets.length === 0) {
    throw new ConfigError(
      'GITHUB_WEBHOOK_SECRET is not set: githubWebhook refuses to run without a secret (it would accept ' +
        'unsigned pushes). Set it to the secret configured on the GitHub webhook.',
      ['GITHUB_WEBHOOK_SECRET: missing'],
    );
  }
  const given = overrides.evaluator;
  const workQueue = given ? null : wired.workQueue();
  return (async () => {
    const [{ createGithubWebhookHandler }, { WebhookVerifier }, { createPlanTaskEvaluator }] =
      await webhookModules();
    const webhookLogger = logger.child({ function: 'githubWebhook' });
    return createGithubWebhookHandler({
      verifier: new WebhookVerifier(config.webhookSecrets),
      store: wired.intakeStore,
      versions: config.deployments.versions,
      evaluator:
        given ??
        createPlanTaskEvaluator({
          queue: workQueue as WorkQueue,
          pending: new FirestorePendingPlanStore(wired.firestore),
          clock,
          logger: webhookLogger,
        }),
      clock,
      logger: webhookLogger,
    });
  })();
};

const buildTick: Builder = ({ logger, wired, checks, tick }) => {
  const tickLogger = logger.child({ function: 'schedulerTick' });
  const guard = checks.guard('schedulerTick', tickLogger);
  wired.queue();
  return (async () => {
    const [{ createSchedulerTickHandler }] = await tickModules();
    // Built now, so that a Kubernetes that is not configured fails the build, not each tick.
    await wired.tickDeps();
    return createSchedulerTickHandler({ tick, logger: tickLogger, guard });
  })();
};

const buildWorker: Builder = ({ config, logger, clock, wired, checks }) => {
  const workerLogger = logger.child({ function: 'deployWorker' });
  const guard = checks.guard('deployWorker', workerLogger);
  const jobs = wired.jobs();
  const pending = new FirestorePendingPlanStore(wired.firestore);
  return (async () => {
    const [{ createDeployWorkerHandler }, { runDeployRequest }, { runWorkTask }] = await workerModules();
    const deps = {
      config: config.deployments,
      store: new FirestoreLaunchStore(wired.firestore),
      jobs: await jobs,
      templates: wired.templates(),
      clock,
      logger: workerLogger,
      github: wired.githubDeps(),
    };
    return createDeployWorkerHandler({
      run: (requestId) => runDeployRequest(deps, requestId),
      // The deploy queue (Cloud Tasks' client) is loaded by the first plan or poll task, not before.
      // A plan task launches the deploy it decides now itself (use-cases/plan-and-enqueue.ts).
      work: (task) =>
        runWorkTask(
          {
            plan: { ...wired.planDeps(), launch: (request) => runDeployRequest(deps, request) },
            pending,
            poll: wired.pollDeps(),
          },
          task,
        ),
      logger: workerLogger,
      guard,
    });
  })();
};

const buildStatus: Builder = ({ config, logger, clock, wired, checks }) => {
  const statusLogger = logger.child({ function: 'deploymentStatus' });
  const auth = checks.status(statusLogger);
  const deployments = config.deployments;
  return (async () => {
    const { createDeploymentStatusHandler } = await statusModules();
    return createDeploymentStatusHandler({
      reader: new FirestoreStatusReader(wired.firestore, deployments.versions, clock),
      clock,
      logger: statusLogger,
      project: deployments.project,
      zone: deployments.zone,
      ...(config.tickCommand ? { tickCommand: config.tickCommand } : {}),
      leases: {
        store: wired.leaseStore(),
        versions: deployments.versions.map((version) => version.name),
        clock,
        randomHex: () => randomBytes(8).toString('hex'),
      },
      operator: wired.operatorDeps(),
      auth,
    });
  })();
};

const BUILDERS: Record<FunctionName, Builder> = {
  githubWebhook: buildWebhook,
  schedulerTick: buildTick,
  deployWorker: buildWorker,
  deploymentStatus: buildStatus,
};

/** Builds the app. Clients are created once and shared by every function of the instance. */
export function buildApp(config: AppConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? createLogger();
  // The one place the real clock is read; everything else is handed `clock`.
  const clock: Clock = overrides.clock ?? (() => new Date());
  const wired = wireAdapters(config, overrides, logger, clock);
  const tick = async () => {
    const { runTick } = await tickUseCase();
    return runTick(await wired.tickDeps());
  };
  const checks = callerChecks(
    config.auth,
    once(() => overrides.idTokenVerifier ?? lazyIdTokenVerifier()),
  );
  const context: BuildContext = { config, overrides, logger, clock, wired, checks, tick };
  const handlers = new Map<FunctionName, HttpHandler>();
  return {
    config,
    firestore: wired.firestore,
    intakeStore: wired.intakeStore,
    tick,
    handler(name) {
      let handler = handlers.get(name);
      if (!handler) {
        handler = whenBuilt(name, BUILDERS[name](context), logger);
        handlers.set(name, handler);
      }
      return handler;
    },
  };
}

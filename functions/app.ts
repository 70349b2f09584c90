/**
 * The composition root: builds each function's handler from the configuration, with the real
 * adapters unless a test or the local stack passes its own. Nothing here decides anything.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { createFirestore, FirestoreStore } from './adapters/firestore-store.js';
import { WebhookVerifier } from './adapters/github-payload.js';
import { type AppConfig, ConfigError } from './config.js';
import { type Clock, type DeployEvaluator, noopDeployEvaluator, systemClock } from './core/ports.js';
import { createGithubWebhookHandler } from './github-webhook.js';
import { createLogger, type Logger } from './log.js';

export type HttpHandler = (req: Request, res: Response) => Promise<void>;

/** The functions this project deploys, by their Cloud Functions name. */
export const FUNCTION_NAMES = ['githubWebhook'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Collaborators a caller may replace; everything else is built from the config. */
export interface AppOverrides {
  store?: FirestoreStore;
  evaluator?: DeployEvaluator;
  clock?: Clock;
  logger?: Logger;
}

/** Every function's handler, sharing one set of clients. */
export type App = Record<FunctionName, HttpHandler> & { store: FirestoreStore; config: AppConfig };

/** Builds the handlers. Throws ConfigError when a function's required settings are missing. */
export function buildApp(config: AppConfig, overrides: AppOverrides = {}): App {
  const logger = overrides.logger ?? createLogger();
  const clock = overrides.clock ?? systemClock;
  const store =
    overrides.store ?? new FirestoreStore(createFirestore(config.projectId, config.firestoreEmulatorHost));
  if (config.webhookSecrets.length === 0) {
    throw new ConfigError(
      'GITHUB_WEBHOOK_SECRET is not set: githubWebhook refuses to run without a secret (it would accept ' +
        'unsigned pushes). Set it to the secret configured on the GitHub webhook.',
      ['GITHUB_WEBHOOK_SECRET: missing'],
    );
  }
  const githubWebhook = createGithubWebhookHandler({
    verifier: new WebhookVerifier(config.webhookSecrets),
    store,
    versions: config.deployments.versions,
    evaluator: overrides.evaluator ?? noopDeployEvaluator,
    clock,
    logger: logger.child({ function: 'githubWebhook' }),
  });
  return { githubWebhook, store, config };
}

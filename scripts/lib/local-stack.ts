/**
 * The whole system on one machine, for `npm start` and the end-to-end tests: the Firestore emulator
 * (unless FIRESTORE_EMULATOR_HOST names one), and every function behind one gateway.
 * Production never runs this: it only fills in local defaults and starts development tools.
 */
import { type App, buildApp } from '../../functions/app.js';
import { type AppConfig, LOCAL_PROJECT_ID, loadConfig } from '../../functions/config.js';
import { createLogger, type Logger } from '../../functions/log.js';
import { startFirestoreEmulator } from './firestore-emulator.js';
import { type Gateway, startGateway } from './gateway.js';

/** The webhook secret of the local stack when GITHUB_WEBHOOK_SECRET is unset. Local use only. */
export const LOCAL_WEBHOOK_SECRET = 'local-dev-secret';

export interface LocalStack {
  url: string;
  config: AppConfig;
  app: App;
  firestoreEmulatorHost: string;
  webhookSecret: string;
  stop(): Promise<void>;
}

/** Starts the local stack from `env` (process.env by default); `port` 0 picks a free port. */
export async function startLocalStack(
  env: NodeJS.ProcessEnv = process.env,
  options: { port?: number; logger?: Logger } = {},
): Promise<LocalStack> {
  const logger = options.logger ?? createLogger({ component: 'local-stack' });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    let firestoreEmulatorHost = env.FIRESTORE_EMULATOR_HOST?.trim() ?? '';
    if (!firestoreEmulatorHost) {
      const emulator = await startFirestoreEmulator();
      stops.push(() => emulator.stop());
      firestoreEmulatorHost = emulator.hostPort;
      logger.info('firestore emulator started', { firestoreEmulatorHost });
    }
    const webhookSecret = env.GITHUB_WEBHOOK_SECRET?.trim() || LOCAL_WEBHOOK_SECRET;
    const config = loadConfig({
      ...env,
      FIRESTORE_EMULATOR_HOST: firestoreEmulatorHost,
      GOOGLE_CLOUD_PROJECT: env.GOOGLE_CLOUD_PROJECT?.trim() || LOCAL_PROJECT_ID,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
    });
    const app = buildApp(config, { logger });
    await app.store.syncVersions(config.deployments.versions, new Date());
    const gateway: Gateway = await startGateway(
      { githubWebhook: app.githubWebhook },
      { port: options.port ?? Number(env.PORT || 8080) },
    );
    stops.push(() => gateway.stop());
    return { url: gateway.url, config, app, firestoreEmulatorHost, webhookSecret, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

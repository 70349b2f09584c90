/** The local stack's configuration: the environment, local defaults, and what the components provide. */
import type { HostPort } from '../../../functions/config/host-port.js';
import { type AppConfig, LOCAL_PROJECT_ID, loadConfig } from '../../../functions/config.js';
import QUEUE_DEFAULTS from '../../../infra/queue-defaults.json' with { type: 'json' };

/** The webhook secret of the local stack when GITHUB_WEBHOOK_SECRET is unset. Local use only. */
export const LOCAL_WEBHOOK_SECRET = 'local-dev-secret';

export interface LocalConfig {
  config: AppConfig;
  projectId: string;
  webhookSecret: string;
  /** The queue to create in the local Tasks emulator. */
  queue: { queuePath: string; emulator: HostPort };
}

/**
 * Loads the configuration from `env` with the local defaults filled in and `provided` on top: the
 * variables the components started before it set (emulator hosts, the worker's URL).
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv, provided: Record<string, string>): LocalConfig {
  const projectId = env.GOOGLE_CLOUD_PROJECT?.trim() || LOCAL_PROJECT_ID;
  const webhookSecret = env.GITHUB_WEBHOOK_SECRET?.trim() || LOCAL_WEBHOOK_SECRET;
  const config = loadConfig({
    ...env,
    ...provided,
    GOOGLE_CLOUD_PROJECT: projectId,
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    TASKS_QUEUE:
      env.TASKS_QUEUE?.trim() || `projects/${projectId}/locations/us-central1/queues/${QUEUE_DEFAULTS.name}`,
    // Locally the poll talks to GitHub only when asked to, or when GITHUB_API_URL names a (fake) API.
    GITHUB_POLL: env.GITHUB_POLL?.trim() || (env.GITHUB_API_URL?.trim() ? 'true' : 'false'),
    // Locally nobody's ID token can be verified (the emulators send unsigned ones): the checks are
    // off, and the gateway listens on loopback only.
    AUTH_MODE: 'off',
  });
  if ('problem' in config.tasks) throw new Error(config.tasks.problem);
  if (!config.tasks.emulator) throw new Error('unreachable: the local stack always runs a Tasks emulator');
  return {
    config,
    projectId,
    webhookSecret,
    queue: { queuePath: config.tasks.queuePath, emulator: config.tasks.emulator },
  };
}

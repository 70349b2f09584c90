/**
 * Configuration: the deployments file (config/deployments-file.ts) and the environment
 * (config/environment.ts), each validated once, every problem collected into one ConfigError that
 * names the file or variable, the field and the bad value, and how to fix it.
 */
import { ConfigError } from './config/config-error.js';
import { DEFAULT_CONFIG_PATH, loadDeploymentsConfig } from './config/deployments-file.js';
import { type EnvironmentSettings, readEnvironment } from './config/environment.js';
import type { DeploymentsConfig } from './core/types.js';

export { ConfigError } from './config/config-error.js';
export {
  DEFAULT_CONFIG_PATH,
  DEFAULT_INVENTORY,
  DEFAULT_POLICY,
  DEFAULT_READINESS,
  loadDeploymentsConfig,
  parseDeploymentsConfig,
} from './config/deployments-file.js';
export { LOCAL_PROJECT_ID, type TasksSettings } from './config/environment.js';

/** Everything a function needs to know, from the environment and the deployments file. */
export interface AppConfig extends Omit<EnvironmentSettings, 'configPath'> {
  /** The deployments file read. */
  configPath: string;
  deployments: DeploymentsConfig;
}

/**
 * Loads the whole configuration from `env` (process.env by default): the deployments file first, then
 * every environment variable. Collects every problem and throws one ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  const configPath = env.AUTO_DEPLOY_CONFIG?.trim() || DEFAULT_CONFIG_PATH;
  let deployments: DeploymentsConfig | undefined;
  try {
    deployments = loadDeploymentsConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err.message);
  }
  const environment = readEnvironment(env);
  if (!environment.ok) problems.push(...environment.problems);
  if (!environment.ok || deployments === undefined) {
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`, problems);
  }
  return { ...environment.settings, configPath, deployments };
}

/** The config as it may be logged: secrets replaced by their count or by "set". */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    configPath: config.configPath,
    projectId: config.projectId,
    firestoreEmulatorHost: config.firestoreEmulatorHost,
    webhookSecrets: `${config.webhookSecrets.length} set`,
    tasks: config.tasks,
    github: { ...config.github, token: config.github.token ? 'set' : 'not set' },
    kube: config.kube,
    auth: config.auth,
    deployments: config.deployments,
  };
}

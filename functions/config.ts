/**
 * Configuration: the deployments file (templates/deployments.yaml or AUTO_DEPLOY_CONFIG)
 * and the environment, each loaded and validated once. Every problem is collected into one
 * ConfigError that names the file or variable, the field and the bad value, and how to fix it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { parseQueuePath } from './adapters/tasks-queue.js';
import {
  isValidBranchName,
  isValidDnsLabel,
  isValidRepoFullName,
  isValidVersionName,
  MAX_VERSION_NAME_LENGTH,
} from './core/names.js';
import type { DeploymentsConfig, Policy } from './core/types.js';

/** Thrown for any invalid configuration; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

/** The repository's default deployments file. */
export const DEFAULT_CONFIG_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'templates',
  'deployments.yaml',
);

/** The original reconciler's numbers. */
export const DEFAULT_POLICY: Policy = {
  minMinutesBetweenDeployments: 20,
  maxActiveDeployments: 10,
  periodicRedeployHours: 12,
  minLifetimeHours: 3,
  gracePeriodHours: 3,
};

const positiveNumber = z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' });

const policyOverrideSchema = z.strictObject({
  minMinutesBetweenDeployments: positiveNumber.optional(),
  periodicRedeployHours: positiveNumber.optional(),
  minLifetimeHours: positiveNumber.optional(),
  gracePeriodHours: positiveNumber.optional(),
});

const policySchema = z.strictObject({
  ...policyOverrideSchema.shape,
  maxActiveDeployments: z
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .positive({ error: 'must be at least 1' })
    .optional(),
});

const nonEmpty = z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' });

const versionSchema = z.strictObject({
  name: nonEmpty.refine(isValidVersionName, {
    error: `must be lower-case letters, digits and '-', start with a letter, end with a letter or digit, at most ${MAX_VERSION_NAME_LENGTH} characters (it forms label values and instance names kf-<name>-MMDD-abc)`,
  }),
  repo: nonEmpty.refine(isValidRepoFullName, { error: "must be a GitHub repository 'owner/name'" }),
  branch: nonEmpty.refine(isValidBranchName, {
    error: 'must be a valid git branch name (see git check-ref-format)',
  }),
  kfDefPath: nonEmpty.refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), {
    error: "must be a path inside the repository, without a leading '/' or '..'",
  }),
  kfctlUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  paused: z.boolean({ error: 'must be true or false' }).optional(),
  policy: policyOverrideSchema.optional(),
});

const deploymentsSchema = z.strictObject({
  project: nonEmpty,
  zone: nonEmpty,
  namespace: nonEmpty.refine(isValidDnsLabel, {
    error: "must be a Kubernetes namespace name: lower-case letters, digits and '-', at most 63 characters",
  }),
  policy: policySchema.optional(),
  versions: z
    .array(versionSchema, { error: 'must be a list of versions' })
    .min(1, { error: 'must list at least one version' }),
});

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown key(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; remove them or fix their spelling`;
  }
  const value = issue.input === undefined ? 'missing' : `got ${JSON.stringify(issue.input)}`;
  return `${field}: ${issue.message} (${value})`;
}

/**
 * Duplicate version names, found on the raw input: a schema refinement would not run while any
 * version has a type error, and every problem must be reported at once.
 */
function findDuplicateVersionNames(raw: unknown): string[] {
  const versions = (raw as { versions?: unknown } | null)?.versions;
  if (!Array.isArray(versions)) return [];
  const seen = new Set<string>();
  const problems: string[] = [];
  versions.forEach((version, index) => {
    const name = (version as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) {
      problems.push(
        `versions[${index}].name: duplicates the name of an earlier version; version names must be unique (got ${JSON.stringify(name)})`,
      );
    }
    seen.add(name);
  });
  return problems;
}

/** Validates the text of a deployments file; `source` names it in errors. */
export function parseDeploymentsConfig(text: string, source: string): DeploymentsConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message : String(err);
    throw new ConfigError(`Invalid deployments config ${source}: not valid YAML: ${detail}`, [detail]);
  }
  const result = deploymentsSchema.safeParse(raw, { reportInput: true });
  const duplicates = findDuplicateVersionNames(raw);
  if (!result.success || duplicates.length > 0) {
    const problems = [...(result.success ? [] : result.error.issues.map(formatIssue)), ...duplicates];
    throw new ConfigError(
      `Invalid deployments config ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}; ` +
        `fix them and redeploy, see README "Configuration"):\n${problems.map((line) => `  - ${line}`).join('\n')}`,
      problems,
    );
  }
  if (!result.success) throw new Error('unreachable: validation failed without problems');
  const file = result.data;
  const policy: Policy = { ...DEFAULT_POLICY, ...file.policy };
  return {
    project: file.project,
    zone: file.zone,
    namespace: file.namespace,
    policy,
    versions: file.versions.map((version) => ({
      name: version.name,
      repo: version.repo,
      branch: version.branch,
      kfDefPath: version.kfDefPath,
      kfctlUrl: version.kfctlUrl,
      paused: version.paused ?? false,
      policy: { ...policy, ...version.policy },
    })),
  };
}

/** Reads and validates a deployments file. */
export function loadDeploymentsConfig(path: string): DeploymentsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read deployments config ${path}: ${(err as Error).message}. Set AUTO_DEPLOY_CONFIG to an existing file.`,
    );
  }
  return parseDeploymentsConfig(text, path);
}

/** Everything a function needs to know, from the environment and the deployments file. */
export interface AppConfig {
  configPath: string;
  deployments: DeploymentsConfig;
  /** The Google Cloud project holding Firestore (and the queue). */
  projectId: string;
  /** `host:port` of a Firestore emulator, or null for the real service. */
  firestoreEmulatorHost: string | null;
  /** Webhook secrets accepted, current first; empty when none is set. */
  webhookSecrets: string[];
  /** The deploy queue, or the problem that prevents using one (reported by the functions that need it). */
  tasks: TasksSettings | { problem: string };
  /** The GitHub REST API for the poll fallback. */
  github: { apiUrl: string; token: string | null; isPollEnabled: boolean };
  /** The environment, for the adapters that read their own (KUBECONFIG, in-cluster variables). */
  env: NodeJS.ProcessEnv;
}

/** Where deploy requests go and how Cloud Tasks delivers them. */
export interface TasksSettings {
  /** `projects/P/locations/L/queues/Q` */
  queuePath: string;
  /** `host:port` of a Cloud Tasks emulator (CLOUD_TASKS_EMULATOR_HOST), or null for the real service. */
  emulatorHost: string | null;
  /** The deployWorker URL the tasks call. */
  workerUrl: string;
  /** Service account whose OIDC token the tasks carry (the worker only accepts authenticated calls). */
  serviceAccountEmail: string | null;
  dispatchDeadlineSeconds: number;
}

/** The project id used locally when none is given: `demo-*` ids can never reach a real project. */
export const LOCAL_PROJECT_ID = 'demo-kubeflow-auto-deploy';

const HOST_PORT = /^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/**
 * Loads the whole configuration from `env` (process.env by default).
 * Collects every problem and throws one ConfigError.
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

  const firestoreEmulatorHost = env.FIRESTORE_EMULATOR_HOST?.trim() || null;
  if (firestoreEmulatorHost !== null && !HOST_PORT.test(firestoreEmulatorHost)) {
    problems.push(
      `FIRESTORE_EMULATOR_HOST: must be host:port (got ${JSON.stringify(firestoreEmulatorHost)})`,
    );
  }
  const projectId =
    env.GOOGLE_CLOUD_PROJECT?.trim() ||
    env.GCLOUD_PROJECT?.trim() ||
    (firestoreEmulatorHost ? LOCAL_PROJECT_ID : '');
  if (!projectId) {
    problems.push('GOOGLE_CLOUD_PROJECT: must name the project that holds Firestore (missing)');
  }

  const webhookSecrets = [env.GITHUB_WEBHOOK_SECRET, env.GITHUB_WEBHOOK_SECRET_PREVIOUS]
    .map((secret) => secret?.trim() ?? '')
    .filter((secret) => secret !== '');

  const tasks = readTasksSettings(env, problems);
  const github = readGithubSettings(env, problems);

  if (problems.length > 0 || deployments === undefined) {
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`, problems);
  }
  return { configPath, deployments, projectId, firestoreEmulatorHost, webhookSecrets, tasks, github, env };
}

/**
 * The queue settings. Missing ones are not an error here (the status function needs none): they are
 * returned as a problem for the functions that enqueue. Malformed ones are an error.
 */
function readTasksSettings(env: NodeJS.ProcessEnv, problems: string[]): AppConfig['tasks'] {
  const queue = parseQueuePath(env);
  const workerUrl = env.DEPLOY_WORKER_URL?.trim() ?? '';
  const emulatorHost = env.CLOUD_TASKS_EMULATOR_HOST?.trim() || null;
  if (emulatorHost !== null && !HOST_PORT.test(emulatorHost)) {
    problems.push(`CLOUD_TASKS_EMULATOR_HOST: must be host:port (got ${JSON.stringify(emulatorHost)})`);
  }
  if (workerUrl && !/^https?:\/\/[^\s]+$/.test(workerUrl)) {
    problems.push(
      `DEPLOY_WORKER_URL: must be the http(s) URL of the deployWorker function (got ${JSON.stringify(workerUrl)})`,
    );
  }
  const deadlineText = env.TASKS_DISPATCH_DEADLINE_SECONDS?.trim() || '600';
  const dispatchDeadlineSeconds = Number(deadlineText);
  if (
    !Number.isInteger(dispatchDeadlineSeconds) ||
    dispatchDeadlineSeconds < 15 ||
    dispatchDeadlineSeconds > 1800
  ) {
    problems.push(
      `TASKS_DISPATCH_DEADLINE_SECONDS: must be a whole number of seconds from 15 to 1800 (got ${JSON.stringify(deadlineText)})`,
    );
  }
  const isQueueGiven = Boolean(env.TASKS_QUEUE?.trim() || env.TASKS_QUEUE_ID?.trim());
  if (!queue.ok) {
    if (isQueueGiven) problems.push(queue.problem);
    return { problem: queue.problem };
  }
  if (!workerUrl) {
    return {
      problem:
        'DEPLOY_WORKER_URL: must be the URL of the deployWorker function that the tasks call (missing)',
    };
  }
  return {
    queuePath: queue.queuePath,
    emulatorHost,
    workerUrl,
    serviceAccountEmail: env.TASKS_SERVICE_ACCOUNT?.trim() || null,
    dispatchDeadlineSeconds,
  };
}

function readGithubSettings(env: NodeJS.ProcessEnv, problems: string[]): AppConfig['github'] {
  const apiUrl = (env.GITHUB_API_URL?.trim() || 'https://api.github.com').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(apiUrl)) {
    problems.push(`GITHUB_API_URL: must be an http(s) URL (got ${JSON.stringify(apiUrl)})`);
  }
  const poll = env.GITHUB_POLL?.trim().toLowerCase() || 'true';
  if (poll !== 'true' && poll !== 'false') {
    problems.push(`GITHUB_POLL: must be true or false (got ${JSON.stringify(env.GITHUB_POLL)})`);
  }
  return { apiUrl, token: env.GITHUB_TOKEN?.trim() || null, isPollEnabled: poll !== 'false' };
}

/** The config as it may be logged: secrets replaced by their count. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    configPath: config.configPath,
    projectId: config.projectId,
    firestoreEmulatorHost: config.firestoreEmulatorHost,
    webhookSecrets: `${config.webhookSecrets.length} set`,
    tasks: config.tasks,
    github: { ...config.github, token: config.github.token ? 'set' : 'not set' },
    deployments: config.deployments,
  };
}

/**
 * The environment, declared once: every variable a function reads, with its schema and default
 * (the same library, zod, as the deployments file). `readEnvironment(env)` validates all of them at
 * once and returns settings the adapters use as they are; nothing downstream re-checks them.
 */
import { z } from 'zod';
import { DEFAULT_GITHUB_API_URL } from '../adapters/github-rest.js';
import { parseAllowList } from '../core/callers.js';
import { type AuthSettings, authSettings } from './auth-settings.js';
import { formatIssue } from './config-error.js';
import { isReadinessUrlTemplate, READINESS_PLACEHOLDERS } from './deployments-file.js';
import { GKE_CLUSTER_SHAPE, type GkeClusterRef, parseGkeCluster } from './gke-cluster.js';
import { formatHostPort, type HostPort, parseHostPort } from './host-port.js';
import { parseQueuePath } from './queue-path.js';

/** The project id used locally when none is given: `demo-*` ids can never reach a real project. */
export const LOCAL_PROJECT_ID = 'demo-kubeflow-auto-deploy';

/** Cloud Tasks' limits for an HTTP task's dispatch deadline, and its default. */
export const DISPATCH_DEADLINE_SECONDS = { min: 15, max: 1800, default: 600 } as const;

/** Blank means unset, as a shell's `VAR=` does. */
const unsetIfBlank = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const text = z.preprocess(unsetIfBlank, z.string().trim().optional());
const hostPort = z.preprocess(
  unsetIfBlank,
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      const parsed = parseHostPort(value);
      if (parsed) return parsed;
      ctx.addIssue({ code: 'custom', message: 'must be host:port (IPv6 as [::1]:8123)', input: value });
      return z.NEVER;
    })
    .optional(),
);
const httpUrl = (what: string) =>
  z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .regex(/^https?:\/\/[^\s]+$/, { error: `must be ${what}` })
      .optional(),
  );
const email = (what: string) =>
  z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/, { error: `must be ${what}` })
      .optional(),
  );
const allowList = z.preprocess(
  unsetIfBlank,
  z
    .string()
    .transform((value, ctx) => {
      const parsed = parseAllowList(value);
      if (parsed.ok) return parsed.allowList;
      ctx.addIssue({
        code: 'custom',
        message: `must be emails and domain:<domain> entries, comma-separated: ${parsed.problems.join('; ')}`,
        input: value,
      });
      return z.NEVER;
    })
    .optional(),
);
const commaList = z.preprocess(
  unsetIfBlank,
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    )
    .optional(),
);

/** `true` or `false`, any case; blank means unset. */
const trueOrFalse = z.preprocess(
  (value) => (typeof value === 'string' ? unsetIfBlank(value.trim().toLowerCase()) : value),
  z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
);

/** Every variable the functions read, with its schema. The README's environment table documents them. */
const environmentSchema = z.object({
  /** Set by Cloud Functions: the one function this instance serves (read at start, function-modules.ts). */
  FUNCTION_TARGET: text,
  AUTO_DEPLOY_CONFIG: text,
  GOOGLE_CLOUD_PROJECT: text,
  GCLOUD_PROJECT: text,
  FIRESTORE_EMULATOR_HOST: hostPort,
  GITHUB_WEBHOOK_SECRET: text,
  GITHUB_WEBHOOK_SECRET_PREVIOUS: text,
  TASKS_QUEUE: text,
  TASKS_PROJECT: text,
  TASKS_LOCATION: text,
  TASKS_QUEUE_ID: text,
  DEPLOY_WORKER_URL: httpUrl('the http(s) URL of the deployWorker function'),
  TASKS_SERVICE_ACCOUNT: text,
  TASKS_DISPATCH_DEADLINE_SECONDS: z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .refine(isDispatchDeadline, { error: wholeSecondsMessage() })
      .transform(Number)
      .optional(),
  ),
  CLOUD_TASKS_EMULATOR_HOST: hostPort,
  GITHUB_API_URL: httpUrl('an http(s) URL'),
  GITHUB_TOKEN: text,
  GITHUB_POLL: trueOrFalse,
  GITHUB_DEPLOYMENTS: trueOrFalse,
  GKE_CLUSTER: z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .transform((value, ctx) => {
        const parsed = parseGkeCluster(value);
        if (parsed) return parsed;
        ctx.addIssue({ code: 'custom', message: GKE_CLUSTER_SHAPE, input: value });
        return z.NEVER;
      })
      .optional(),
  ),
  CONTAINER_EMULATOR_HOST: hostPort,
  TICK_COMMAND: text,
  READINESS_URL: z.preprocess(
    unsetIfBlank,
    z
      .string()
      .trim()
      .refine(isReadinessUrlTemplate, {
        error: `must be an http(s) URL; placeholders: ${READINESS_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
      })
      .optional(),
  ),
  KUBECONFIG: text,
  HOME: text,
  KUBERNETES_SERVICE_HOST: text,
  KUBERNETES_SERVICE_PORT: text,
  // Who may call the functions (config/auth-settings.ts; README "Authentication").
  AUTH_MODE: z.preprocess(
    (value) => (typeof value === 'string' ? unsetIfBlank(value.trim().toLowerCase()) : value),
    z.enum(['required', 'off'], { error: 'must be required or off' }).optional(),
  ),
  SCHEDULER_SERVICE_ACCOUNT: email('the email of the service account Cloud Scheduler calls schedulerTick as'),
  SCHEDULER_TICK_URL: httpUrl('the http(s) URL of the schedulerTick function'),
  STATUS_URL: httpUrl('the http(s) URL of the deploymentStatus function'),
  ALLOWED_PRINCIPALS: allowList,
  STATUS_PRIVATE: trueOrFalse,
  STATUS_EXTRA_AUDIENCES: commaList,
});

/** The names of every environment variable the functions read. */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

function isDispatchDeadline(text: string): boolean {
  const seconds = Number(text);
  return (
    /^\d+$/.test(text) && seconds >= DISPATCH_DEADLINE_SECONDS.min && seconds <= DISPATCH_DEADLINE_SECONDS.max
  );
}

function wholeSecondsMessage(): string {
  return `must be a whole number of seconds from ${DISPATCH_DEADLINE_SECONDS.min} to ${DISPATCH_DEADLINE_SECONDS.max}`;
}

/** Where deploy requests go and how Cloud Tasks delivers them. */
export interface TasksSettings {
  /** `projects/P/locations/L/queues/Q` */
  queuePath: string;
  /** A Cloud Tasks emulator (CLOUD_TASKS_EMULATOR_HOST), or null for the real service. */
  emulator: HostPort | null;
  /** The deployWorker URL the tasks call. */
  workerUrl: string;
  /** Service account whose OIDC token the tasks carry (the worker only accepts authenticated calls). */
  serviceAccountEmail: string | null;
  dispatchDeadlineSeconds: number;
}

/** What the environment says, validated. */
export interface EnvironmentSettings {
  /** AUTO_DEPLOY_CONFIG, or null for the repository's default file. */
  configPath: string | null;
  /** The Google Cloud project holding Firestore (and the queue). */
  projectId: string;
  /** `host:port` of a Firestore emulator, or null for the real service. */
  firestoreEmulatorHost: string | null;
  /** Webhook secrets accepted, current first; empty when none is set. */
  webhookSecrets: string[];
  /** The deploy queue, or the problem that prevents using one (reported by the functions that need it). */
  tasks: TasksSettings | { problem: string };
  /**
   * The GitHub REST API for the poll fallback and, when `isDeploymentsEnabled` (GITHUB_DEPLOYMENTS),
   * the deployments on the commit (which need the token).
   */
  github: { apiUrl: string; token: string | null; isPollEnabled: boolean; isDeploymentsEnabled: boolean };
  /**
   * Where the Kubernetes client finds its credentials: GKE_CLUSTER (credentials from ADC) when set, else
   * the kubeconfig or in-cluster variables, read by loadKubeConfig.
   */
  kube: {
    gkeCluster: GkeClusterRef | null;
    env: {
      KUBECONFIG?: string;
      HOME?: string;
      KUBERNETES_SERVICE_HOST?: string;
      KUBERNETES_SERVICE_PORT?: string;
    };
  };
  /** A ClusterManager fake (CONTAINER_EMULATOR_HOST), or null for GKE. */
  containerEmulator: HostPort | null;
  /** READINESS_URL: replaces every version's readiness URL (the local stack's simulated endpoints), or null. */
  readinessUrl: string | null;
  /**
   * TICK_COMMAND: how to run a tick now, which the status page and `ctl status` show when no tick ran
   * lately (Terraform sets the exact gcloud command, the local stack `npm run tick`); null: a generic one.
   */
  tickCommand: string | null;
  /** Who may call each function (AUTH_MODE and the variables it needs). */
  auth: AuthSettings;
}

type Environment = z.infer<typeof environmentSchema>;

/** The values the cross-field rules look at, trimmed, blank as unset: they hold even when a field is malformed. */
function lenient(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Problems that involve several variables (reported with the per-variable ones). */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const project = ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'FIRESTORE_EMULATOR_HOST'].some((name) =>
    lenient(env, name),
  );
  if (!project) problems.push('GOOGLE_CLOUD_PROJECT: must name the project that holds Firestore (missing)');
  const queue = parseQueuePath(env);
  if (!queue.ok && (lenient(env, 'TASKS_QUEUE') || lenient(env, 'TASKS_QUEUE_ID')))
    problems.push(queue.problem);
  if (lenient(env, 'GITHUB_DEPLOYMENTS')?.toLowerCase() === 'true' && !lenient(env, 'GITHUB_TOKEN')) {
    problems.push(
      'GITHUB_DEPLOYMENTS: true needs GITHUB_TOKEN, a token that may write deployments ' +
        '(fine-grained: deployments: write; classic: repo_deployment) (missing GITHUB_TOKEN)',
    );
  }
  return problems;
}

/**
 * The queue settings. Missing ones are not an error (the status function needs none): they are returned
 * as a problem for the functions that enqueue. Malformed ones were reported by crossFieldProblems.
 */
function tasksSettings(env: Environment): EnvironmentSettings['tasks'] {
  const queue = parseQueuePath(env);
  if (!queue.ok) return { problem: queue.problem };
  if (!env.DEPLOY_WORKER_URL) {
    return {
      problem:
        'DEPLOY_WORKER_URL: must be the URL of the deployWorker function that the tasks call (missing)',
    };
  }
  return {
    queuePath: queue.queuePath,
    emulator: env.CLOUD_TASKS_EMULATOR_HOST ?? null,
    workerUrl: env.DEPLOY_WORKER_URL,
    serviceAccountEmail: env.TASKS_SERVICE_ACCOUNT ?? null,
    dispatchDeadlineSeconds: env.TASKS_DISPATCH_DEADLINE_SECONDS ?? DISPATCH_DEADLINE_SECONDS.default,
  };
}

/** The id of the deploy queue, or null when none is configured. */
function queueIdOf(env: Environment): string | null {
  const queue = parseQueuePath(env);
  return queue.ok ? queue.queueId : null;
}

/** Validates `env`; returns the settings, or every problem (each names its variable and the bad value). */
export function readEnvironment(
  env: NodeJS.ProcessEnv,
): { ok: true; settings: EnvironmentSettings } | { ok: false; problems: string[] } {
  const result = environmentSchema.safeParse(env, { reportInput: true });
  const problems = [
    ...(result.success ? [] : result.error.issues.map(formatIssue)),
    ...crossFieldProblems(env),
  ];
  if (!result.success || problems.length > 0) return { ok: false, problems };
  const values = result.data;
  const firestoreEmulator = values.FIRESTORE_EMULATOR_HOST;
  const projectId = values.GOOGLE_CLOUD_PROJECT ?? values.GCLOUD_PROJECT ?? LOCAL_PROJECT_ID;
  const tasks = tasksSettings(values);
  const { KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT } = values;
  return {
    ok: true,
    settings: {
      configPath: values.AUTO_DEPLOY_CONFIG ?? null,
      projectId,
      firestoreEmulatorHost: firestoreEmulator ? formatHostPort(firestoreEmulator) : null,
      webhookSecrets: [values.GITHUB_WEBHOOK_SECRET, values.GITHUB_WEBHOOK_SECRET_PREVIOUS].filter(
        (secret): secret is string => secret !== undefined,
      ),
      tasks,
      github: {
        apiUrl: (values.GITHUB_API_URL ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
        token: values.GITHUB_TOKEN ?? null,
        isPollEnabled: values.GITHUB_POLL !== 'false',
        isDeploymentsEnabled: values.GITHUB_DEPLOYMENTS === 'true',
      },
      kube: {
        gkeCluster: values.GKE_CLUSTER ?? null,
        env: Object.fromEntries(
          Object.entries({ KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT }).filter(
            ([, value]) => value !== undefined,
          ),
        ),
      },
      containerEmulator: values.CONTAINER_EMULATOR_HOST ?? null,
      readinessUrl: values.READINESS_URL ?? null,
      tickCommand: values.TICK_COMMAND ?? null,
      auth: authSettings(values, queueIdOf(values)),
    },
  };
}

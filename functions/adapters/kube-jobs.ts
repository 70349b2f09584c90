/**
 * Kubernetes Jobs (batch/v1) through `@kubernetes/client-node`: the JobLauncher port, plus loading
 * the KubeConfig it is built from. Every API failure becomes a JobApiError that says whether a
 * retry can help (5xx, 429, 408, no response, timeout) or not (any other 4xx).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  AbortError,
  ApiException,
  BatchV1Api,
  type ConfigurationOptions,
  FetchError,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  type V1Job,
} from '@kubernetes/client-node';
import { isValidLabelValue } from '../core/names.js';
import { JobApiError, type JobLauncher } from '../core/ports.js';
import type { JobSummary } from '../core/types.js';
import { reuseConnections } from './kube-connections.js';

/** Default time for one API call, response body included, before it is abandoned as transient. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** How Jobs are deleted: the API server returns at once and the garbage collector removes the pods. */
export const DELETE_PROPAGATION_POLICY = 'Background';

export interface KubeJobLauncherOptions {
  /** Per API call; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/** Error codes of a request that got no response: the network or the server, not the request. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `key` is a valid label key: `name` or `prefix/name` (prefix a DNS subdomain). */
export function isValidLabelKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop() as string;
  const prefix = parts.pop();
  if (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/**
 * The equality selector `k1=v1,k2=v2` for `labels`. Keys and values are checked first, so a value
 * can never smuggle in another requirement (`a=x,b!=y`); an invalid one is a non-transient JobApiError.
 */
export function toLabelSelector(labels: Record<string, string>): string {
  const problems = Object.entries(labels).flatMap(([key, value]) => [
    ...(isValidLabelKey(key) ? [] : [`key ${JSON.stringify(key)}`]),
    ...(isValidLabelValue(value) ? [] : [`value ${JSON.stringify(value)} of ${key}`]),
  ]);
  if (problems.length > 0)
    throw new JobApiError(
      `Cannot list Jobs by invalid label ${problems.join(', ')}: build label values with toLabelValue() from core/names.ts.`,
      null,
      false,
    );
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** The pipeline's view of a Job: state from its Complete / Failed conditions with status "True". */
export function toJobSummary(job: V1Job): JobSummary {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.find((c) => c.type === type && c.status === 'True');
  const failed = isTrue('Failed');
  const complete = isTrue('Complete');
  const created = job.metadata?.creationTimestamp;
  const finished = job.status?.completionTime ?? (failed ?? complete)?.lastTransitionTime;
  return {
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? '',
    labels: { ...(job.metadata?.labels ?? {}) },
    state: failed ? 'failed' : complete ? 'complete' : 'running',
    createdAt: created ? new Date(created) : null,
    finishedAt: finished ? new Date(finished) : null,
    message: failed ? [failed.reason, failed.message].filter(Boolean).join(': ') || null : null,
  };
}

/** What a `Status` body says, when the error carries one. */
function parseStatusBody(body: unknown): { message?: string; reason?: string } {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() ? { message: body.trim().slice(0, 500) } : {};
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const { message, reason } = value as { message?: unknown; reason?: unknown };
  return {
    ...(typeof message === 'string' && message ? { message } : {}),
    ...(typeof reason === 'string' && reason ? { reason } : {}),
  };
}

function isTransientStatus(code: number): boolean {
  return code >= 500 || code === 429 || code === 408;
}

function hintFor(code: number): string {
  if (code === 401) return ' Check the credentials of the kubeconfig (KUBECONFIG) the worker uses.';
  if (code === 403)
    return " Grant the worker's identity create/list/delete on jobs.batch in this namespace (RBAC).";
  return '';
}

/**
 * Turns a client error into a JobApiError: an HTTP error keeps the API server's `Status` message and
 * its code; an error without a response (refused, reset, DNS, timeout) has status null and is transient.
 * Anything else (a bug, a bad kubeconfig) is returned unchanged.
 */
export function toJobApiError(error: unknown, action: string): unknown {
  if (error instanceof JobApiError) return error;
  if (error instanceof ApiException) {
    const code = Number(error.code);
    const { message, reason } = parseStatusBody(error.body);
    const text = message ?? (code === 401 ? 'Unauthorized' : `HTTP ${code}`);
    return new JobApiError(
      `${text} (HTTP ${code}${reason ? ` ${reason}` : ''} while ${action}).${hintFor(code)}`,
      code,
      isTransientStatus(code),
    );
  }
  if (error instanceof AbortError || (error instanceof Error && error.name === 'AbortError')) {
    return new JobApiError(
      `No answer from the Kubernetes API while ${action}: the request timed out.`,
      null,
      true,
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof FetchError || (typeof code === 'string' && NETWORK_ERROR_CODES.has(code))) {
    return new JobApiError(
      `No answer from the Kubernetes API while ${action}: ${(error as Error).message}`,
      null,
      true,
    );
  }
  return error;
}

/** A middleware that aborts each call after `timeoutMs` (the client has no timeout option of its own). */
function timeoutMiddleware(timeoutMs: number): ObservableMiddleware {
  return {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };
}

/** Creates, lists and deletes Jobs through the real Kubernetes API (`kc.makeApiClient(BatchV1Api)`). */
export class KubeJobLauncher implements JobLauncher {
  private readonly callOptions: ConfigurationOptions;

  constructor(
    private readonly api: BatchV1Api,
    options: KubeJobLauncherOptions = {},
  ) {
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new RangeError(`requestTimeoutMs must be > 0, got ${timeoutMs}.`);
    this.callOptions = { middleware: [timeoutMiddleware(timeoutMs)], middlewareMergeStrategy: 'append' };
  }

  async createJob(namespace: string, manifest: Record<string, unknown>): Promise<JobSummary> {
    const metadata = (manifest.metadata ?? {}) as { name?: string; generateName?: string };
    const what = metadata.name ?? `${metadata.generateName ?? ''}*`;
    try {
      const job = await this.api.createNamespacedJob(
        { namespace, body: manifest as V1Job },
        this.callOptions,
      );
      return toJobSummary(job);
    } catch (error) {
      throw toJobApiError(error, `creating Job ${what} in namespace ${namespace}`);
    }
  }

  async listJobs(namespace: string, labels: Record<string, string>): Promise<JobSummary[]> {
    const labelSelector = toLabelSelector(labels);
    try {
      const list = await this.api.listNamespacedJob(
        labelSelector ? { namespace, labelSelector } : { namespace },
        this.callOptions,
      );
      return list.items.map(toJobSummary);
    } catch (error) {
      throw toJobApiError(
        error,
        `listing Jobs in namespace ${namespace} with labels ${labelSelector || '(any)'}`,
      );
    }
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await this.api.deleteNamespacedJob(
        { namespace, name, propagationPolicy: DELETE_PROPAGATION_POLICY },
        this.callOptions,
      );
    } catch (error) {
      // Already gone (deleted by a previous attempt, by hand, or by a TTL): that is what we wanted.
      if (error instanceof ApiException && error.code === 404) return;
      throw toJobApiError(error, `deleting Job ${name} in namespace ${namespace}`);
    }
  }
}

/** Thrown when no usable kubeconfig can be loaded; the message says what to set. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

/** The environment loadKubeConfig reads. */
export interface KubeEnv {
  KUBECONFIG?: string;
  HOME?: string;
  KUBERNETES_SERVICE_HOST?: string;
  KUBERNETES_SERVICE_PORT?: string;
}

export interface LoadKubeConfigOptions {
  /** Use this context instead of the file's current-context. */
  context?: string;
  /** Where the in-cluster service account files live (tests). */
  serviceAccountDir?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function loadFiles(kc: KubeConfig, files: string[], variable: string): void {
  files.forEach((file, index) => {
    if (!existsSync(file))
      throw new KubeConfigError(
        `${variable} names ${file}, which does not exist: fix the path or unset ${variable}.`,
      );
    try {
      if (index === 0) kc.loadFromFile(file);
      else {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (error) {
      throw new KubeConfigError(`Cannot load kubeconfig ${file}: ${(error as Error).message}`);
    }
  });
}

function loadInCluster(kc: KubeConfig, env: KubeEnv, serviceAccountDir: string): void {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  const namespaceFile = join(serviceAccountDir, 'namespace');
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, 'utf8').trim() : undefined;
  kc.loadFromOptions({
    clusters: [
      {
        name: 'in-cluster',
        server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
        caFile: join(serviceAccountDir, 'ca.crt'),
        skipTLSVerify: false,
      },
    ],
    // The tokenFile provider re-reads the projected token, which the kubelet rotates.
    users: [
      {
        name: 'in-cluster',
        authProvider: { name: 'tokenFile', config: { tokenFile: join(serviceAccountDir, 'token') } },
      },
    ],
    contexts: [
      { name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) },
    ],
    currentContext: 'in-cluster',
  });
}

/**
 * The KubeConfig to reach the cluster, decided from `env` only:
 * `KUBECONFIG` (a path list, merged like kubectl; the first file's current-context wins), else
 * `$HOME/.kube/config` when it exists, else the in-cluster service account when
 * `KUBERNETES_SERVICE_HOST` is set. Throws a KubeConfigError that says what to set otherwise, or when
 * the chosen context has no cluster.
 */
export function loadKubeConfig(env: KubeEnv = process.env, options: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file.trim() !== '');
  const defaultFile = join(env.HOME || homedir(), '.kube', 'config');
  let source: string;
  if (files.length > 0) {
    loadFiles(kc, files, 'KUBECONFIG');
    source = `KUBECONFIG=${env.KUBECONFIG}`;
  } else if (existsSync(defaultFile)) {
    loadFiles(kc, [defaultFile], 'the default kubeconfig');
    source = defaultFile;
  } else if (env.KUBERNETES_SERVICE_HOST) {
    loadInCluster(kc, env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    source = 'the in-cluster service account';
  } else {
    throw new KubeConfigError(
      `No Kubernetes configuration: set KUBECONFIG to a kubeconfig file (none at ${defaultFile}), or run in a pod (KUBERNETES_SERVICE_HOST).`,
    );
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context))
      throw new KubeConfigError(
        `Context ${JSON.stringify(options.context)} is not in ${source}; it has: ${kc
          .getContexts()
          .map((context) => context.name)
          .join(', ')}.`,
      );
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster())
    throw new KubeConfigError(
      `The current context ${JSON.stringify(kc.getCurrentContext() ?? '')} of ${source} names no known cluster: set current-context (kubectl config use-context NAME).`,
    );
  return kc;
}

/** A launcher on the current context of `kc`; its calls reuse connections (kube-connections.ts). */
export function createKubeJobLauncher(kc: KubeConfig, options: KubeJobLauncherOptions = {}): KubeJobLauncher {
  return new KubeJobLauncher(reuseConnections(kc).makeApiClient(BatchV1Api), options);
}

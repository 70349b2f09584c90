/**
 * Where the Kubernetes tests run.
 *
 * - Default: the local API server of scripts/kube-server, started per suite on a free port.
 * - `AUTO_DEPLOY_TEST_KUBECONFIG=<path>` (plus optionally `AUTO_DEPLOY_TEST_CONTEXT` and
 *   `AUTO_DEPLOY_TEST_NAMESPACE`): a real cluster. Every Job the tests create there is suspended
 *   (`spec.suspend: true`, so no pod ever runs), carries a per-run label, and is deleted afterwards.
 *
 * Cases that need to drive a Job's status or inject faults cannot run on a real cluster: suites put
 * them under a target from `startLocalKubeTarget()`, which is always the local server, so they run
 * (against it) in both modes instead of being skipped.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import {
  createKubeJobLauncher,
  type KubeJobLauncher,
  type KubeJobLauncherOptions,
  loadKubeConfig,
} from '../../functions/adapters/kube-jobs.js';
import {
  type KubeServer,
  kubeConfigForLocalServer,
  startKubeServer,
} from '../../scripts/kube-server/server.js';
import { freePort } from '../../scripts/lib/net.js';

export const TEST_KUBECONFIG_ENV = 'AUTO_DEPLOY_TEST_KUBECONFIG';
export const TEST_CONTEXT_ENV = 'AUTO_DEPLOY_TEST_CONTEXT';
export const TEST_NAMESPACE_ENV = 'AUTO_DEPLOY_TEST_NAMESPACE';
export const LOCAL_TEST_NAMESPACE = 'auto-deploy-test';
/** The label every test Job carries; its value is unique per target. */
export const TEST_RUN_LABEL = 'auto-deploy-test-run';

type Env = Record<string, string | undefined>;

export interface KubeTarget {
  kind: 'local' | 'cluster';
  /** For test titles: "the local kube server" or "the cluster in AUTO_DEPLOY_TEST_KUBECONFIG (context, namespace)". */
  description: string;
  namespace: string;
  kubeConfig: KubeConfig;
  /** `{auto-deploy-test-run: <id>}`: put on every Job the tests create, so cleanup finds exactly those. */
  runLabels: Record<string, string>;
  /** The local server; null on a real cluster. */
  server: KubeServer | null;
  launcher(options?: KubeJobLauncherOptions): KubeJobLauncher;
  /** A launcher for the same cluster whose bearer token is `token` (and nothing else). */
  launcherWithToken(token: string, options?: KubeJobLauncherOptions): KubeJobLauncher;
  /** Deletes every Job carrying runLabels. */
  cleanup(): Promise<void>;
  /** Cleans up, and stops the local server if there is one. */
  stop(): Promise<void>;
}

export interface LocalKubeTarget extends KubeTarget {
  kind: 'local';
  server: KubeServer;
}

/** True when the tests run against a real cluster. */
export function usesRealCluster(env: Env = process.env): boolean {
  return Boolean(env[TEST_KUBECONFIG_ENV]?.trim());
}

/** Describes the target `startKubeTarget(env)` would use, without starting anything (for suite titles). */
export function describeKubeTarget(env: Env = process.env): string {
  return usesRealCluster(env)
    ? `the cluster in ${TEST_KUBECONFIG_ENV} (${env[TEST_KUBECONFIG_ENV]})`
    : 'the local kube server';
}

function newRunLabels(): Record<string, string> {
  return { [TEST_RUN_LABEL]: `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}` };
}

function withToken(kc: KubeConfig, token: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('The test kubeconfig has no current cluster.');
  const other = new KubeConfig();
  other.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'wrong-token', token }],
    contexts: [{ name: 'wrong-token', cluster: cluster.name, user: 'wrong-token' }],
    currentContext: 'wrong-token',
  });
  return other;
}

function makeTarget(
  kind: 'local' | 'cluster',
  description: string,
  kubeConfig: KubeConfig,
  namespace: string,
  server: KubeServer | null,
): KubeTarget {
  const runLabels = newRunLabels();
  const cleanup = async () => {
    const launcher = createKubeJobLauncher(kubeConfig);
    const jobs = await launcher.listJobs(namespace, runLabels);
    await Promise.all(jobs.map((job) => launcher.deleteJob(namespace, job.name)));
  };
  return {
    kind,
    description,
    namespace,
    kubeConfig,
    runLabels,
    server,
    launcher: (options) => createKubeJobLauncher(kubeConfig, options),
    launcherWithToken: (token, options) => createKubeJobLauncher(withToken(kubeConfig, token), options),
    cleanup,
    async stop() {
      try {
        await cleanup();
      } finally {
        await server?.stop();
      }
    },
  };
}

/** Always the local server (for the status-driving and fault-injection cases). */
export async function startLocalKubeTarget(namespace = LOCAL_TEST_NAMESPACE): Promise<LocalKubeTarget> {
  const server = await startKubeServer();
  const target = makeTarget(
    'local',
    'the local kube server',
    kubeConfigForLocalServer(server, namespace),
    namespace,
    server,
  );
  return { ...target, kind: 'local', server };
}

/** The real cluster when AUTO_DEPLOY_TEST_KUBECONFIG is set, else the local server. */
export async function startKubeTarget(env: Env = process.env): Promise<KubeTarget> {
  if (!usesRealCluster(env)) return startLocalKubeTarget();
  const path = (env[TEST_KUBECONFIG_ENV] as string).trim();
  const context = env[TEST_CONTEXT_ENV]?.trim();
  const kubeConfig = loadKubeConfig({ KUBECONFIG: path }, context ? { context } : {});
  const namespace =
    env[TEST_NAMESPACE_ENV]?.trim() ||
    kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ||
    'default';
  return makeTarget(
    'cluster',
    `${describeKubeTarget(env)}, context ${kubeConfig.getCurrentContext()}, namespace ${namespace}`,
    kubeConfig,
    namespace,
    null,
  );
}

/** A KubeConfig for 127.0.0.1 on a port where nothing listens (a server that is down). */
export async function unreachableKubeConfig(): Promise<KubeConfig> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // The connection is refused before TLS starts: no CA is needed.
    clusters: [{ name: 'down', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
    users: [{ name: 'down', token: 'any-token' }],
    contexts: [{ name: 'down', cluster: 'down', user: 'down' }],
    currentContext: 'down',
  });
  return kc;
}

/** An answer of the local server as raw HTTP: status, lower-case headers and the body's text. */
export interface RawKubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One HTTPS request to the local server, trusting its CA (Node's fetch cannot be given a CA), with
 * `Authorization: Bearer <token>` unless `token` is null. A dropped connection rejects.
 */
export function requestKubeServer(
  server: Pick<KubeServer, 'url' | 'caPem'>,
  method: string,
  path: string,
  options: { token: string | null; body?: string; headers?: Record<string, string> },
): Promise<RawKubeResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, server.url), { method, headers, ca: server.caPem }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A small Job manifest that is harmless on a real cluster: suspended (no pod runs), labelled with the
 * target's run label plus `labels`. Give `name` for a fixed name, else generateName `kube-test-`.
 */
export function testJobManifest(
  target: Pick<KubeTarget, 'namespace' | 'runLabels'>,
  options: { name?: string; labels?: Record<string, string> } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...(options.name ? { name: options.name } : { generateName: 'kube-test-' }),
      namespace: target.namespace,
      labels: { ...target.runLabels, ...options.labels },
    },
    spec: {
      suspend: true,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }],
        },
      },
    },
  };
}

/** Polls `check` (every 200 ms) until it is true; a real cluster may need a moment after a delete. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

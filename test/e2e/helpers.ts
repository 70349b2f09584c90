/**
 * Helpers for the end-to-end tests: the whole local stack (scripts/lib/local-stack.ts) with a test
 * deployments file whose policy values are seconds instead of hours, signed pushes over HTTP, the
 * status API, and waits that poll a condition (never fixed sleeps).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentData } from '@google-cloud/firestore';
import { JOB_LABELS } from '../../functions/core/job-manifest.js';
import type { Clock } from '../../functions/core/ports.js';
import type { Policy } from '../../functions/core/types.js';
import { createLogger, type Logger } from '../../functions/log.js';
import type { KubeJob, KubeServer } from '../../scripts/kube-server/server.js';
import { ensureQueue, type LocalStack, startLocalStack } from '../../scripts/lib/local-stack.js';
import { buildPushPayload, type PushSpec, signDelivery } from '../../scripts/lib/push-payload.js';
import {
  firestoreEmulatorHost,
  resetFirestore,
  TEST_PROJECT_ID,
  testFirestore,
} from '../support/firestore.js';
import { hostOf } from '../support/host.js';

export const E2E_REPO = 'kubeflow/manifests';
export const E2E_PROJECT = 'e2e-project';
export const E2E_ZONE = 'us-east1-c';
export const E2E_NAMESPACE = 'auto-deploy-e2e';
export const E2E_KFCTL_URL =
  'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0_linux.tar.gz';
export const E2E_SECRET = 'e2e-webhook-secret';

/** 3 s between two launches of one version. */
export const E2E_MIN_MINUTES_BETWEEN_DEPLOYMENTS = 0.05;

/** The default test policy: seconds instead of hours; GC effectively off; room for several instances. */
export const E2E_POLICY: Policy = {
  minMinutesBetweenDeployments: E2E_MIN_MINUTES_BETWEEN_DEPLOYMENTS,
  maxActiveDeployments: 5,
  periodicRedeployHours: 1000,
  minLifetimeHours: 1000,
  gracePeriodHours: 1000,
  maxDeployAttempts: 3,
  retryBackoffMinutes: 20,
  deployTimeoutMinutes: 120,
  jobRetentionHours: 1000,
  failedRetentionHours: 1000,
  maxTeardownAttempts: 3,
};

export interface E2eVersion {
  name: string;
  branch: string;
  kfDefPath: string;
}

export const E2E_VERSIONS: E2eVersion[] = [
  { name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' },
  { name: 'v1', branch: 'v1.0-branch', kfDefPath: 'kfdef/kfctl_gcp_iap.v1.0.0.yaml' },
];

/** The deployments file for a test, as YAML. */
export function deploymentsYaml(policy: Policy, versions: E2eVersion[]): string {
  const lines = [
    `project: ${E2E_PROJECT}`,
    `zone: ${E2E_ZONE}`,
    `namespace: ${E2E_NAMESPACE}`,
    'policy:',
    ...Object.entries(policy).map(([key, value]) => `  ${key}: ${value}`),
    'versions:',
    ...versions.flatMap((version) => [
      `  - name: ${version.name}`,
      `    repo: ${E2E_REPO}`,
      `    branch: ${version.branch}`,
      `    kfDefPath: ${version.kfDefPath}`,
      `    kfctlUrl: ${E2E_KFCTL_URL}`,
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

/** Things to stop after a test, stopped in reverse order; failures are collected, not swallowed. */
export class Teardown {
  private readonly steps: Array<() => Promise<void> | void> = [];

  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the e2e stack failed');
  }
}

/** A logger that keeps its lines, so a failing test can show what the stack did. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ component: 'local-stack' }, (line) => lines.push(line)), lines };
}

/**
 * The hooks every whole-stack suite wants, registered in the calling `describe`: a clean Firestore
 * before each test; after it, the stack's last log lines when the test failed, then the stack stopped.
 * `capture()` gives the test's stack a logger whose lines those are (and the lines, to wait on).
 */
export function useE2eHooks(): { teardown: Teardown; capture: () => { logger: Logger; lines: string[] } } {
  const teardown = new Teardown();
  let lines: string[] = [];
  beforeEach(async () => {
    lines = [];
    await resetFirestore();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      const title = this.currentTest.title;
      process.stderr.write(`--- last stack log lines of "${title}" ---\n${lines.slice(-60).join('\n')}\n`);
    }
    await teardown.run();
  });
  return {
    teardown,
    capture: () => {
      const captured = capturingLogger();
      lines = captured.lines;
      return captured;
    },
  };
}

export interface E2eStackOptions {
  policy?: Partial<Policy>;
  versions?: E2eVersion[];
  /** Extra environment (e.g. GITHUB_POLL, GITHUB_API_URL, CLOUD_TASKS_EMULATOR_HOST). */
  env?: Record<string, string>;
  logger?: Logger;
  /** The clock of the whole stack (functions, Tasks emulator, kube server); the real one by default. */
  clock?: Clock;
}

/**
 * Starts the whole stack on free ports with a test deployments file, the shared Firestore emulator and
 * no local scheduler (tests call `stack.tick()`), and registers its stop with `teardown`.
 */
export async function startE2eStack(teardown: Teardown, options: E2eStackOptions = {}): Promise<LocalStack> {
  const dir = mkdtempSync(join(tmpdir(), 'auto-deploy-e2e-'));
  teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'deployments.yaml');
  writeFileSync(
    configPath,
    deploymentsYaml({ ...E2E_POLICY, ...options.policy }, options.versions ?? E2E_VERSIONS),
  );
  const env: NodeJS.ProcessEnv = {
    FIRESTORE_EMULATOR_HOST: await firestoreEmulatorHost(),
    GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
    AUTO_DEPLOY_CONFIG: configPath,
    GITHUB_WEBHOOK_SECRET: E2E_SECRET,
    TICK_INTERVAL_SECONDS: '0',
    GITHUB_POLL: 'false',
    // The tests complete and fail Jobs themselves: Jobs that finish by themselves would race them.
    LOCAL_JOB_SECONDS: '0',
    ...options.env,
  };
  // The tests' client for the emulator (see EmulatorFirestore), stopped after the stack.
  // A test with an emulator of its own (options.env.FIRESTORE_EMULATOR_HOST) gets a client for it.
  const firestore = await testFirestore(options.env?.FIRESTORE_EMULATOR_HOST);
  teardown.add(() => firestore.terminate());
  const stack = await startLocalStack(env, {
    port: 0,
    stateDir: dir,
    firestore,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  teardown.add(() => stack.stop());
  return stack;
}

/** The local kube server of a stack (the e2e stacks never use a real cluster). */
export function kubeOf(stack: LocalStack): KubeServer {
  if (!stack.kubeServer) throw new Error('the e2e stack has no local kube server (is KUBECONFIG set?)');
  return stack.kubeServer;
}

/** Jobs of the e2e namespace, oldest first, optionally only deploy or teardown Jobs. */
export function jobsOf(stack: LocalStack, action?: 'deploy' | 'teardown'): KubeJob[] {
  return kubeOf(stack)
    .jobs(E2E_NAMESPACE)
    .filter((job) => action === undefined || job.metadata.labels?.[JOB_LABELS.action] === action);
}

/** The command of a Job's only container. */
export function jobCommand(job: KubeJob): string[] {
  const containers = (job.spec.template as { spec: { containers: Array<{ command?: string[] }> } }).spec
    .containers;
  if (containers.length !== 1)
    throw new Error(`Job ${job.metadata.name} has ${containers.length} containers`);
  return containers[0]?.command ?? [];
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Sends one signed push delivery to the stack's githubWebhook. */
export async function sendPush(
  stack: LocalStack,
  spec: PushSpec,
  deliveryId?: string,
): Promise<HttpAnswer<Record<string, unknown>>> {
  const delivery = await signDelivery('push', buildPushPayload(spec), stack.webhookSecret, deliveryId);
  return sendDelivery(stack, delivery);
}

/** Sends an already signed delivery (to redeliver exactly the same bytes). */
export async function sendDelivery(
  stack: LocalStack,
  delivery: { body: string; headers: Record<string, string> },
): Promise<HttpAnswer<Record<string, unknown>>> {
  const response = await fetch(`${stack.url}/githubWebhook`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** GET on the status function's JSON API, e.g. `/api/deployments`. */
export async function getStatus<T = unknown>(stack: LocalStack, path: string): Promise<HttpAnswer<T>> {
  const response = await fetch(`${stack.url}/deploymentStatus${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

/** A deployment as the status API returns it (the fields the tests read). */
export interface DeploymentJson {
  instance: string;
  version: string;
  commit: string;
  branch: string;
  reason: string;
  requestId: string;
  status: string;
  jobName: string | null;
  teardownJobName: string | null;
  kfDefUrl: string;
  createdAt: string;
  readyAt: string | null;
  deletingAt: string | null;
  deletedAt: string | null;
  error: string | null;
}

/** A version as the status API returns it. */
export interface VersionJson {
  name: string;
  head: { sha: string; deleted: boolean } | null;
  decision: {
    kind: 'deploy' | 'wait';
    reason: string;
    commit: string | null;
    until: string | null;
    notBefore: string | null;
    active: number | null;
    text: string;
  } | null;
}

export async function statusDeployments(stack: LocalStack): Promise<DeploymentJson[]> {
  const answer = await getStatus<DeploymentJson[]>(stack, '/api/deployments');
  if (answer.status !== 200) throw new Error(`/api/deployments answered ${answer.status}`);
  return answer.body;
}

export async function statusVersion(stack: LocalStack, name: string): Promise<VersionJson> {
  const answer = await getStatus<VersionJson[]>(stack, '/api/versions');
  if (answer.status !== 200) throw new Error(`/api/versions answered ${answer.status}`);
  const version = answer.body.find((candidate) => candidate.name === name);
  if (!version) throw new Error(`/api/versions has no version ${name}`);
  return version;
}

/** Every document of a collection, keyed by id. */
export async function readCollection(
  stack: LocalStack,
  collection: string,
): Promise<Map<string, DocumentData>> {
  const snapshot = await stack.app.firestore.collection(collection).get();
  return new Map(snapshot.docs.map((doc) => [doc.id, doc.data()]));
}

/** One document, or undefined. */
export async function readDoc(stack: LocalStack, path: string): Promise<DocumentData | undefined> {
  return (await stack.app.firestore.doc(path).get()).data();
}

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns that.
 * Fails with `what` and the last value seen after `timeoutMs` (generous: a slow machine is not a bug).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last !== undefined && last !== null && last !== false) return last as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last seen: ${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * What the stack logs when the planning a recorded push handed over ends: the worker, once it ran the
 * push's plan task (use-cases/plan-tasks.ts); or the webhook, when the hand-off failed.
 */
const EVALUATED = 'planned after push';
const EVALUATION_FAILED = 'deploy evaluation after push failed; the next tick retries';

/**
 * Waits until the stack logged the end of the deploy evaluation that delivery `deliveryId` started, and
 * fails if the evaluation failed. githubWebhook answers GitHub after at most its evaluation budget and
 * lets a slower evaluation go on after the answer, so what the evaluation writes (requests, tasks,
 * decisions) is only there for certain once it logged its end, not when the webhook answered.
 */
export async function evaluationOf(lines: string[], deliveryId: string): Promise<void> {
  const end = await waitFor(`the end of the deploy evaluation of delivery ${deliveryId}`, () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(
        (entry) =>
          entry.deliveryId === deliveryId &&
          (entry.message === EVALUATED || entry.message === EVALUATION_FAILED),
      ),
  );
  if (end.message === EVALUATION_FAILED) {
    throw new Error(`the deploy evaluation of delivery ${deliveryId} failed: ${String(end.error)}`);
  }
}

/**
 * Creates the stack's queue in a Tasks emulator with the real client, as local-stack does at start
 * (unless it exists). grpc-js shares subchannels between clients of one address, so right after the
 * emulator came back this may fail with UNAVAILABLE until the reconnect backoff ends: retry it.
 */
export async function createQueueIn(
  emulatorAddress: string,
  queuePath: string,
  projectId: string,
): Promise<void> {
  await ensureQueue(queuePath, hostOf(emulatorAddress), projectId);
}

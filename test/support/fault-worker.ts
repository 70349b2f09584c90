/**
 * The functions of a fault test, served on a port chosen before the stack starts: the stack's Tasks
 * emulator delivers to DEPLOY_WORKER_URL, which points here, so a test decides what answers the worker's
 * deliveries (an app with a short Kubernetes timeout, a clock it moves, a worker process it kills).
 * The stack itself only provides the emulators, the local kube server and the queue.
 */
import { createKubeJobLauncher } from '../../functions/adapters/kube-jobs.js';
import { type App, buildApp } from '../../functions/app.js';
import type { Clock } from '../../functions/core/ports.js';
import type { Logger } from '../../functions/log.js';
import { kubeConfigForLocalServer } from '../../scripts/kube-server/server.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { tickThrough } from '../../scripts/lib/local-stack/scheduler.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { freePort } from '../../scripts/lib/net.js';
import { E2E_NAMESPACE, type E2eStackOptions, kubeOf, startE2eStack, type Teardown } from '../e2e/helpers.js';

/** A stack whose functions answer on `functionsPort` once `serveFunctions` was called. */
export interface FaultStack {
  /** The emulators, the kube server and the queue (its own functions are not used). */
  emulators: LocalStack;
  functionsPort: number;
  /** Builds the functions with these settings and serves them on `functionsPort`; the stack to drive. */
  serveFunctions(options?: FunctionsOptions): Promise<{ stack: LocalStack; app: App; gateway: Gateway }>;
}

export interface FunctionsOptions {
  clock?: Clock;
  /** The Kubernetes client's per-request timeout (default: the adapter's). */
  kubeTimeoutMs?: number;
  logger?: Logger;
}

/** Starts the stack with DEPLOY_WORKER_URL on a free port that nothing serves yet. */
export async function startFaultStack(
  teardown: Teardown,
  options: E2eStackOptions = {},
): Promise<FaultStack> {
  const functionsPort = await freePort();
  const emulators = await startE2eStack(teardown, {
    ...options,
    env: { ...options.env, DEPLOY_WORKER_URL: `http://127.0.0.1:${functionsPort}/deployWorker` },
  });
  return {
    emulators,
    functionsPort,
    serveFunctions: async (functions = {}) => {
      const kubeConfig = kubeConfigForLocalServer(kubeOf(emulators), E2E_NAMESPACE);
      const app = buildApp(emulators.config, {
        jobs: createKubeJobLauncher(
          kubeConfig,
          functions.kubeTimeoutMs ? { requestTimeoutMs: functions.kubeTimeoutMs } : {},
        ),
        ...(functions.clock ? { clock: functions.clock } : {}),
        ...(functions.logger ? { logger: functions.logger } : {}),
      });
      const names = ['githubWebhook', 'schedulerTick', 'deployWorker', 'deploymentStatus'] as const;
      const gateway = await startGateway(Object.fromEntries(names.map((name) => [name, app.handler(name)])), {
        port: functionsPort,
      });
      teardown.add(() => app.firestore.terminate());
      teardown.add(() => gateway.stop());
      const stack: LocalStack = { ...emulators, url: gateway.url, app, tick: tickThrough(gateway.url) };
      return { stack, app, gateway };
    },
  };
}

/**
 * What a cold-started function talks to on its first request: the shared Firestore emulator (seeded),
 * a Tasks emulator with the deploy queue, the local Kubernetes API server, and a stand-in for the
 * worker URL the webhook's tasks are sent to. All in the benchmark's process; the function runs in a
 * fresh `node` process of its own (cold-start-probe.mjs).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { renderLocalKubeconfig, startKubeServer } from '../kube-server/server.js';
import { startTasksEmulator } from '../tasks-emulator/server.js';
import { BENCH_NAMESPACE, BENCH_PROJECT_ID, type BenchWorld, createWorld } from './bench-env.js';
import type { BenchContext } from './context.js';
import { benchFirestore, seedActive } from './seed.js';

const QUEUE = `projects/${BENCH_PROJECT_ID}/locations/us-central1/queues/auto-deploy`;

export interface ColdStartInfra {
  world: BenchWorld;
  /** The environment of a cold-started function. */
  env: Record<string, string>;
  db: ReturnType<typeof benchFirestore>;
  stop(): Promise<void>;
}

export async function startColdStartInfra(
  context: BenchContext,
  versionCount: number,
): Promise<ColdStartInfra> {
  await context.resetFirestore();
  const world = createWorld(
    versionCount,
    { minMinutesBetweenDeployments: 0.001, maxActiveDeployments: 10_000 },
    context.firestoreHost,
    // No cloud here to list clusters in or probe endpoints of: a cold start measures loading, not timeouts.
    ['readiness:', '  enabled: false', 'inventory:', '  enabled: false'],
  );
  const db = benchFirestore(context.firestoreHost);
  await seedActive(db, world.versions, 0, new Date());
  const tasks = await startTasksEmulator({ log: () => {} });
  tasks.createQueue(QUEUE);
  const kube = await startKubeServer();
  const kubeconfig = join(world.dir, 'kubeconfig');
  writeFileSync(kubeconfig, renderLocalKubeconfig(kube, BENCH_NAMESPACE));
  const worker = createServer((_req, res) => res.end('{}'));
  await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: world.dir,
    ...world.env,
    METADATA_SERVER_DETECTION: 'none',
    // As the local stack runs (no ID tokens to verify): the requests carry none.
    AUTH_MODE: 'off',
    TASKS_QUEUE: QUEUE,
    DEPLOY_WORKER_URL: `http://127.0.0.1:${(worker.address() as AddressInfo).port}/deployWorker`,
    CLOUD_TASKS_EMULATOR_HOST: tasks.address,
    KUBECONFIG: kubeconfig,
  };
  return {
    world,
    env,
    db,
    stop: async () => {
      worker.closeAllConnections();
      await new Promise<void>((resolve) => worker.close(() => resolve()));
      await tasks.stop();
      await kube.stop();
      await db.terminate();
      world.remove();
    },
  };
}

/**
 * The floor of push -> Job: the round trips the path cannot avoid, each measured in the same run
 * against the same emulators and servers, with nothing else going on:
 *
 * - one HTTP hop to a function through the gateway (GitHub -> githubWebhook: a delivery refused for
 *   its signature, which touches no storage);
 * - one queue hop (CreateTask on a queue without rate limits -> the HTTP request reaches its target:
 *   the hop Cloud Tasks -> deployWorker);
 * - the Firestore writes the path must make: record the push atomically (a transaction reading the
 *   branch head and writing the delivery claim, the commit and the head), claim the launch (a
 *   transaction querying the active deployments and creating the deployment), mark it deploying
 *   (one update);
 * - one Kubernetes Job create with the real client.
 *
 * The floor is the sum of the medians.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Firestore } from '@google-cloud/firestore';
import { CloudTasksClient } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { BENCH_PROJECT_ID } from './bench-env.js';
import { benchBatchApi, plainJob } from './kube-client.js';
import { percentile, round } from './report.js';
import type { BenchStack } from './stack-client.js';

const WARMUP = 3;
const FLOOR_NAMESPACE = 'bench-floor';

export interface Floor {
  totalMs: number;
  parts: Record<string, number>;
  samples: number;
}

async function medianOf(samples: number, body: (index: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await body(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await body(i);
    times.push(performance.now() - start);
  }
  return round(percentile(times, 0.5));
}

async function measureQueueHop(stack: BenchStack, samples: number): Promise<number> {
  const [host, port] = stack.tasksAddress.split(':');
  const client = new CloudTasksClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    projectId: BENCH_PROJECT_ID,
  });
  const arrivals = new Map<string, () => void>();
  const server = createServer((req, res) => {
    arrivals.get(req.url ?? '')?.();
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const parent = `projects/${BENCH_PROJECT_ID}/locations/us-central1`;
  const queue = `${parent}/queues/bench-floor-${randomUUID().slice(0, 8)}`;
  try {
    await client.createQueue({
      parent,
      queue: { name: queue, rateLimits: { maxDispatchesPerSecond: 500, maxBurstSize: 500 } },
    });
    return await medianOf(samples, async () => {
      const path = `/${randomUUID()}`;
      const arrived = new Promise<void>((resolve) => arrivals.set(path, resolve));
      await client.createTask({
        parent: queue,
        task: { httpRequest: { url: `${target}${path}`, httpMethod: 'POST', body: Buffer.from('{}') } },
      });
      await arrived;
      arrivals.delete(path);
    });
  } finally {
    await client.deleteQueue({ name: queue }).catch(() => undefined);
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function measureFirestore(firestoreHost: string, samples: number): Promise<Record<string, number>> {
  const db = new Firestore({ projectId: BENCH_PROJECT_ID, host: firestoreHost, ssl: false });
  const root = db.collection('benchFloor').doc(randomUUID());
  const deployments = root.collection('deployments');
  try {
    const pushTxn = await medianOf(samples, async (i) => {
      const branch = root.collection('branches').doc(`b${i}`);
      await db.runTransaction(async (tx) => {
        await tx.get(branch);
        tx.set(root.collection('deliveries').doc(randomUUID()), { status: 'recorded', at: new Date() });
        tx.set(branch.collection('commits').doc(randomUUID()), { message: 'commit', at: new Date() });
        tx.set(branch, { sha: randomUUID(), at: new Date() });
      });
    });
    const launchTxn = await medianOf(samples, async () => {
      await db.runTransaction(async (tx) => {
        await tx.get(deployments.where('status', 'in', ['launching', 'deploying', 'ready']));
        tx.create(deployments.doc(randomUUID()), { status: 'launching', createdAt: new Date() });
      });
    });
    const ids = (await deployments.get()).docs.map((doc) => doc.id);
    const markDeploying = await medianOf(samples, async (i) => {
      await deployments.doc(ids[Math.abs(i) % ids.length] as string).update({ status: 'deploying' });
    });
    return {
      firestorePushTransaction: pushTxn,
      firestoreLaunchTransaction: launchTxn,
      firestoreUpdate: markDeploying,
    };
  } finally {
    await db.recursiveDelete(root).catch(() => undefined);
    await db.terminate();
  }
}

async function measureKubeCreate(stack: BenchStack, samples: number): Promise<number> {
  const api = benchBatchApi(stack.kubeUrl, stack.kubeToken);
  return medianOf(samples, async () => {
    const body = plainJob(`floor-${randomUUID().slice(0, 8)}`, { 'bench-floor': 'true' });
    await api.createNamespacedJob({ namespace: FLOOR_NAMESPACE, body });
  });
}

async function measureHttpHop(stack: BenchStack, samples: number): Promise<number> {
  return medianOf(samples, async () => {
    const response = await fetch(`${stack.url}/githubWebhook`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': randomUUID(),
        'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: '{}',
    });
    await response.arrayBuffer();
    if (response.status !== 401) throw new Error(`floor: the HTTP hop expected 401, got ${response.status}`);
  });
}

/** Measures each part of the floor (`samples` each, after a short warm-up) while the stack is idle. */
export async function measureFloor(
  stack: BenchStack,
  firestoreHost: string,
  samples: number,
): Promise<Floor> {
  const parts = {
    httpHop: await measureHttpHop(stack, samples),
    queueHop: await measureQueueHop(stack, samples),
    ...(await measureFirestore(firestoreHost, samples)),
    kubeJobCreate: await measureKubeCreate(stack, samples),
  };
  const totalMs = round(Object.values(parts).reduce((sum, ms) => sum + ms, 0));
  return { totalMs, parts, samples };
}

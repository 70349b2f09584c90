/**
 * The local stack's cloud: a ClusterManager fake (unless CONTAINER_EMULATOR_HOST names one) that the
 * local Kubernetes server drives (a completed deploy Job creates the instance's cluster, a completed
 * teardown Job removes it), and a simulated endpoint for each instance whose cluster exists, which the
 * readiness probes reach through READINESS_URL. So `npm start` shows an instance's whole life, and a
 * cluster deleted or added by hand (the emulator's control API) shows what the inventory does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JOB_LABELS } from '../../../functions/core/job-manifest.js';
import type { Logger } from '../../../functions/log.js';
import { type ContainerEmulator, startContainerEmulator } from '../../container-emulator/server.js';
import type { KubeJob, KubeServer } from '../../kube-server/server.js';
import type { Started } from './running-components.js';

/** Starts the ClusterManager fake unless `env` names one; contributes it (null: not ours) and its address. */
export async function startLocalCloud(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Started & { containerEmulator: ContainerEmulator | null; containerEmulatorHost: string }> {
  const named = env.CONTAINER_EMULATOR_HOST?.trim() ?? '';
  if (named) return { containerEmulator: null, containerEmulatorHost: named };
  const emulator = await startContainerEmulator({ log: () => {} });
  logger.info('container emulator started', {
    containerEmulatorHost: emulator.address,
    control: emulator.controlUrl,
  });
  return {
    stop: () => emulator.stop(),
    containerEmulator: emulator,
    containerEmulatorHost: emulator.address,
  };
}

/**
 * Makes the local cluster drive the fake: a deploy Job that completes creates the cluster of its
 * instance (labelled like kfctl labels it), a teardown Job that completes removes it. Both ours only.
 */
export function linkClustersToJobs(
  kubeServer: KubeServer | null,
  cloud: ContainerEmulator | null,
  where: { project: string; location: string },
  logger: Logger,
): Started {
  if (!kubeServer || !cloud) return {};
  const unsubscribe = kubeServer.onJobFinished((job: KubeJob, outcome) => {
    const labels = job.metadata.labels ?? {};
    const instance = labels[JOB_LABELS.instance];
    if (outcome !== 'Complete' || !instance) return;
    if (labels[JOB_LABELS.action] === 'teardown') {
      cloud.deleteCluster(instance, where);
      logger.info('local cloud: cluster deleted by its teardown Job', { instance, job: job.metadata.name });
      return;
    }
    if (cloud.listClusters().some((cluster) => cluster.name === instance)) return;
    const clusterLabels = Object.fromEntries(
      [JOB_LABELS.commit, JOB_LABELS.branch, JOB_LABELS.version, JOB_LABELS.instance].flatMap((key) =>
        labels[key] ? [[key, labels[key]]] : [],
      ),
    );
    cloud.addCluster({ name: instance, ...where, labels: clusterLabels });
    logger.info('local cloud: cluster created by its deploy Job', { instance, job: job.metadata.name });
  });
  return { stop: async () => unsubscribe() };
}

/** The simulated endpoints: where they are, and a switch to make one stop answering (a broken Kubeflow). */
export interface SimulatedEndpoints {
  readinessUrl: string;
  /** `false`: the instance's endpoint answers 503 although its cluster exists; `true`: it answers again. */
  setAnswering(instance: string, isAnswering: boolean): void;
}

/**
 * Serves `/instances/<instance>/`: 200 while the instance's cluster exists in the fake (and nobody
 * switched it off), 503 otherwise. Contributes the READINESS_URL template that points the probes here.
 */
export async function startInstanceEndpoints(
  cloud: ContainerEmulator | null,
): Promise<Started & { endpoints: SimulatedEndpoints | null }> {
  if (!cloud) return { endpoints: null };
  const silenced = new Set<string>();
  const server: Server = createServer((req, res) => {
    const match = /^\/instances\/([^/]+)\/?$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    const name = match?.[1] ?? '';
    const exists = !silenced.has(name) && cloud.listClusters().some((cluster) => cluster.name === name);
    res.writeHead(exists ? 200 : match ? 503 : 404, { 'Content-Type': 'text/plain' });
    res.end(exists ? `Kubeflow (simulated): ${name}\n` : 'no such instance\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoints: {
      readinessUrl: `http://127.0.0.1:${port}/instances/{instance}/`,
      setAnswering: (instance, isAnswering) => {
        if (isAnswering) silenced.delete(instance);
        else silenced.add(instance);
      },
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

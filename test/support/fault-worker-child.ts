/**
 * A deployWorker in a process of its own, for the "worker killed between create and record" fault:
 * it serves the worker on FAULT_WORKER_PORT with the configuration in FAULT_WORKER_CONFIG (JSON) and the
 * cluster of FAULT_WORKER_KUBECONFIG, and SIGKILLs itself as soon as its first Job create succeeded,
 * before the worker can record the Job. Prints `listening` when it serves.
 */
import { createKubeJobLauncher, loadKubeConfig } from '../../functions/adapters/kube-jobs.js';
import { buildApp } from '../../functions/app.js';
import type { AppConfig } from '../../functions/config.js';
import type { JobLauncher } from '../../functions/core/ports.js';
import { silentLogger } from '../../functions/log.js';
import { startGateway } from '../../scripts/lib/gateway.js';

const config = JSON.parse(process.env.FAULT_WORKER_CONFIG ?? '') as AppConfig;
const real = createKubeJobLauncher(loadKubeConfig({ KUBECONFIG: process.env.FAULT_WORKER_KUBECONFIG ?? '' }));
const doomed: JobLauncher = {
  listJobs: (namespace, labels) => real.listJobs(namespace, labels),
  deleteJob: (namespace, name) => real.deleteJob(namespace, name),
  createJob: async (namespace, manifest) => {
    await real.createJob(namespace, manifest);
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => {});
  },
};
const app = buildApp(config, { jobs: doomed, logger: silentLogger });
await startGateway(
  { deployWorker: app.handler('deployWorker') },
  { port: Number(process.env.FAULT_WORKER_PORT) },
);
process.stdout.write('listening\n');

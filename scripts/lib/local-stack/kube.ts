/** The local stack's Kubernetes: KUBECONFIG's cluster, or else the local API server for batch/v1 Jobs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKubeJobLauncher } from '../../../functions/adapters/kube-jobs.js';
import type { Clock, JobLauncher } from '../../../functions/core/ports.js';
import type { Logger } from '../../../functions/log.js';
import {
  DEFAULT_LOCAL_JOB_SECONDS,
  type KubeServer,
  kubeConfigForLocalServer,
  parseJobSeconds,
  renderLocalKubeconfig,
  startKubeServer,
} from '../../kube-server/server.js';
import type { Started } from './running-components.js';

/**
 * Starts the local API server (its timestamps from `clock`) unless the caller gave a jobs adapter or
 * KUBECONFIG names a cluster.
 */
export async function startLocalKubeServer(
  env: NodeJS.ProcessEnv,
  jobs: JobLauncher | undefined,
  clock: Clock,
): Promise<Started & { kubeServer: KubeServer | null }> {
  if (jobs || env.KUBECONFIG?.trim()) return { kubeServer: null };
  const kubeServer = await startKubeServer({
    token: env.LOCAL_KUBE_TOKEN?.trim() || undefined,
    now: clock,
    // Jobs complete by themselves, so `npm start` shows an instance's whole life; 0 = never.
    jobSeconds: parseJobSeconds(env.LOCAL_JOB_SECONDS, 'LOCAL_JOB_SECONDS', DEFAULT_LOCAL_JOB_SECONDS),
  });
  return { stop: () => kubeServer.stop(), kubeServer };
}

/** How the functions reach the cluster: the jobs adapter (undefined: the app's own) and the kubeconfig. */
export interface ClusterAccess {
  jobs: JobLauncher | undefined;
  kubeconfigPath: string | null;
}

/**
 * With the local API server: a jobs adapter for it, and its kubeconfig written to `stateDir`
 * (default .emulators/) for kubectl. Without: the caller's adapter and KUBECONFIG, as given.
 */
export function connectCluster(
  env: NodeJS.ProcessEnv,
  options: { jobs: JobLauncher | undefined; stateDir: string | undefined; namespace: string },
  kubeServer: KubeServer | null,
  logger: Logger,
): ClusterAccess {
  if (!kubeServer) return { jobs: options.jobs, kubeconfigPath: env.KUBECONFIG?.trim() || null };
  const dir = options.stateDir ?? join(process.cwd(), '.emulators');
  mkdirSync(dir, { recursive: true });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, renderLocalKubeconfig(kubeServer, options.namespace));
  logger.info('local kubernetes API server started', { url: kubeServer.url, kubeconfig: kubeconfigPath });
  return {
    jobs: createKubeJobLauncher(kubeConfigForLocalServer(kubeServer, options.namespace)),
    kubeconfigPath,
  };
}

/**
 * Tick step 2: follows the deploy and teardown Jobs of every deployment in flight and moves each along
 * (the rule: core/reconcile.ts). A deployment a worker changed meanwhile is left to the next refresh.
 */
import { JOB_LABELS } from '../core/job-manifest.js';
import type { Clock, JobLauncher, RefreshStore } from '../core/ports.js';
import { newestJobOf, reconcileDeployment } from '../core/reconcile.js';
import type { Logger } from '../log.js';

export interface RefreshDeploymentsDeps {
  namespace: string;
  store: RefreshStore;
  jobs: JobLauncher;
  clock: Clock;
  logger: Logger;
}

export interface RefreshReport {
  ok: true;
  /** How many deployments were followed. */
  followed: number;
  /** Instances whose status (or Job) changed. */
  changed: string[];
}

export async function refreshDeployments(deps: RefreshDeploymentsDeps): Promise<RefreshReport> {
  const { store, jobs, clock, logger } = deps;
  const followed = await store.listFollowedDeployments();
  if (followed.length === 0) return { ok: true, followed: 0, changed: [] };
  const all = await jobs.listJobs(deps.namespace, { [JOB_LABELS.autoDeploy]: 'true' });
  const now = clock();
  const changed: string[] = [];
  for (const deployment of followed) {
    const deployJob = newestJobOf(all, deployment.instance, 'deploy');
    const teardownJob = newestJobOf(all, deployment.instance, 'teardown');
    const patch = reconcileDeployment(deployment, deployJob, teardownJob, now);
    if (!patch) continue;
    if ((await store.updateDeploymentIf(deployment, patch)) !== 'updated') continue;
    changed.push(deployment.instance);
    logger.info('deployment status changed', {
      instance: deployment.instance,
      version: deployment.version,
      commit: deployment.commit,
      from: deployment.status,
      to: patch.status ?? deployment.status,
      job: deployJob?.name ?? teardownJob?.name ?? null,
    });
  }
  return { ok: true, followed: followed.length, changed };
}

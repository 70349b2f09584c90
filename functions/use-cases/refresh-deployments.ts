/**
 * Tick step: follows the deploy and teardown Jobs of every deployment in flight and moves each along
 * (the rule: core/reconcile.ts). A deployment a worker changed meanwhile is left to the next tick.
 */
import { JOB_LABELS } from '../core/job-manifest.js';
import type { Clock, DeploymentStore, JobLauncher } from '../core/ports.js';
import {
  newestJobOf,
  type ReconcileOptions,
  reconcileDeployment,
  teardownJobOfAttempt,
} from '../core/reconcile.js';
import type { Deployment, DeploymentsConfig } from '../core/types.js';
import type { Logger } from '../log.js';

/** Statuses the refresh follows on the cluster. */
export const FOLLOWED_STATUSES = ['launching', 'deploying', 'lost', 'deleting'] as const;

export interface RefreshDeploymentsDeps {
  config: DeploymentsConfig;
  store: DeploymentStore;
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

/** The readiness, inventory and policy the deployment's version (or the global setup) calls for. */
export function reconcileOptionsFor(d: Deployment, config: DeploymentsConfig): ReconcileOptions {
  const version = config.versions.find((v) => v.name === d.version);
  return {
    readiness: (version?.readiness ?? config.readiness).enabled,
    inventory: config.inventory.enabled,
    policy: version?.policy ?? config.policy,
  };
}

export async function refreshDeployments(deps: RefreshDeploymentsDeps): Promise<RefreshReport> {
  const { store, jobs, clock, logger, config } = deps;
  const followed = await store.listDeployments(FOLLOWED_STATUSES);
  if (followed.length === 0) return { ok: true, followed: 0, changed: [] };
  const all = await jobs.listJobs(config.namespace, { [JOB_LABELS.autoDeploy]: 'true' });
  const now = clock();
  const changed: string[] = [];
  for (const deployment of followed) {
    const deployJob = newestJobOf(all, deployment.instance, 'deploy');
    const teardownJob = teardownJobOfAttempt(all, deployment);
    const patch = reconcileDeployment(
      deployment,
      deployJob,
      teardownJob,
      now,
      reconcileOptionsFor(deployment, config),
    );
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

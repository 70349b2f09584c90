/**
 * Tick step: lists the GKE clusters of the configured project and zone and reconciles the records with
 * them (core/inventory.ts). A failed listing changes nothing and fails the step: an outage must never look
 * like "nothing exists".
 */
import { type InventoryChanges, reconcileInventory } from '../core/inventory.js';
import type { Clock, ClusterInventory, DeploymentStore } from '../core/ports.js';
import type { Deployment, DeploymentsConfig } from '../core/types.js';
import type { Logger } from '../log.js';

export interface ReconcileInventoryDeps {
  config: DeploymentsConfig;
  store: DeploymentStore;
  inventory: ClusterInventory;
  clock: Clock;
  logger: Logger;
}

export interface InventoryReport {
  ok: true;
  /** Why the step did nothing, when the inventory is off. */
  skipped?: string;
  /** How many clusters the listing had. */
  clusters: number;
  /** Instances whose record changed, as `instance: from -> to` (or `instance: cluster listed|not listed`: a deploying one's cluster may not exist yet). */
  changed: string[];
  /** Clusters recorded as adopted. */
  adopted: string[];
}

/** Applies the record changes; each that took, in words. */
async function applyUpdates(
  deps: ReconcileInventoryDeps,
  updates: InventoryChanges['updates'],
): Promise<string[]> {
  const changed: string[] = [];
  for (const { deployment, patch } of updates) {
    if ((await deps.store.updateDeploymentIf(deployment, patch)) !== 'updated') continue;
    const to = patch.status ?? deployment.status;
    const cluster = `cluster ${patch.cluster?.listed ? 'listed' : 'not listed'}`;
    changed.push(
      `${deployment.instance}: ${to === deployment.status ? cluster : `${deployment.status} -> ${to}`}`,
    );
    if (!patch.status) continue;
    deps.logger.warn('deployment status changed', {
      instance: deployment.instance,
      version: deployment.version,
      from: deployment.status,
      to,
      error: patch.error ?? null,
    });
  }
  return changed;
}

/** Records the adopted clusters (each once); the names recorded. */
async function recordAdoptions(deps: ReconcileInventoryDeps, adoptions: Deployment[]): Promise<string[]> {
  const adopted: string[] = [];
  for (const deployment of adoptions) {
    if (!(await deps.store.createDeploymentIfAbsent(deployment))) continue;
    adopted.push(deployment.instance);
    deps.logger.warn('adopted a cluster no record knew', {
      instance: deployment.instance,
      version: deployment.version,
    });
  }
  return adopted;
}

export async function reconcileCloudInventory(deps: ReconcileInventoryDeps): Promise<InventoryReport> {
  const { config, store } = deps;
  if (!config.inventory.enabled)
    return { ok: true, skipped: 'inventory disabled', clusters: 0, changed: [], adopted: [] };
  // Listed before the records are read: a record made after the listing is never judged by it.
  const clusters = await deps.inventory.listClusters(config.project, config.zone);
  const now = deps.clock();
  const { updates, adoptions } = reconcileInventory(
    await store.listRecentDeployments(now),
    clusters,
    config,
    now,
  );
  const changed = await applyUpdates(deps, updates);
  const adopted = await recordAdoptions(deps, adoptions);
  return { ok: true, clusters: clusters.length, changed, adopted };
}

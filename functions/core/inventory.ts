/**
 * The cloud inventory: what the GKE clusters of the project and zone say about the records. Pure: the
 * records, the listing and `now` in; changes and adoptions out. A failed listing never reaches this
 * function (an error is not "nothing exists": the caller changes nothing).
 *
 * - verifying, ready or unhealthy, and its cluster gone -> lost (when noticed);
 * - deleting, its teardown Job done: cluster gone -> deleted; cluster still there -> the teardown failed
 *   (tried again after a backoff, `teardown-failed` after `maxTeardownAttempts`);
 * - every record remembers whether its cluster is listed (`cluster`): a lost instance whose cluster is
 *   still listed counts against capacity;
 * - a cluster named like an instance of a configured version (`kf-<version>-MMDD-xxx`) that no record
 *   knows is recorded as `adopted` (when adoption is on): shown, counted, collected by the ordinary rules.
 */
import { credentialsCommand, endpointUrl } from './names.js';
import { afterFailedTeardown } from './teardown-outcome.js';
import type { Deployment, DeploymentsConfig, VersionConfig } from './types.js';

/** A cluster as the inventory lists it. */
export interface ListedCluster {
  name: string;
  status: string;
  labels: Record<string, string>;
  createdAt: Date | null;
}

export interface InventoryChanges {
  updates: Array<{ deployment: Deployment; patch: Partial<Deployment> }>;
  adoptions: Deployment[];
}

/** Statuses in service: their cluster vanishing makes them lost. */
const SERVING = new Set(['verifying', 'ready', 'unhealthy']);

/** The version whose instance names `name` matches (`kf-<version>-MMDD-xxx`), or null. */
export function versionOfClusterName(
  name: string,
  versions: readonly Pick<VersionConfig, 'name'>[],
): string | null {
  const match = /^kf-(.+)-(\d{4})-([0-9a-f]{3})$/.exec(name);
  if (!match) return null;
  return versions.find((version) => version.name === match[1])?.name ?? null;
}

function clusterChange(d: Deployment, listed: boolean, now: Date): Partial<Deployment> {
  return d.cluster?.listed === listed ? {} : { cluster: { listed, checkedAt: now } };
}

/** What the listing means for one record, or null for no change. */
function changeFor(
  d: Deployment,
  listed: boolean,
  config: DeploymentsConfig,
  now: Date,
): Partial<Deployment> | null {
  const cluster = clusterChange(d, listed, now);
  if (SERVING.has(d.status) && !listed) {
    const error = `the cluster ${d.instance} no longer exists (noticed ${now.toISOString()})`;
    return { ...cluster, status: 'lost', finishedAt: now, updatedAt: now, error };
  }
  if (d.status === 'deleting' && d.teardownFinishedAt) {
    if (!listed) return { ...cluster, status: 'deleted', deletedAt: now, updatedAt: now };
    const policy = config.versions.find((v) => v.name === d.version)?.policy ?? config.policy;
    const job = d.teardownJobName ? `the teardown Job ${d.teardownJobName}` : 'the teardown Job';
    const why = `${job} succeeded but the cluster still exists`;
    return { ...cluster, ...afterFailedTeardown(d, why, policy, now) };
  }
  return Object.keys(cluster).length > 0 ? cluster : null;
}

/** The record of a cluster nobody launched through this system. */
function adoptedDeployment(
  cluster: ListedCluster,
  version: VersionConfig,
  config: DeploymentsConfig,
  now: Date,
): Deployment {
  const createdAt = cluster.createdAt ?? now;
  const commit = cluster.labels['git-manifests'] ?? 'unknown';
  return {
    instance: cluster.name,
    version: version.name,
    repo: version.repo,
    branch: version.branch,
    commit,
    reason: 'manual',
    requestId: `adopted-${cluster.name}`,
    status: 'adopted',
    namespace: config.namespace,
    jobName: null,
    teardownJobName: null,
    kfctlUrl: version.kfctlUrl,
    kfDefUrl: '',
    endpoint: endpointUrl(cluster.name, config.project),
    credentialsCommand: credentialsCommand(cluster.name, config.project, config.zone),
    createdAt,
    updatedAt: now,
    readyAt: null,
    finishedAt: null,
    deletingAt: null,
    deletedAt: null,
    launchLeaseExpiresAt: null,
    error: null,
    origin: 'adopted',
    cluster: { listed: true, checkedAt: now },
  };
}

/** The changes and adoptions a listing calls for. `deployments`: every record not deleted, and recently deleted ones. */
export function reconcileInventory(
  deployments: readonly Deployment[],
  clusters: readonly ListedCluster[],
  config: DeploymentsConfig,
  now: Date,
): InventoryChanges {
  const listed = new Set(clusters.map((cluster) => cluster.name));
  const updates: InventoryChanges['updates'] = [];
  for (const deployment of deployments) {
    if (deployment.status === 'deleted') continue;
    const patch = changeFor(deployment, listed.has(deployment.instance), config, now);
    if (patch) updates.push({ deployment, patch });
  }
  const known = new Set(deployments.map((d) => d.instance));
  const adoptions = config.inventory.adopt
    ? clusters.flatMap((cluster) => {
        const name = known.has(cluster.name) ? null : versionOfClusterName(cluster.name, config.versions);
        const version = config.versions.find((v) => v.name === name);
        return version ? [adoptedDeployment(cluster, version, config, now)] : [];
      })
    : [];
  return { updates, adoptions };
}

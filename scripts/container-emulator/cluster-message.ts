/** The fake's records as ClusterManager v1 messages: Cluster and the Operation of a DeleteCluster. */
import { randomBytes } from 'node:crypto';
import type { ClusterRecord } from './cluster-store.js';

const API_ROOT = 'https://container.googleapis.com/v1';
/** A version string of the shape GKE reports; the fake runs nothing. */
const MASTER_VERSION = '1.30.5-gke.1014001';

/** A Cluster message with the fields a client reads to find and reach a cluster. */
export function clusterToMessage(cluster: ClusterRecord): Record<string, unknown> {
  return {
    name: cluster.cluster,
    id: cluster.id,
    location: cluster.location,
    // Deprecated, still filled by GKE: the location when it is a zone.
    zone: cluster.location,
    locations: [cluster.location],
    selfLink: `${API_ROOT}/${cluster.resourceName}`,
    status: cluster.status,
    endpoint: cluster.endpoint,
    masterAuth: { clusterCaCertificate: Buffer.from(cluster.caCertificatePem).toString('base64') },
    resourceLabels: cluster.labels,
    createTime: cluster.createTime.toISOString(),
    currentMasterVersion: MASTER_VERSION,
    initialClusterVersion: MASTER_VERSION,
  };
}

/** The Operation DeleteCluster returns: the fake deletes at once, so it is already DONE. */
export function deleteOperation(cluster: ClusterRecord, nowMs: number): Record<string, unknown> {
  const name = `operation-${nowMs}-${randomBytes(4).toString('hex')}`;
  const at = new Date(nowMs).toISOString();
  return {
    name,
    zone: cluster.location,
    location: cluster.location,
    operationType: 'DELETE_CLUSTER',
    status: 'DONE',
    selfLink: `${API_ROOT}/projects/${cluster.project}/locations/${cluster.location}/operations/${name}`,
    targetLink: `${API_ROOT}/${cluster.resourceName}`,
    startTime: at,
    endTime: at,
  };
}

/** The ClusterManager RPCs the fake serves: ListClusters, GetCluster, DeleteCluster. */
import { type LogEntry, notFound, type UnaryHandler } from '../lib/grpc-emulator.js';
import { clusterToMessage, deleteOperation } from './cluster-message.js';
import { type ClusterRef, clusterResourceName, readClusterRef, readListScope } from './cluster-names.js';
import type { ClusterStore } from './cluster-store.js';
import type { FaultQueue } from './faults.js';

function notFoundError(ref: ClusterRef) {
  return notFound(`Not found: ${clusterResourceName(ref)}.`);
}

/** Handlers by method name; each first serves a queued fault for its method, if any. */
export function clusterHandlers(
  store: ClusterStore,
  faults: FaultQueue,
  now: () => number,
  log: (entry: LogEntry) => void,
): Record<string, UnaryHandler> {
  const withFaults =
    (method: string, handle: UnaryHandler): UnaryHandler =>
    (request) => {
      const fault = faults.take(method);
      if (fault) throw fault;
      return handle(request);
    };
  return {
    ListClusters: withFaults('ListClusters', (request) => {
      const scope = readListScope(request);
      // Like GKE: the clusters of an unreachable zone are missing, and the zone is named.
      const missingZones = faults.unreachableZones(scope.location);
      return {
        clusters: store
          .list(scope)
          .filter((cluster) => !missingZones.includes(cluster.location))
          .map(clusterToMessage),
        missingZones,
      };
    }),
    GetCluster: withFaults('GetCluster', (request) => {
      const ref = readClusterRef(request);
      const cluster = store.get(ref);
      if (!cluster) throw notFoundError(ref);
      return clusterToMessage(cluster);
    }),
    DeleteCluster: withFaults('DeleteCluster', (request) => {
      const ref = readClusterRef(request);
      const cluster = store.get(ref);
      if (!cluster) throw notFoundError(ref);
      store.remove(ref);
      log({
        severity: 'INFO',
        message: 'cluster deleted',
        cluster: cluster.resourceName,
        by: 'DeleteCluster',
      });
      return deleteOperation(cluster, now());
    }),
  };
}

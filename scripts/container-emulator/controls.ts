/**
 * The fake's controls, shared by the in-process API (`ContainerEmulator`) and the HTTP control API:
 * add, delete and list clusters by hand, and queue faults.
 */
import type { LogEntry } from '../lib/grpc-emulator.js';
import { type ClusterRef, type ClusterScope, readClusterRef } from './cluster-names.js';
import type { ClusterRecord, ClusterSpec, ClusterStatus, ClusterStore } from './cluster-store.js';
import type { FaultQueue, FaultSpec } from './faults.js';

/** A cluster as the controls show it (JSON-ready: `createTime` is an ISO string). */
export interface ClusterView {
  /** The cluster id, e.g. `kf-master-0101-abc`. */
  name: string;
  project: string;
  location: string;
  /** `projects/P/locations/L/clusters/C`. */
  resourceName: string;
  id: string;
  status: ClusterStatus;
  labels: Record<string, string>;
  endpoint: string;
  caCertificatePem: string;
  createTime: string;
}

/** What can be done to the fake by hand. */
export interface ContainerControls {
  /** Adds a cluster; throws a `ClusterSpecError` for a bad spec (`isConflict` when the name is taken). */
  addCluster(spec: ClusterSpec): ClusterView;
  /**
   * Deletes a cluster by id (in `where`'s project and location, default the emulator's) or by full
   * resource name; returns what was deleted, null when there was no such cluster.
   */
  deleteCluster(name: string, where?: Partial<ClusterScope>): ClusterView | null;
  /** Every cluster of every project and location. */
  listClusters(): ClusterView[];
  /** Makes the next `count` calls of `method` (default ListClusters) fail; throws a TypeError for a bad spec. */
  injectFault(spec: FaultSpec): void;
  /** The faults still queued. */
  pendingFaults(): ReturnType<FaultQueue['pending']>;
  /**
   * Makes ListClusters leave out the clusters of these zones and name them in `missingZones`
   * (replacing the zones set before; [] for none). Throws a TypeError for a bad zone name.
   */
  setUnreachableZones(zones: string[]): void;
  /** The zones set unreachable. */
  unreachableZones(): string[];
  /** Forgets the queued faults and the unreachable zones. */
  clearFaults(): void;
  /** Deletes every cluster and fault, and makes every zone reachable. */
  reset(): void;
}

function toView(record: ClusterRecord): ClusterView {
  return {
    name: record.cluster,
    project: record.project,
    location: record.location,
    resourceName: record.resourceName,
    id: record.id,
    status: record.status,
    labels: { ...record.labels },
    endpoint: record.endpoint,
    caCertificatePem: record.caCertificatePem,
    createTime: record.createTime.toISOString(),
  };
}

/** The controls of one emulator. */
export function createControls(
  store: ClusterStore,
  faults: FaultQueue,
  defaults: ClusterScope,
  log: (entry: LogEntry) => void,
): ContainerControls {
  return {
    addCluster(spec) {
      const record = store.add(spec);
      log({
        severity: 'INFO',
        message: 'cluster added',
        cluster: record.resourceName,
        status: record.status,
      });
      return toView(record);
    },
    deleteCluster(name, where = {}) {
      const ref: ClusterRef = name.startsWith('projects/')
        ? readClusterRef({ name })
        : {
            project: where.project ?? defaults.project,
            location: where.location ?? defaults.location,
            cluster: name,
          };
      const record = store.get(ref);
      if (!record) return null;
      store.remove(ref);
      log({ severity: 'INFO', message: 'cluster deleted', cluster: record.resourceName, by: 'control' });
      return toView(record);
    },
    listClusters: () => store.list().map(toView),
    injectFault(spec) {
      faults.add(spec);
      log({ severity: 'INFO', message: 'fault queued', ...spec });
    },
    pendingFaults: () => faults.pending(),
    setUnreachableZones(zones) {
      faults.setUnreachableZones(zones);
      log({ severity: 'INFO', message: 'unreachable zones set', zones });
    },
    unreachableZones: () => faults.unreachableZones(),
    clearFaults: () => faults.clear(),
    reset() {
      store.clear();
      faults.clear();
      log({ severity: 'INFO', message: 'reset' });
    },
  };
}

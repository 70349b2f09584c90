/**
 * The cloud inventory of Kubeflow instances: the GKE clusters of a project and location, through
 * ClusterManager ListClusters. A listing that failed, or that GKE reports as incomplete (a zone it
 * could not reach), throws an InventoryError: it is never an empty or partial list, because the tick
 * reads "not listed" as "does not exist".
 *
 * Locally, `createContainerClient({emulator: {host, port}, ...})` (container-client.ts) points the
 * real client at scripts/container-emulator (the value of `CONTAINER_EMULATOR_HOST`).
 */
import { protos } from '@google-cloud/container';
import type { CallOptions } from 'google-gax';
import type { CloudCluster, ClusterInventory } from '../core/ports.js';
import {
  boundedCallOptions,
  createContainerClient,
  DEFAULT_CONTAINER_CALL_TIMEOUT_MS,
  resolveCredentials,
} from './container-client.js';
import { grpcCodeName, grpcCodeOf, isTransientGrpcCode } from './grpc-codes.js';

export { createContainerClient } from './container-client.js';

type Cluster = protos.google.container.v1.ICluster;

export type { CloudCluster, ClusterInventory } from '../core/ports.js';

/**
 * A listing that failed or is incomplete. `code` is the gRPC status (null when the call was not made,
 * or answered but incomplete); `isTransient` says whether the next tick may succeed as is;
 * `missingZones` names the zones GKE could not reach, when that is the reason.
 */
export class InventoryError extends Error {
  override name = 'InventoryError';
  readonly missingZones: string[];
  constructor(
    message: string,
    readonly code: number | null,
    readonly isTransient: boolean,
    options?: ErrorOptions & { missingZones?: string[] },
  ) {
    super(message, options);
    this.missingZones = options?.missingZones ?? [];
  }
}

/** What GkeInventory needs of the client; a real `ClusterManagerClient` is one. */
export interface ClusterLister {
  listClusters(
    request: { parent: string },
    options?: CallOptions,
  ): Promise<[protos.google.container.v1.IListClustersResponse, ...unknown[]]>;
}

/** Options of {@link GkeInventory}. */
export interface GkeInventoryOptions {
  /** Default: a real ClusterManagerClient with Application Default Credentials. */
  client?: ClusterLister;
  /**
   * Deadline of one listing, retries of UNAVAILABLE included. Default
   * {@link DEFAULT_CONTAINER_CALL_TIMEOUT_MS} (20 s); a failure surfaces within this plus at most
   * 2 s (see `boundedCallOptions`), well inside a 5-minute tick.
   */
  timeoutMs?: number;
}

const PROJECT_ID = /^[A-Za-z0-9\-:.]+$/;
/** A zone or region, or `-` for every location of the project. */
const LOCATION = /^(-|[a-z0-9]+(?:-[a-z0-9]+)*)$/;

/**
 * The zones of `missingZones` that hide clusters of `location`: the location itself, a zone of it
 * (when it is a region), or any zone (when it is `-`). Other zones cannot hold its clusters.
 */
export function missingZonesCovering(location: string, missingZones: readonly string[]): string[] {
  return missingZones.filter(
    (zone) => location === '-' || zone === location || zone.startsWith(`${location}-`),
  );
}

function statusName(status: Cluster['status']): string {
  if (typeof status === 'number') {
    return protos.google.container.v1.Cluster.Status[status] ?? 'STATUS_UNSPECIFIED';
  }
  return status || 'STATUS_UNSPECIFIED';
}

function parseTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A Cluster message as a CloudCluster; `fallbackLocation` when it names none. */
export function toCloudCluster(cluster: Cluster, fallbackLocation: string): CloudCluster {
  return {
    name: cluster.name ?? '',
    location: cluster.location || cluster.zone || fallbackLocation,
    status: statusName(cluster.status),
    labels: { ...(cluster.resourceLabels ?? {}) },
    createdAt: parseTime(cluster.createTime),
  };
}

function hintFor(code: number | null, project: string): string {
  if (code === 7 || code === 16) {
    return ` Give the identity of Application Default Credentials container.clusters.list on project ${project} (e.g. roles/container.clusterViewer).`;
  }
  if (code === 3 || code === 5) return ' Check the project and location (zone or region) configured.';
  return '';
}

/** Lists clusters through the real ClusterManager API, bounded in time, failing loudly. */
export class GkeInventory implements ClusterInventory {
  private readonly client: ClusterLister;
  private readonly callOptions: CallOptions;

  constructor(options: GkeInventoryOptions = {}) {
    this.client = options.client ?? createContainerClient({ emulator: null });
    this.callOptions = boundedCallOptions(options.timeoutMs ?? DEFAULT_CONTAINER_CALL_TIMEOUT_MS);
  }

  async listClusters(project: string, location: string): Promise<CloudCluster[]> {
    if (!PROJECT_ID.test(project) || !LOCATION.test(location)) {
      throw new InventoryError(
        `Cannot list clusters of project ${JSON.stringify(project)} in location ${JSON.stringify(location)}: expected a project id and a zone or region such as us-east1-c.`,
        null,
        false,
      );
    }
    const parent = `projects/${project}/locations/${location}`;
    let response: protos.google.container.v1.IListClustersResponse;
    try {
      await resolveCredentials(this.client);
      [response] = await this.client.listClusters({ parent }, this.callOptions);
    } catch (error) {
      const code = grpcCodeOf(error);
      throw new InventoryError(
        `Cannot list the GKE clusters of ${parent} (${grpcCodeName(code)}): ${(error as Error).message}.${hintFor(code, project)}`,
        code,
        isTransientGrpcCode(code),
        { cause: error },
      );
    }
    const missingZones = missingZonesCovering(location, response.missingZones ?? []);
    if (missingZones.length > 0) {
      throw new InventoryError(
        `The listing of the GKE clusters of ${parent} is incomplete: GKE could not reach ${missingZones.join(', ')}. Not treated as a list; the next tick tries again.`,
        null,
        true,
        { missingZones },
      );
    }
    const clusters = (response.clusters ?? []).map((cluster) => toCloudCluster(cluster, location));
    if (clusters.some((cluster) => cluster.name === '')) {
      throw new InventoryError(`ListClusters of ${parent} returned a cluster without a name.`, null, false);
    }
    return clusters;
  }
}

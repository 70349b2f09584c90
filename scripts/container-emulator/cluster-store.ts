/** The clusters the ClusterManager fake knows, by resource name; added and removed by hand or by DeleteCluster. */
import { randomBytes } from 'node:crypto';
import {
  ALL_LOCATIONS,
  CLUSTER_ID,
  type ClusterRef,
  type ClusterScope,
  clusterResourceName,
  LOCATION_ID,
  PROJECT_ID,
} from './cluster-names.js';
import { PLACEHOLDER_CA_PEM } from './placeholder-ca.js';

/** Cluster.Status values a cluster can be given (STATUS_UNSPECIFIED is not one). */
export const CLUSTER_STATUSES = [
  'PROVISIONING',
  'RUNNING',
  'RECONCILING',
  'STOPPING',
  'ERROR',
  'DEGRADED',
] as const;
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

/** A cluster to add. Only `name` is required. */
export interface ClusterSpec {
  /** The cluster id: lower-case letters, digits and hyphens, starting with a letter, at most 40. */
  name: string;
  /** Default: the emulator's project. */
  project?: string;
  /** A zone or region. Default: the emulator's location. */
  location?: string;
  /** `resourceLabels`. Default none. */
  labels?: Record<string, string>;
  /** Default RUNNING. */
  status?: ClusterStatus;
  /** The control plane's address. Default: a documentation address (203.0.113.0/24, never routed). */
  endpoint?: string;
  /** PEM of the cluster CA (reported base64-encoded, as GKE does). Default: a placeholder CA. */
  caCertificatePem?: string;
  /** Default: now. */
  createTime?: Date;
}

/** A cluster as the fake holds it. */
export interface ClusterRecord extends ClusterRef {
  /** `projects/P/locations/L/clusters/C`. */
  resourceName: string;
  /** GKE's opaque cluster id. */
  id: string;
  status: ClusterStatus;
  labels: Record<string, string>;
  endpoint: string;
  caCertificatePem: string;
  createTime: Date;
}

/** A bad spec or a name already taken; `isConflict` tells the two apart (HTTP 409 vs 400). */
export class ClusterSpecError extends Error {
  override name = 'ClusterSpecError';
  constructor(
    message: string,
    readonly isConflict = false,
  ) {
    super(message);
  }
}

function validateSpec(spec: ClusterSpec, ref: ClusterRef): void {
  const problems: string[] = [];
  if (!CLUSTER_ID.test(ref.cluster)) {
    problems.push(
      `name must be lower-case letters, digits and hyphens, start with a letter, at most 40 (got "${ref.cluster}")`,
    );
  }
  if (!PROJECT_ID.test(ref.project)) problems.push(`project is not a project id (got "${ref.project}")`);
  if (!LOCATION_ID.test(ref.location) || ref.location === ALL_LOCATIONS) {
    problems.push(`location must be a zone or region such as us-east1-c (got "${ref.location}")`);
  }
  if (spec.status !== undefined && !CLUSTER_STATUSES.includes(spec.status)) {
    problems.push(`status must be one of ${CLUSTER_STATUSES.join(', ')} (got "${spec.status}")`);
  }
  const labels: unknown = spec.labels ?? {};
  if (
    typeof labels !== 'object' ||
    labels === null ||
    Array.isArray(labels) ||
    Object.values(labels).some((value) => typeof value !== 'string')
  ) {
    problems.push('labels must be an object of string values');
  }
  if (problems.length > 0) throw new ClusterSpecError(`Cannot add cluster: ${problems.join('; ')}.`);
}

/** The clusters of one emulator. */
export class ClusterStore {
  private readonly clusters = new Map<string, ClusterRecord>();
  private endpointCount = 0;

  constructor(
    private readonly defaults: ClusterScope,
    private readonly now: () => number,
  ) {}

  /** Adds a cluster; throws a {@link ClusterSpecError} for a bad spec or a taken name. */
  add(spec: ClusterSpec): ClusterRecord {
    const ref: ClusterRef = {
      project: spec.project ?? this.defaults.project,
      location: spec.location ?? this.defaults.location,
      cluster: spec.name,
    };
    validateSpec(spec, ref);
    const resourceName = clusterResourceName(ref);
    if (this.clusters.has(resourceName))
      throw new ClusterSpecError(`Cluster ${resourceName} already exists.`, true);
    this.endpointCount += 1;
    const record: ClusterRecord = {
      ...ref,
      resourceName,
      id: randomBytes(16).toString('hex'),
      status: spec.status ?? 'RUNNING',
      labels: { ...spec.labels },
      endpoint: spec.endpoint ?? `203.0.113.${((this.endpointCount - 1) % 254) + 1}`,
      caCertificatePem: spec.caCertificatePem ?? PLACEHOLDER_CA_PEM,
      createTime: spec.createTime ?? new Date(this.now()),
    };
    this.clusters.set(resourceName, record);
    return record;
  }

  /** The cluster `ref` names, or undefined. */
  get(ref: ClusterRef): ClusterRecord | undefined {
    return this.clusters.get(clusterResourceName(ref));
  }

  /** Removes the cluster `ref` names; false when there was none. */
  remove(ref: ClusterRef): boolean {
    return this.clusters.delete(clusterResourceName(ref));
  }

  /** The clusters of a project in one location (or every location with `-`), by location then name. */
  list(scope?: ClusterScope): ClusterRecord[] {
    return [...this.clusters.values()]
      .filter(
        (cluster) =>
          !scope ||
          (cluster.project === scope.project &&
            (scope.location === ALL_LOCATIONS || cluster.location === scope.location)),
      )
      .sort(
        (a, b) =>
          a.project.localeCompare(b.project) ||
          a.location.localeCompare(b.location) ||
          a.cluster.localeCompare(b.cluster),
      );
  }

  /** Removes every cluster. */
  clear(): void {
    this.clusters.clear();
  }
}

/**
 * Where a ClusterManager request points: `parent` (`projects/P/locations/L`) or `name`
 * (`projects/P/locations/L/clusters/C`), or the deprecated v1 fields `project_id`, `zone` and
 * `cluster_id` that older callers still send. The resource name wins when both are given.
 */
import { invalidArgument } from '../lib/grpc-emulator.js';

const PROJECT_RE = '[A-Za-z0-9\\-:.]+';
const LOCATION_RE = '[a-z0-9-]+';
/** GKE cluster names: lower-case letters, digits and hyphens, starting with a letter, at most 40. */
export const CLUSTER_ID = /^[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?$/;
export const PROJECT_ID = new RegExp(`^${PROJECT_RE}$`);
export const LOCATION_ID = new RegExp(`^${LOCATION_RE}$`);
const PARENT = new RegExp(`^projects/(${PROJECT_RE})/locations/(${LOCATION_RE})$`);
const CLUSTER_NAME = new RegExp(`^projects/(${PROJECT_RE})/locations/(${LOCATION_RE})/clusters/([^/]+)$`);

/** "-" as a location means every location (ListClusters only). */
export const ALL_LOCATIONS = '-';

/** A project and location (`-` for all of them). */
export interface ClusterScope {
  project: string;
  location: string;
}

/** A cluster's project, location and id. */
export interface ClusterRef extends ClusterScope {
  cluster: string;
}

/** The full resource name, `projects/P/locations/L/clusters/C`. */
export function clusterResourceName(ref: ClusterRef): string {
  return `projects/${ref.project}/locations/${ref.location}/clusters/${ref.cluster}`;
}

/** ListClusters' scope from `parent`, else from the deprecated `project_id` and `zone`. */
export function readListScope(request: { parent?: string; projectId?: string; zone?: string }): ClusterScope {
  if (request.parent) {
    const match = PARENT.exec(request.parent);
    if (!match) {
      throw invalidArgument(
        `parent must look like projects/PROJECT/locations/LOCATION (LOCATION may be "-"), got "${request.parent}".`,
      );
    }
    return { project: match[1] as string, location: match[2] as string };
  }
  if (!request.projectId || !request.zone) {
    throw invalidArgument(
      'Set parent (projects/PROJECT/locations/LOCATION), or the deprecated project_id and zone.',
    );
  }
  return { project: request.projectId, location: request.zone };
}

/** The cluster a Get/DeleteCluster request names: `name`, else the deprecated project_id, zone and cluster_id. */
export function readClusterRef(request: {
  name?: string;
  projectId?: string;
  zone?: string;
  clusterId?: string;
}): ClusterRef {
  let ref: ClusterRef;
  if (request.name) {
    const match = CLUSTER_NAME.exec(request.name);
    if (!match) {
      throw invalidArgument(
        `name must look like projects/PROJECT/locations/LOCATION/clusters/CLUSTER, got "${request.name}".`,
      );
    }
    ref = { project: match[1] as string, location: match[2] as string, cluster: match[3] as string };
  } else if (request.projectId && request.zone && request.clusterId) {
    ref = { project: request.projectId, location: request.zone, cluster: request.clusterId };
  } else {
    throw invalidArgument(
      'Set name (projects/PROJECT/locations/LOCATION/clusters/CLUSTER), or the deprecated project_id, zone and cluster_id.',
    );
  }
  if (ref.location === ALL_LOCATIONS) {
    throw invalidArgument(
      'The location "-" (all locations) is accepted by ListClusters only: name the cluster\'s location.',
    );
  }
  return ref;
}

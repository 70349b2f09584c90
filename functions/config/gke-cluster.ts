/** GKE_CLUSTER: the cluster where the deploy and teardown Jobs run, when credentials come from ADC. */

const PROJECT_PART = '[A-Za-z0-9\\-:.]+';
const LOCATION_PART = '[a-z0-9]+(?:-[a-z0-9]+)*';
const CLUSTER_PART = '[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?';
const CLUSTER_NAME = new RegExp(
  `^projects/(${PROJECT_PART})/locations/(${LOCATION_PART})/clusters/(${CLUSTER_PART})$`,
);

/** A cluster named by GKE_CLUSTER. */
export interface GkeClusterRef {
  project: string;
  location: string;
  cluster: string;
  /** `projects/P/locations/L/clusters/C`. */
  resourceName: string;
}

/** The problem with a GKE_CLUSTER value, in words. */
export const GKE_CLUSTER_SHAPE =
  'must be projects/PROJECT/locations/LOCATION/clusters/CLUSTER (e.g. projects/my-project/locations/us-east1-c/clusters/deployer)';

/** Reads `projects/P/locations/L/clusters/C` (a zone or a region; not `-`), or null. */
export function parseGkeCluster(value: string): GkeClusterRef | null {
  const match = CLUSTER_NAME.exec(value.trim());
  if (!match) return null;
  const [, project, location, cluster] = match as unknown as [string, string, string, string];
  return {
    project,
    location,
    cluster,
    resourceName: `projects/${project}/locations/${location}/clusters/${cluster}`,
  };
}

/** parseGkeCluster: the value of GKE_CLUSTER, table-driven. */
import assert from 'node:assert/strict';
import { GkeCredentialsError, parseGkeCluster } from '../../functions/adapters/gke-credentials.js';

describe('parseGkeCluster (GKE_CLUSTER)', () => {
  it('reads project, location and cluster of projects/P/locations/L/clusters/C', () => {
    for (const [value, expected] of [
      [
        'projects/kubeflow-ci/locations/us-east1-c/clusters/deployer',
        { project: 'kubeflow-ci', location: 'us-east1-c', cluster: 'deployer' },
      ],
      [
        ' projects/example.com:my-proj/locations/europe-west4/clusters/a1 ',
        { project: 'example.com:my-proj', location: 'europe-west4', cluster: 'a1' },
      ],
    ] as const) {
      const ref = parseGkeCluster(value);
      assert.deepEqual(ref, {
        ...expected,
        resourceName: `projects/${expected.project}/locations/${expected.location}/clusters/${expected.cluster}`,
      });
    }
  });

  it('rejects anything else with a GkeCredentialsError that names GKE_CLUSTER and the value', () => {
    for (const value of [
      '',
      'deployer',
      'projects/p/locations/us-east1-c',
      'projects/p/zones/us-east1-c/clusters/deployer',
      'projects/p/locations/-/clusters/deployer',
      'projects/p/locations/us-east1-c/clusters/Deployer',
      'projects/p/locations/us-east1-c/clusters/deployer/nodePools/x',
      'https://container.googleapis.com/v1/projects/p/locations/us-east1-c/clusters/deployer',
    ]) {
      assert.throws(
        () => parseGkeCluster(value),
        (error: GkeCredentialsError) => {
          assert.ok(error instanceof GkeCredentialsError);
          assert.equal(error.isTransient, false);
          assert.match(
            error.message,
            /^GKE_CLUSTER must be projects\/PROJECT\/locations\/LOCATION\/clusters\/CLUSTER/,
          );
          assert.ok(error.message.includes(JSON.stringify(value)), error.message);
          return true;
        },
        value,
      );
    }
  });
});

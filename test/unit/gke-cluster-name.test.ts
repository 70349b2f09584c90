/** parseGkeCluster: the value of GKE_CLUSTER, table-driven. */
import assert from 'node:assert/strict';
import { parseGkeCluster } from '../../functions/config/gke-cluster.js';

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

  it('rejects anything else (loadConfig names GKE_CLUSTER and the value: test/unit/config.test.ts)', () => {
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
      assert.equal(parseGkeCluster(value), null, value);
    }
  });
});

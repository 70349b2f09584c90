/** The pure parts of the GKE inventory adapter: which missing zones matter, and Cluster -> CloudCluster. */
import assert from 'node:assert/strict';
import { missingZonesCovering, toCloudCluster } from '../../functions/adapters/gke-inventory.js';

describe('missingZonesCovering', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['us-east1-c', [], []],
    ['us-east1-c', ['us-east1-c'], ['us-east1-c']],
    ['us-east1-c', ['us-east1-b', 'europe-west1-b'], []],
    ['us-east1', ['us-east1-b', 'us-east12-a', 'europe-west1-b'], ['us-east1-b']],
    ['us-east1', ['us-east1'], ['us-east1']],
    ['-', ['us-east1-b', 'europe-west1-b'], ['us-east1-b', 'europe-west1-b']],
  ];
  for (const [location, missing, expected] of cases) {
    it(`${location} with missing ${JSON.stringify(missing)} -> ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(missingZonesCovering(location, missing), expected);
    });
  }
});

describe('toCloudCluster', () => {
  it('keeps name, location, status, labels and the create time', () => {
    const labels = { 'kf-version': 'master' };
    const cloud = toCloudCluster(
      {
        name: 'kf-master-0101-abc',
        location: 'us-east1-c',
        zone: 'us-east1-c',
        status: 'RUNNING',
        resourceLabels: labels,
        createTime: '2030-01-02T03:04:05+00:00',
      },
      'fallback',
    );
    assert.deepEqual(cloud, {
      name: 'kf-master-0101-abc',
      location: 'us-east1-c',
      status: 'RUNNING',
      labels,
      createdAt: new Date('2030-01-02T03:04:05Z'),
    });
    assert.notEqual(cloud.labels, labels, 'labels are a copy');
  });

  it('falls back: zone then the requested location, STATUS_UNSPECIFIED, no labels, null for a missing or bad time', () => {
    assert.deepEqual(toCloudCluster({ name: 'a', zone: 'us-east1-b' }, 'us-east1-c'), {
      name: 'a',
      location: 'us-east1-b',
      status: 'STATUS_UNSPECIFIED',
      labels: {},
      createdAt: null,
    });
    const odd = toCloudCluster({ name: 'b', status: 2, createTime: 'yesterday' }, 'us-east1-c');
    assert.equal(odd.location, 'us-east1-c');
    assert.equal(odd.status, 'RUNNING', 'a numeric enum is named');
    assert.equal(odd.createdAt, null);
  });
});

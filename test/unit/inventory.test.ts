import assert from 'node:assert/strict';
import {
  type ListedCluster,
  reconcileInventory,
  versionOfClusterName,
} from '../../functions/core/inventory.js';
import type { Deployment, DeploymentStatus } from '../../functions/core/types.js';
import { makeDeployment } from '../support/fixtures.js';
import { useCaseConfig } from '../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const HOUR = 3_600_000;
const CONFIG = { ...useCaseConfig(), inventory: { enabled: true, adopt: true } };
const listed = (name: string, labels: Record<string, string> = {}): ListedCluster => ({
  name,
  status: 'RUNNING',
  labels,
  createdAt: new Date(NOW.getTime() - 5 * HOUR),
});
function dep(instance: string, status: DeploymentStatus, fields: Partial<Deployment> = {}): Deployment {
  return makeDeployment({ instance, status, createdAt: new Date(NOW.getTime() - 2 * HOUR), ...fields });
}
const seen = (listedNow: boolean) => ({ listed: listedNow, checkedAt: new Date(NOW.getTime() - HOUR) });

describe('versionOfClusterName', () => {
  const cases: Array<[string, string | null]> = [
    ['kf-master-1129-abc', 'master'],
    ['kf-v1-0301-0f9', 'v1'],
    ['kf-stacks-1129-abc', null], // not a configured version here
    ['kf-master-1129-abcd', null],
    ['kf-master-112-abc', null],
    ['kf-master-1129-ABC', null],
    ['my-cluster', null],
  ];
  for (const [name, expected] of cases) {
    it(`${name} -> ${expected}`, () => assert.equal(versionOfClusterName(name, CONFIG.versions), expected));
  }
});

describe('reconcileInventory', () => {
  const updateOf = (deployments: Deployment[], clusters: ListedCluster[]) =>
    reconcileInventory(deployments, clusters, CONFIG, NOW).updates.map((u) => [
      u.deployment.instance,
      u.patch,
    ]);

  for (const status of ['ready', 'unhealthy', 'verifying'] as const) {
    it(`${status} whose cluster is gone -> lost, with when it was noticed`, () => {
      assert.deepEqual(updateOf([dep('kf-master-1129-aaa', status, { cluster: seen(true) })], []), [
        [
          'kf-master-1129-aaa',
          {
            cluster: { listed: false, checkedAt: NOW },
            status: 'lost',
            finishedAt: NOW,
            updatedAt: NOW,
            error: `the cluster kf-master-1129-aaa no longer exists (noticed ${NOW.toISOString()})`,
          },
        ],
      ]);
    });
  }

  it('a deploying one without a cluster yet is left alone (kfctl may not have made it)', () => {
    assert.deepEqual(updateOf([dep('kf-master-1129-aaa', 'deploying', { cluster: seen(false) })], []), []);
  });

  it('records a listed cluster once, and nothing when nothing changed', () => {
    assert.deepEqual(updateOf([dep('kf-master-1129-aaa', 'ready')], [listed('kf-master-1129-aaa')]), [
      ['kf-master-1129-aaa', { cluster: { listed: true, checkedAt: NOW } }],
    ]);
    assert.deepEqual(
      updateOf([dep('kf-master-1129-aaa', 'ready', { cluster: seen(true) })], [listed('kf-master-1129-aaa')]),
      [],
    );
  });

  it('a lost one whose cluster is still listed stays lost but is recorded as listed (it counts)', () => {
    assert.deepEqual(
      updateOf([dep('kf-master-1129-aaa', 'lost', { cluster: seen(false) })], [listed('kf-master-1129-aaa')]),
      [['kf-master-1129-aaa', { cluster: { listed: true, checkedAt: NOW } }]],
    );
  });

  it('deleting, teardown Job done, cluster gone -> deleted', () => {
    const d = dep('kf-master-1129-aaa', 'deleting', { teardownFinishedAt: NOW, cluster: seen(true) });
    assert.deepEqual(updateOf([d], []), [
      [
        'kf-master-1129-aaa',
        { cluster: { listed: false, checkedAt: NOW }, status: 'deleted', deletedAt: NOW, updatedAt: NOW },
      ],
    ]);
  });

  it('deleting, teardown Job done, cluster still there -> teardown again after a backoff', () => {
    const d = dep('kf-master-1129-aaa', 'deleting', {
      teardownFinishedAt: NOW,
      teardownAttempts: 1,
      teardownJobName: 'td-1',
      cluster: seen(true),
    });
    const [[, patch] = []] = updateOf([d], [listed('kf-master-1129-aaa')]);
    assert.deepEqual(patch, {
      status: 'failed',
      launchLeaseExpiresAt: null,
      updatedAt: NOW,
      nextTeardownAt: new Date(NOW.getTime() + 20 * 60_000),
      error: 'teardown attempt 1 of 3 failed: the teardown Job td-1 succeeded but the cluster still exists',
    });
  });

  it('deleting, teardown Job done, cluster still there after the last attempt -> teardown-failed', () => {
    const d = dep('kf-master-1129-aaa', 'deleting', {
      teardownFinishedAt: NOW,
      teardownAttempts: 3,
      cluster: seen(true),
    });
    const [[, patch] = []] = updateOf([d], [listed('kf-master-1129-aaa')]);
    assert.equal((patch as Partial<Deployment>).status, 'teardown-failed');
  });

  it('deleting with its teardown still running: deleted only once the teardown Job is done', () => {
    assert.deepEqual(updateOf([dep('kf-master-1129-aaa', 'deleting', { cluster: seen(true) })], []), [
      ['kf-master-1129-aaa', { cluster: { listed: false, checkedAt: NOW } }],
    ]);
  });

  it('adopts an unknown cluster named like a configured version, with the commit its labels carry', () => {
    const { adoptions } = reconcileInventory(
      [dep('kf-master-1129-aaa', 'ready', { cluster: seen(true) })],
      [
        listed('kf-master-1129-aaa'),
        listed('kf-v1-0301-0f9', { 'git-manifests': 'c'.repeat(40) }),
        listed('kf-master-1128-bbb'),
        listed('unrelated'),
        listed('kf-other-1129-abc'),
      ],
      CONFIG,
      NOW,
    );
    assert.deepEqual(
      adoptions.map((d) => [d.instance, d.version, d.status, d.origin, d.commit, d.createdAt.toISOString()]),
      [
        ['kf-v1-0301-0f9', 'v1', 'adopted', 'adopted', 'c'.repeat(40), '2026-11-29T09:00:00.000Z'],
        ['kf-master-1128-bbb', 'master', 'adopted', 'adopted', 'unknown', '2026-11-29T09:00:00.000Z'],
      ],
    );
    assert.equal(
      adoptions[0]?.credentialsCommand,
      'gcloud --project=kf-ci-test container clusters get-credentials --zone=us-east1-d kf-v1-0301-0f9',
    );
  });

  it('adopts nothing when adoption is off, nor a cluster a deleted record knows', () => {
    const off = { ...CONFIG, inventory: { enabled: true, adopt: false } };
    assert.deepEqual(reconcileInventory([], [listed('kf-master-1128-bbb')], off, NOW).adoptions, []);
    assert.deepEqual(
      reconcileInventory([dep('kf-master-1128-bbb', 'deleted')], [listed('kf-master-1128-bbb')], CONFIG, NOW)
        .adoptions,
      [],
    );
  });
});

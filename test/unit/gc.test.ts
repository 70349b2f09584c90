import assert from 'node:assert/strict';
import { planCollection } from '../../functions/core/gc.js';
import type { Deployment, DeploymentStatus, Policy, VersionState } from '../../functions/core/types.js';
import { makeDeployment, makeVersionState, TEST_POLICY as POLICY } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A deployment `ageMs` old at NOW. */
function dep(instance: string, status: DeploymentStatus, ageMs: number, version = 'master'): Deployment {
  const createdAt = new Date(NOW.getTime() - ageMs);
  return makeDeployment({
    instance,
    version,
    commit: `${instance}-sha`,
    status,
    jobName: `job-${instance}`,
    kfctlUrl: 'https://example.com/kfctl',
    kfDefUrl: 'https://example.com/kfdef.yaml',
    endpoint: `https://${instance}.endpoints.p.cloud.goog`,
    createdAt,
    readyAt: status === 'ready' ? createdAt : null,
    error: status === 'failed' ? 'deploy Job j failed: BackoffLimitExceeded' : null,
  });
}

function version(name: string, policy: Partial<Policy> = {}): VersionState {
  return makeVersionState({
    config: { name, policy: { ...POLICY, ...policy } },
    head: { sha: 'head', deleted: false },
  });
}

describe('gc: planCollection', () => {
  const cases: Array<{
    name: string;
    deployments: Deployment[];
    versions?: VersionState[];
    collected: string[];
  }> = [
    { name: 'nothing to collect in an empty history', deployments: [], collected: [] },
    {
      name: 'keeps the only instance of a version, however old',
      deployments: [dep('a', 'ready', 100 * HOUR)],
      collected: [],
    },
    {
      name: 'collects an old ready one once the next newer ready one is older than the grace period',
      deployments: [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 3 * HOUR + 1)],
      collected: ['old'],
    },
    {
      name: 'keeps it while the next newer ready one is exactly 3 h old (strict)',
      deployments: [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 3 * HOUR)],
      collected: [],
    },
    {
      name: 'keeps a ready one exactly at its minimum lifetime (strict)',
      deployments: [dep('old', 'ready', 3 * HOUR), dep('new', 'ready', 2 * HOUR)],
      versions: [version('master', { gracePeriodHours: 1 })],
      collected: [],
    },
    {
      name: 'collects a ready one just past its minimum lifetime',
      deployments: [dep('old', 'ready', 3 * HOUR + 1), dep('new', 'ready', 2 * HOUR)],
      versions: [version('master', { gracePeriodHours: 1 })],
      collected: ['old'],
    },
    {
      name: 'never collects while nothing newer is ready (newer one deploying)',
      deployments: [dep('old', 'ready', 10 * HOUR), dep('new', 'deploying', 5 * HOUR)],
      collected: [],
    },
    {
      // Issue 7: a failed one goes after failedRetentionHours; the ready one stays (nothing newer is ready).
      name: 'keeps the ready one while nothing newer is ready; the newer failed one goes after failedRetentionHours',
      deployments: [dep('old', 'ready', 10 * HOUR), dep('new', 'failed', 5 * HOUR)],
      collected: ['new'],
    },
    {
      name: 'the grace period is measured on the next newer ready one, not the newest',
      deployments: [dep('a', 'ready', 10 * HOUR), dep('b', 'ready', 6 * HOUR), dep('c', 'ready', 1 * HOUR)],
      collected: ['a'],
    },
    {
      name: 'skips non-ready ones when looking for the next newer ready one',
      deployments: [dep('a', 'ready', 10 * HOUR), dep('b', 'failed', 8 * HOUR), dep('c', 'ready', 4 * HOUR)],
      collected: ['a', 'b'],
    },
    {
      name: 'collects a failed one past its minimum lifetime when a newer one is ready (no grace period)',
      deployments: [dep('f', 'failed', 4 * HOUR), dep('r', 'ready', 10 * MINUTE)],
      collected: ['f'],
    },
    {
      name: 'keeps a failed one exactly failedRetentionHours after it failed (strict)',
      deployments: [dep('f', 'failed', 1 * HOUR), dep('r', 'ready', 10 * MINUTE)],
      collected: [],
    },
    {
      name: 'collects a failed one just past failedRetentionHours',
      deployments: [dep('f', 'failed', 1 * HOUR + 1), dep('r', 'ready', 10 * MINUTE)],
      collected: ['f'],
    },
    {
      name: 'counts failedRetentionHours from when it failed (finishedAt), not from its launch',
      deployments: [{ ...dep('f', 'failed', 30 * HOUR), finishedAt: new Date(NOW.getTime() - 30 * MINUTE) }],
      collected: [],
    },
    {
      name: 'collects an unhealthy one failedRetentionHours after it became unhealthy',
      deployments: [
        {
          ...dep('u', 'unhealthy', 30 * HOUR),
          transitions: [
            { status: 'ready', at: new Date(NOW.getTime() - 29 * HOUR) },
            { status: 'unhealthy', at: new Date(NOW.getTime() - 2 * HOUR) },
          ],
        },
        {
          ...dep('u2', 'unhealthy', 30 * HOUR),
          transitions: [{ status: 'unhealthy', at: new Date(NOW.getTime() - 30 * MINUTE) }],
        },
      ],
      collected: ['u'],
    },
    {
      name: 'collects an adopted cluster by the ordinary rules of a ready one',
      deployments: [dep('a', 'adopted', 10 * HOUR), dep('r', 'ready', 4 * HOUR)],
      collected: ['a'],
    },
    {
      name: 'never collects a teardown-failed one (left to an operator)',
      deployments: [dep('t', 'teardown-failed', 30 * HOUR), dep('r', 'ready', 4 * HOUR)],
      collected: [],
    },
    {
      name: 'collects again, once nextTeardownAt passed, one whose teardown left its cluster behind',
      deployments: [
        { ...dep('due', 'failed', 30 * HOUR), teardownAttempts: 1, nextTeardownAt: NOW },
        {
          ...dep('later', 'failed', 30 * HOUR),
          teardownAttempts: 1,
          nextTeardownAt: new Date(NOW.getTime() + 1),
        },
      ],
      collected: ['due'],
    },
    {
      name: 'collects a lost one like a failed one',
      deployments: [dep('l', 'lost', 4 * HOUR), dep('r', 'ready', 1 * HOUR)],
      collected: ['l'],
    },
    {
      // Issue 7: they may hold clusters and quota; nothing newer needs to be ready.
      name: 'collects failed ones after failedRetentionHours even while nothing newer is ready',
      deployments: [dep('f1', 'failed', 30 * HOUR), dep('f2', 'failed', 20 * HOUR)],
      collected: ['f1', 'f2'],
    },
    {
      name: 'collects a failed one newer than the newest ready one after failedRetentionHours',
      deployments: [dep('r', 'ready', 30 * HOUR), dep('f', 'failed', 20 * HOUR)],
      collected: ['f'],
    },
    {
      name: 'never collects launching, deploying, deleting or deleted ones',
      deployments: [
        dep('launching', 'launching', 20 * HOUR),
        dep('deploying', 'deploying', 19 * HOUR),
        dep('deleting', 'deleting', 18 * HOUR),
        dep('deleted', 'deleted', 17 * HOUR),
        dep('r', 'ready', 4 * HOUR),
      ],
      collected: [],
    },
    {
      name: 'versions are independent: a newer ready one of another version does not count',
      deployments: [dep('m', 'ready', 10 * HOUR, 'master'), dep('v', 'ready', 5 * HOUR, 'v1')],
      versions: [version('master'), version('v1')],
      collected: [],
    },
    {
      name: "uses each version's own policy",
      deployments: [
        dep('m-old', 'ready', 5 * HOUR, 'master'),
        dep('m-new', 'ready', 4 * HOUR, 'master'),
        dep('v-old', 'ready', 5 * HOUR, 'v1'),
        dep('v-new', 'ready', 4 * HOUR, 'v1'),
      ],
      versions: [version('master'), version('v1', { minLifetimeHours: 6 })],
      collected: ['m-old'],
    },
    {
      name: 'keeps deployments of a version no longer configured when no global policy is given',
      deployments: [dep('gone-old', 'ready', 10 * HOUR, 'gone'), dep('gone-new', 'ready', 5 * HOUR, 'gone')],
      collected: [],
    },
    {
      name: 'returns oldest first within a version, versions in config order',
      deployments: [
        dep('v-a', 'ready', 20 * HOUR, 'v1'),
        dep('m-b', 'ready', 9 * HOUR, 'master'),
        dep('m-a', 'failed', 10 * HOUR, 'master'),
        dep('v-b', 'ready', 5 * HOUR, 'v1'),
        dep('m-c', 'ready', 4 * HOUR, 'master'),
      ],
      versions: [version('v1'), version('master')],
      collected: ['v-a', 'm-a', 'm-b'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decisions = planCollection(c.versions ?? [version('master')], c.deployments, NOW);
      assert.deepEqual(
        decisions.map((d) => d.instance),
        c.collected,
      );
    });
  }

  it('applies the global policy, per version name, to versions no longer configured', () => {
    const deployments = [
      dep('gone-a', 'ready', 10 * HOUR, 'gone'),
      dep('gone-b', 'ready', 5 * HOUR, 'gone'),
      dep('gone-c', 'ready', 1 * HOUR, 'gone'),
    ];
    const decisions = planCollection([version('master')], deployments, NOW, { policy: POLICY });
    assert.deepEqual(
      decisions.map((d) => d.instance),
      ['gone-a'],
    );
  });

  it('accepts plain {name, policy} pairs', () => {
    const decisions = planCollection(
      [{ name: 'master', policy: POLICY }],
      [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 4 * HOUR)],
      NOW,
    );
    assert.deepEqual(
      decisions.map((d) => d.instance),
      ['old'],
    );
  });

  it('never collects a held deployment (the lease seam)', () => {
    const deployments = [
      dep('held', 'ready', 10 * HOUR),
      dep('free', 'failed', 9 * HOUR),
      dep('n', 'ready', 5 * HOUR),
    ];
    const decisions = planCollection([version('master')], deployments, NOW, {
      isHeld: (d) => d.instance === 'held',
    });
    assert.deepEqual(
      decisions.map((d) => d.instance),
      ['free'],
    );
  });

  it('says why, in words, and carries version and commit', () => {
    const deployments = [
      dep('kf-master-1129-aaa', 'ready', 5 * HOUR),
      dep('kf-master-1129-ccc', 'failed', 4 * HOUR + 30 * MINUTE),
      dep('kf-master-1129-bbb', 'ready', 3 * HOUR + 5 * MINUTE),
    ];
    const decisions = planCollection([version('master')], deployments, NOW);
    assert.deepEqual(decisions, [
      {
        kind: 'collect',
        instance: 'kf-master-1129-aaa',
        version: 'master',
        commit: 'kf-master-1129-aaa-sha',
        reason: 'superseded by kf-master-1129-bbb (ready, 3h 05m old); 5h 00m old',
      },
      {
        kind: 'collect',
        instance: 'kf-master-1129-ccc',
        version: 'master',
        commit: 'kf-master-1129-ccc-sha',
        reason: 'failed (deploy Job j failed: BackoffLimitExceeded); 4h 30m since it stopped serving',
      },
    ]);
  });

  it('collects again a deployment whose teardown failed', () => {
    const failedTeardown = { ...dep('t', 'failed', 30 * HOUR), error: 'teardown failed: quota (Job td-1)' };
    const decisions = planCollection(
      [version('master')],
      [failedTeardown, dep('n', 'ready', 10 * HOUR)],
      NOW,
    );
    assert.equal(decisions.length, 1);
    assert.match(decisions[0]?.reason ?? '', /^failed \(teardown failed: quota/);
  });
});

import assert from 'node:assert/strict';
import { LAUNCH_LEASE_SECONDS } from '../../functions/core/launch.js';
import type { Lease } from '../../functions/core/leases.js';
import { claimTeardown, isTeardownJobOfAttempt, type TeardownView } from '../../functions/core/teardown.js';
import type { Deployment, DeploymentStatus } from '../../functions/core/types.js';
import { makeDeployment, makeDeployRequest, makeLease } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const LEASE = new Date(NOW.getTime() + LAUNCH_LEASE_SECONDS * 1000);

const request = (status: 'enqueued' | 'done' | 'failed' = 'enqueued') =>
  makeDeployRequest({
    id: 'teardown-kf-master-1128-old-0',
    action: 'teardown',
    instance: 'kf-master-1128-old',
    status,
    createdAt: NOW,
  });
const deployment = (status: DeploymentStatus, fields: Partial<Deployment> = {}) =>
  makeDeployment({
    instance: 'kf-master-1128-old',
    status,
    createdAt: new Date(NOW.getTime() - 300 * MINUTE),
    ...fields,
  });

describe('claimTeardown', () => {
  const cases: Array<[string, TeardownView, { step: unknown; writes: unknown }]> = [
    [
      'no request: closed',
      { request: null, deployment: deployment('ready'), leases: [] },
      { step: { kind: 'closed' }, writes: {} },
    ],
    [
      'request done: closed',
      { request: request('done'), deployment: deployment('ready'), leases: [] },
      { step: { kind: 'closed' }, writes: {} },
    ],
    [
      'request failed: closed',
      { request: request('failed'), deployment: deployment('ready'), leases: [] },
      { step: { kind: 'closed' }, writes: {} },
    ],
    [
      'no deployment: the request fails',
      { request: request(), deployment: null, leases: [] },
      {
        step: { kind: 'closed' },
        writes: { request: { status: 'failed', updatedAt: NOW, error: 'deployment not found' } },
      },
    ],
    [
      'already deleted: the request is done',
      { request: request(), deployment: deployment('deleted'), leases: [] },
      { step: { kind: 'closed' }, writes: { request: { status: 'done', updatedAt: NOW, error: null } } },
    ],
    [
      'deploying again: the request fails, nothing torn down',
      { request: request(), deployment: deployment('deploying'), leases: [] },
      {
        step: { kind: 'closed' },
        writes: {
          request: {
            status: 'failed',
            updatedAt: NOW,
            error: 'not torn down: the deployment is deploying again',
          },
        },
      },
    ],
    [
      'launching again: the request fails',
      { request: request(), deployment: deployment('launching'), leases: [] },
      {
        step: { kind: 'closed' },
        writes: {
          request: {
            status: 'failed',
            updatedAt: NOW,
            error: 'not torn down: the deployment is launching again',
          },
        },
      },
    ],
    [
      'deleting under a live lease: busy',
      {
        request: request(),
        deployment: deployment('deleting', { launchLeaseExpiresAt: new Date(NOW.getTime() + 1) }),
        leases: [],
      },
      { step: { kind: 'busy', instance: 'kf-master-1128-old' }, writes: {} },
    ],
  ];
  for (const [name, view, expected] of cases) {
    it(name, () => assert.deepEqual(claimTeardown(view, NOW), expected));
  }

  for (const status of ['ready', 'failed', 'lost'] as const) {
    it(`${status}: moves to deleting from now, under a fresh lease`, () => {
      const patch = {
        status: 'deleting',
        deletingAt: NOW,
        launchLeaseExpiresAt: LEASE,
        updatedAt: NOW,
        teardownAttempts: 1,
        nextTeardownAt: null,
        teardownFinishedAt: null,
        teardownJobName: null,
      };
      const claim = claimTeardown({ request: request(), deployment: deployment(status), leases: [] }, NOW);
      assert.deepEqual(claim.writes, { deployment: { instance: 'kf-master-1128-old', patch } });
      assert.equal(claim.step.kind, 'teardown');
      assert.deepEqual(claim.step.kind === 'teardown' && claim.step.deployment, {
        ...deployment(status),
        ...patch,
      });
    });
  }

  it('a lease that is no longer live (released, or past its time) neither stops nor is revoked', () => {
    const leases = [
      makeLease({
        leaseId: 'lease-master-a',
        instance: 'kf-master-1128-old',
        createdAt: NOW,
        status: 'released',
      }),
      makeLease({
        leaseId: 'lease-master-b',
        instance: 'kf-master-1128-old',
        createdAt: new Date(NOW.getTime() - 120 * MINUTE),
      }),
    ];
    const claim = claimTeardown({ request: request(), deployment: deployment('ready'), leases }, NOW);
    assert.equal(claim.step.kind, 'teardown');
    assert.equal(claim.writes.leases, undefined);
  });

  it('deleting whose lease expired (or was released): takes the step over, keeping deletingAt', () => {
    const deletingAt = new Date(NOW.getTime() - 30 * MINUTE);
    const stuck = deployment('deleting', { deletingAt, launchLeaseExpiresAt: NOW });
    const claim = claimTeardown({ request: request(), deployment: stuck, leases: [] }, NOW);
    assert.deepEqual(claim.writes, {
      deployment: { instance: 'kf-master-1128-old', patch: { launchLeaseExpiresAt: LEASE, updatedAt: NOW } },
    });
    assert.equal(claim.step.kind === 'teardown' && claim.step.deployment.deletingAt, deletingAt);
  });
});

describe('claimTeardown and leases', () => {
  const instance = 'kf-master-1128-old';
  const lease = (leaseId: string, fields: Partial<Lease>): Lease =>
    makeLease({ leaseId, instance, createdAt: new Date(NOW.getTime() - 10 * MINUTE), ...fields });
  const refused = (error: string) => ({
    step: { kind: 'closed' },
    writes: { request: { status: 'deferred', updatedAt: NOW, error } },
  });

  const cases: Array<[string, DeploymentStatus, Lease[], 'torn down' | object]> = [
    [
      'a live lease: the request is deferred, the deployment not touched',
      'ready',
      [
        lease('lease-master-a', {
          owner: 'kubeflow/examples#7',
          expiresAt: new Date(NOW.getTime() + MINUTE),
        }),
      ],
      refused('not torn down yet: leased by kubeflow/examples#7 until 2026-11-29T14:01:00.000Z'),
    ],
    [
      'several live leases: names the one held longest',
      'failed',
      [
        lease('lease-master-a', { owner: 'a', expiresAt: new Date(NOW.getTime() + 5 * MINUTE) }),
        lease('lease-master-b', { owner: 'b', expiresAt: new Date(NOW.getTime() + 50 * MINUTE) }),
      ],
      refused('not torn down yet: leased by b until 2026-11-29T14:50:00.000Z'),
    ],
    [
      'a lease that expired exactly now: torn down',
      'ready',
      [lease('lease-master-a', { expiresAt: NOW })],
      'torn down',
    ],
    [
      'a released lease: torn down',
      'ready',
      [
        lease('lease-master-a', {
          status: 'released',
          closedAt: NOW,
          expiresAt: new Date(NOW.getTime() + MINUTE),
        }),
      ],
      'torn down',
    ],
    [
      'an expired lease still marked active: torn down',
      'lost',
      [lease('lease-master-a', { expiresAt: new Date(NOW.getTime() - MINUTE) })],
      'torn down',
    ],
  ];
  for (const [name, status, leases, expected] of cases) {
    it(name, () => {
      const claim = claimTeardown({ request: request(), deployment: deployment(status), leases }, NOW);
      if (expected === 'torn down') assert.equal(claim.step.kind, 'teardown');
      else assert.deepEqual(claim, expected);
    });
  }

  it('a teardown already started (deleting) goes on: no lease could have been taken on it', () => {
    const started = deployment('deleting', { deletingAt: NOW, launchLeaseExpiresAt: NOW });
    const live = lease('lease-master-a', { expiresAt: new Date(NOW.getTime() + MINUTE) });
    const claim = claimTeardown({ request: request(), deployment: started, leases: [live] }, NOW);
    assert.equal(claim.step.kind, 'teardown');
  });
});

describe('isTeardownJobOfAttempt', () => {
  const d = deployment('deleting', { deletingAt: NOW, teardownAttempts: 2 });
  const cases: Array<[string, string, boolean]> = [
    ["this attempt's Job (named for attempt 2)", `auto-teardown-${d.instance.slice(3)}-2`, true],
    ["the earlier attempt's Job, however recent", `auto-teardown-${d.instance.slice(3)}-1`, false],
    ['a Job of another instance', 'auto-teardown-master-0101-zzz-2', false],
  ];
  for (const [name, jobName, expected] of cases) {
    it(name, () => assert.equal(isTeardownJobOfAttempt(d, { name: jobName }), expected));
  }

  it('a record from before attempts were counted is on its first attempt', () => {
    const legacy = deployment('deleting', { deletingAt: NOW });
    assert.equal(
      isTeardownJobOfAttempt(legacy, { name: `auto-teardown-${legacy.instance.slice(3)}-1` }),
      true,
    );
  });
});

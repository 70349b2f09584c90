import assert from 'node:assert/strict';
import {
  claimLaunch,
  decideLaunch,
  instanceNameCandidates,
  LAUNCH_LEASE_SECONDS,
  type LaunchDecision,
  type LaunchView,
  launchLeaseExpiry,
} from '../../functions/core/launch.js';
import type {
  Deployment,
  DeploymentStatus,
  DeployRequest,
  VersionState,
} from '../../functions/core/types.js';
import { makeDeployment, makeEnqueuedRequest, makeVersionState } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);

const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

function dep(instance: string, status: DeploymentStatus, overrides: Partial<Deployment> = {}): Deployment {
  return makeDeployment({
    instance,
    status,
    commit: HEAD,
    jobName: `job-${instance}`,
    kfctlUrl: 'https://example.com/kfctl',
    kfDefUrl: 'https://example.com/kfdef.yaml',
    createdAt: ago(HOUR),
    ...overrides,
  });
}

describe('launchLeaseExpiry', () => {
  it(`is ${LAUNCH_LEASE_SECONDS} s after now`, () => {
    assert.equal(launchLeaseExpiry(NOW).getTime() - NOW.getTime(), LAUNCH_LEASE_SECONDS * 1000);
  });
});

describe('decideLaunch', () => {
  const request = (overrides: Partial<DeployRequest> = {}): DeployRequest =>
    makeEnqueuedRequest(NOW, { id: 'deploy-master-aaaaaaaaaaaa-c', commit: HEAD, ...overrides });
  const version = (
    overrides: { paused?: boolean; switchPaused?: boolean; head?: VersionState['head'] } = {},
  ): VersionState =>
    makeVersionState({
      config: { kfDefPath: 'k.yaml', kfctlUrl: 'u', paused: overrides.paused ?? false },
      switches: { paused: overrides.switchPaused ?? false },
      head: overrides.head === undefined ? { sha: HEAD, deleted: false } : overrides.head,
    });
  const others = (n: number, status: DeploymentStatus = 'ready'): Deployment[] =>
    Array.from({ length: n }, (_, i) =>
      dep(`other-${i}`, status, { version: `v${i}`, commit: OLD, createdAt: ago(5 * HOUR) }),
    );

  const cases: Array<{
    name: string;
    request?: DeployRequest;
    version?: VersionState;
    deployments?: Deployment[];
    runningJob?: string;
    expected: LaunchDecision;
  }> = [
    { name: 'launches on an empty history', expected: { kind: 'launch' } },
    {
      name: 'skips a request that already launched (a retried task)',
      deployments: [dep('mine', 'launching', { requestId: 'deploy-master-aaaaaaaaaaaa-c' })],
      expected: { kind: 'skip', reason: 'already-launched', instance: 'mine' },
    },
    {
      name: 'skips when the branch moved on',
      version: version({ head: { sha: 'c'.repeat(40), deleted: false } }),
      expected: { kind: 'skip', reason: 'superseded' },
    },
    {
      name: 'skips when the branch was deleted',
      version: version({ head: { sha: HEAD, deleted: true } }),
      expected: { kind: 'skip', reason: 'superseded' },
    },
    {
      name: 'skips when no head is recorded',
      version: version({ head: null }),
      expected: { kind: 'skip', reason: 'superseded' },
    },
    {
      name: 'skips when the commit is deploying',
      deployments: [dep('d', 'deploying', { createdAt: ago(HOUR) })],
      expected: { kind: 'skip', reason: 'in-progress', instance: 'd' },
    },
    {
      name: 'skips a manual request too when the commit is launching',
      request: request({ reason: 'manual' }),
      deployments: [dep('d', 'launching', { createdAt: ago(HOUR) })],
      expected: { kind: 'skip', reason: 'in-progress', instance: 'd' },
    },
    {
      name: 'skips a new-commit request when the commit is ready',
      deployments: [dep('r', 'ready', { createdAt: ago(HOUR) })],
      expected: { kind: 'skip', reason: 'already-deployed', instance: 'r' },
    },
    {
      name: 'a periodic request redeploys a commit that is only ready',
      request: request({ reason: 'periodic' }),
      deployments: [dep('r', 'ready', { createdAt: ago(12 * HOUR) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'a manual request redeploys a commit that is only ready, rate limit aside',
      request: request({ reason: 'manual' }),
      deployments: [dep('r', 'ready', { createdAt: ago(5 * MINUTE) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'skips a periodic request when the commit was launched again after the request',
      request: request({ reason: 'periodic', createdAt: ago(30 * MINUTE) }),
      deployments: [dep('r', 'ready', { createdAt: ago(25 * MINUTE) })],
      expected: { kind: 'skip', reason: 'already-deployed', instance: 'r' },
    },
    {
      name: 'a failed deploy of the commit does not block',
      request: request({ reason: 'periodic' }),
      deployments: [dep('f', 'failed', { createdAt: ago(12 * HOUR) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'defers while the version is paused in the config',
      version: version({ paused: true }),
      expected: { kind: 'defer', reason: 'paused' },
    },
    {
      name: 'defers a manual request while the version is paused by the switch',
      request: request({ reason: 'manual' }),
      version: version({ switchPaused: true }),
      expected: { kind: 'defer', reason: 'paused' },
    },
    {
      name: 'defers a task that fired before notBefore',
      request: request({ notBefore: new Date(NOW.getTime() + 5 * MINUTE) }),
      expected: { kind: 'defer', reason: 'rate-limited', until: new Date(NOW.getTime() + 5 * MINUTE) },
    },
    {
      name: 'defers until 20 min after the newest launch of the version',
      deployments: [dep('prev', 'ready', { commit: OLD, createdAt: ago(19 * MINUTE) })],
      expected: { kind: 'defer', reason: 'rate-limited', until: new Date(NOW.getTime() + MINUTE) },
    },
    {
      name: 'launches exactly 20 min after the newest launch',
      deployments: [dep('prev', 'ready', { commit: OLD, createdAt: ago(20 * MINUTE) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'the newest launch counts even when it failed',
      deployments: [
        dep('older', 'ready', { commit: OLD, createdAt: ago(5 * HOUR) }),
        dep('prev', 'failed', { commit: OLD, createdAt: ago(10 * MINUTE) }),
      ],
      expected: { kind: 'defer', reason: 'rate-limited', until: new Date(NOW.getTime() + 10 * MINUTE) },
    },
    {
      name: "another version's launches do not rate-limit this one",
      deployments: [dep('v', 'ready', { version: 'v1', commit: HEAD, createdAt: ago(MINUTE) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'a manual request ignores the rate limit',
      request: request({ reason: 'manual' }),
      deployments: [dep('prev', 'ready', { commit: OLD, createdAt: ago(MINUTE) })],
      expected: { kind: 'launch' },
    },
    {
      name: 'defers at capacity (10 active over all versions)',
      deployments: others(10),
      expected: { kind: 'defer', reason: 'at-capacity', active: 10 },
    },
    {
      name: 'a manual request still respects capacity',
      request: request({ reason: 'manual' }),
      deployments: [...others(9, 'deploying'), dep('l', 'launching', { version: 'v9', commit: OLD })],
      expected: { kind: 'defer', reason: 'at-capacity', active: 10 },
    },
    {
      // Issue 7: everything that may hold cloud resources counts until it is verified gone.
      name: 'failed, lost and deleting deployments count against capacity; deleted ones do not',
      deployments: [
        ...others(7),
        ...others(1, 'failed').map((d) => ({ ...d, instance: 'f', version: 'vf' })),
        ...others(1, 'lost').map((d) => ({ ...d, instance: 'l', version: 'vl' })),
        ...others(1, 'deleting').map((d) => ({ ...d, instance: 'g', version: 'vg' })),
        ...others(3, 'deleted').map((d, i) => ({ ...d, instance: `d${i}`, version: `vd${i}` })),
      ],
      expected: { kind: 'defer', reason: 'at-capacity', active: 10 },
    },
    {
      name: 'a lost deployment whose cluster the inventory saw gone does not count',
      deployments: [
        ...others(9),
        ...others(3, 'lost').map((d) => ({ ...d, cluster: { listed: false, checkedAt: NOW } })),
      ],
      expected: { kind: 'launch' },
    },
    {
      name: 'a Job of the same commit still running on the cluster defers for the rate-limit interval',
      runningJob: 'auto-deploy-master-x1y2z',
      expected: {
        kind: 'defer',
        reason: 'job-running',
        until: new Date(NOW.getTime() + 20 * MINUTE),
        job: 'auto-deploy-master-x1y2z',
      },
    },
    {
      name: 'a running Job of the same commit does not stop a skip (the request is moot anyway)',
      version: version({ head: { sha: OLD, deleted: false } }),
      runningJob: 'auto-deploy-master-x1y2z',
      expected: { kind: 'skip', reason: 'superseded' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = decideLaunch({
        request: c.request ?? request(),
        version: c.version ?? version(),
        deployments: c.deployments ?? [],
        maxActiveDeployments: 10,
        runningJob: c.runningJob ?? null,
        now: NOW,
      });
      assert.deepEqual(decision, c.expected);
    });
  }
});

describe('claimLaunch', () => {
  const SETTINGS = {
    namespace: 'auto-deploy',
    project: 'kf-ci',
    zone: 'us-east1-d',
    maxActiveDeployments: 10,
  };
  const req = (fields: Partial<DeployRequest> = {}) =>
    makeEnqueuedRequest(NOW, { id: 'deploy-master-aaaaaaaaaaaa-c', commit: HEAD, ...fields });
  const view = (fields: Partial<LaunchView> = {}): LaunchView => ({
    request: req(),
    version: makeVersionState({ head: { sha: HEAD, deleted: false } }),
    deployments: [],
    takenInstances: new Set(),
    now: NOW,
    runningJob: null,
    ...fields,
  });

  it('launch: records a launching deployment under the first free candidate name, with a lease', () => {
    const [first, second] = instanceNameCandidates(req(), NOW);
    const claim = claimLaunch(req().id, view({ takenInstances: new Set([first as string]) }), SETTINGS);
    assert.equal(claim.step.kind, 'launch');
    const created = claim.writes.createDeployment;
    assert.equal(created?.instance, second);
    assert.equal(created?.status, 'launching');
    assert.deepEqual(created?.launchLeaseExpiresAt, launchLeaseExpiry(NOW));
    assert.equal(created?.endpoint, `https://${second}.endpoints.kf-ci.cloud.goog`);
    assert.equal(
      created?.credentialsCommand,
      `gcloud --project=kf-ci container clusters get-credentials --zone=us-east1-d ${second}`,
    );
    assert.deepEqual(claim.writes.request, { updatedAt: NOW, error: null });
  });

  it('throws when every candidate name is taken', () => {
    const taken = new Set(instanceNameCandidates(req(), NOW));
    assert.throws(
      () => claimLaunch(req().id, view({ takenInstances: taken }), SETTINGS),
      /no free instance name/,
    );
  });

  it('candidate names are deterministic per request and distinct', () => {
    const names = instanceNameCandidates(req(), NOW);
    assert.deepEqual(names, instanceNameCandidates(req(), NOW));
    assert.equal(new Set(names).size, names.length);
  });

  const launched = (fields: Partial<Deployment>) =>
    dep('kf-master-1129-abc', 'launching', { requestId: req().id, createdAt: NOW, ...fields });
  const cases: Array<[string, LaunchView, string | null, { step: unknown; writes: unknown }]> = [
    [
      'unknown request',
      view({ request: null }),
      null,
      {
        step: {
          kind: 'outcome',
          outcome: {
            kind: 'done',
            result: 'unknown-request',
            detail: 'no deploy request deploy-master-aaaaaaaaaaaa-c',
          },
        },
        writes: {},
      },
    ],
    [
      'closed request',
      view({ request: req({ status: 'done' }) }),
      null,
      { step: { kind: 'outcome', outcome: { kind: 'done', result: 'already-done' } }, writes: {} },
    ],
    [
      'teardown request: handed on',
      view({ request: req({ action: 'teardown', instance: 'kf-x' }) }),
      null,
      { step: { kind: 'teardown', request: req({ action: 'teardown', instance: 'kf-x' }) }, writes: {} },
    ],
    [
      'version no longer configured',
      view({ version: null }),
      null,
      {
        step: { kind: 'outcome', outcome: { kind: 'done', result: 'version-not-configured' } },
        writes: {
          request: { status: 'failed', updatedAt: NOW, error: 'version master is no longer configured' },
        },
      },
    ],
    [
      'superseded: closed with why',
      view({ version: makeVersionState({ head: { sha: OLD, deleted: false } }) }),
      null,
      {
        step: { kind: 'outcome', outcome: { kind: 'done', result: 'skipped-superseded' } },
        writes: { request: { status: 'done', updatedAt: NOW, error: 'skipped: superseded' } },
      },
    ],
    [
      'a Job of the same commit running: deferred one interval, with the Job named',
      view(),
      'auto-deploy-master-xyz',
      {
        step: {
          kind: 'outcome',
          outcome: { kind: 'done', result: 'deferred-job-running', job: 'auto-deploy-master-xyz' },
        },
        writes: {
          request: {
            status: 'deferred',
            notBefore: new Date(NOW.getTime() + 20 * MINUTE),
            updatedAt: NOW,
            error: 'deferred: Job auto-deploy-master-xyz of the same commit is still running',
          },
        },
      },
    ],
    [
      'already launched, not launching any more: the request is done',
      view({ deployments: [launched({ status: 'deploying' })] }),
      null,
      {
        step: {
          kind: 'outcome',
          outcome: { kind: 'done', result: 'already-launched', instance: 'kf-master-1129-abc' },
        },
        writes: { request: { status: 'done', updatedAt: NOW, error: null } },
      },
    ],
    [
      'already launching under a live lease: busy',
      view({ deployments: [launched({ launchLeaseExpiresAt: new Date(NOW.getTime() + 1) })] }),
      null,
      {
        step: {
          kind: 'outcome',
          outcome: {
            kind: 'retry',
            result: 'busy',
            detail: 'kf-master-1129-abc is being launched by another delivery',
          },
        },
        writes: {},
      },
    ],
  ];
  for (const [name, input, runningJob, expected] of cases) {
    it(name, () => assert.deepEqual(claimLaunch(req().id, { ...input, runningJob }, SETTINGS), expected));
  }

  it('already launching under an expired lease: takes the launch over with a fresh lease', () => {
    const stale = launched({ launchLeaseExpiresAt: NOW });
    const claim = claimLaunch(req().id, view({ deployments: [stale] }), SETTINGS);
    const patch = { launchLeaseExpiresAt: launchLeaseExpiry(NOW), updatedAt: NOW };
    assert.deepEqual(claim.writes, { deployment: { instance: stale.instance, patch } });
    assert.deepEqual(claim.step, {
      kind: 'launch',
      deployment: { ...stale, ...patch },
      request: req(),
      isNewLaunch: false,
    });
  });
});

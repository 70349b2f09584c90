/**
 * The global drain as the planner, the worker and the enqueue rule see it (a version's `drained`
 * switch), and a forced teardown in the worker's claim: table-driven, fixed `now`.
 */
import assert from 'node:assert/strict';
import { describeDecision } from '../../functions/core/describe.js';
import { decideLaunch } from '../../functions/core/launch.js';
import { planDeploys } from '../../functions/core/plan.js';
import { isDueForEnqueue } from '../../functions/core/requests.js';
import { claimTeardown } from '../../functions/core/teardown.js';
import type { Deployment, VersionDecision, VersionState } from '../../functions/core/types.js';
import {
  makeDeployment,
  makeDeployRequest,
  makeEnqueuedRequest,
  makeLease,
  makeVersionState,
} from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const HOUR = 3_600_000;
const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function version(switches: Partial<VersionState['switches']>, configPaused = false): VersionState {
  return makeVersionState({
    config: { paused: configPaused },
    switches,
    head: { sha: HEAD, deleted: false },
  });
}

const oldReady = (instance: string, ageMs: number): Deployment =>
  makeDeployment({ instance, status: 'ready', commit: OLD, createdAt: ago(ageMs), readyAt: ago(ageMs) });

describe('drain: the planner', () => {
  const cases: Array<{
    name: string;
    state: VersionState;
    expected: Pick<VersionDecision, 'kind' | 'reason'>;
  }> = [
    {
      name: 'drained: wait drained (a new commit waits)',
      state: version({ drained: true }),
      expected: { kind: 'wait', reason: 'drained' },
    },
    {
      name: 'drained beats a forced redeploy (the switch stays set for after the undrain)',
      state: version({ drained: true, forceRedeploy: true }),
      expected: { kind: 'wait', reason: 'drained' },
    },
    {
      name: 'paused by its own switch and drained: paused (its own pause outlives the drain)',
      state: version({ drained: true, paused: true }),
      expected: { kind: 'wait', reason: 'paused' },
    },
    {
      name: 'paused in the config and drained: paused',
      state: version({ drained: true }, true),
      expected: { kind: 'wait', reason: 'paused' },
    },
    {
      name: 'not drained: deploys the new commit',
      state: version({}),
      expected: { kind: 'deploy', reason: 'new-commit' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planDeploys({
        now: NOW,
        maxActiveDeployments: 10,
        versions: [c.state],
        deployments: [oldReady('kf-master-1128-old', 30 * HOUR)],
        openRequests: [],
      });
      const [decision] = plan.versions;
      assert.deepEqual({ kind: decision?.kind, reason: decision?.reason }, c.expected);
    });
  }

  it('GC goes on while drained (as for a pause)', () => {
    const plan = planDeploys({
      now: NOW,
      maxActiveDeployments: 10,
      versions: [version({ drained: true })],
      deployments: [oldReady('kf-master-1127-old', 30 * HOUR), oldReady('kf-master-1128-new', 20 * HOUR)],
      openRequests: [],
    });
    assert.deepEqual(
      plan.collect.map((c) => c.instance),
      ['kf-master-1127-old'],
    );
  });

  it('says it in words', () => {
    assert.equal(
      describeDecision({ kind: 'wait', version: 'master', reason: 'drained' }, NOW),
      'drained: every version is paused',
    );
  });
});

describe('drain: the worker and the enqueue rule', () => {
  const request = makeEnqueuedRequest(NOW, { id: 'deploy-master-aaaaaaaaaaaa-c', commit: HEAD });

  it('the worker defers a launch while drained (a request queued before the drain)', () => {
    const decision = decideLaunch({
      request,
      version: version({ drained: true }),
      deployments: [],
      maxActiveDeployments: 10,
      now: NOW,
    });
    assert.deepEqual(decision, { kind: 'defer', reason: 'drained' });
  });

  it('a deferred deploy request is not queued again while its version is drained; pending ones are', () => {
    const drained: VersionDecision = { kind: 'wait', version: 'master', reason: 'drained' };
    const deferred = { ...request, status: 'deferred' as const };
    assert.equal(isDueForEnqueue(deferred, drained, NOW, new Set()), false);
    assert.equal(isDueForEnqueue({ ...request, status: 'pending' }, drained, NOW, new Set()), true);
    assert.equal(isDueForEnqueue(deferred, { ...drained, reason: 'up-to-date' }, NOW, new Set()), true);
  });
});

describe('a forced teardown request (operator, {"force": true})', () => {
  const instance = 'kf-master-1128-old';
  const deployment = makeDeployment({ instance, status: 'ready', createdAt: ago(5 * HOUR) });
  const lease = makeLease({ leaseId: 'lease-master-1', instance, createdAt: ago(HOUR / 2) });
  const teardown = (force: boolean) =>
    makeDeployRequest({
      id: `teardown-${instance}-0`,
      action: 'teardown',
      instance,
      status: 'enqueued',
      createdAt: NOW,
      ...(force ? { force: true } : {}),
    });

  const cases: Array<[string, boolean, string]> = [
    ['not forced: a live lease defers it', false, 'closed'],
    ['forced: the live lease does not stop it', true, 'teardown'],
  ];
  for (const [name, force, step] of cases) {
    it(name, () => {
      const claim = claimTeardown({ request: teardown(force), deployment, leases: [lease] }, NOW);
      assert.equal(claim.step.kind, step);
      if (!force) {
        assert.equal(claim.writes.request?.status, 'deferred');
        assert.equal(claim.writes.leases, undefined, 'a deferred teardown revokes nothing');
      } else {
        assert.equal(claim.writes.deployment?.patch.status, 'deleting');
        assert.deepEqual(claim.writes.leases, [{ ...lease, status: 'revoked', closedAt: NOW }]);
      }
    });
  }
});

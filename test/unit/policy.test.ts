import assert from 'node:assert/strict';
import {
  consecutiveFailures,
  countActive,
  deployDeadlineSeconds,
  hasCapacity,
  isActive,
  isFailedLaunch,
  isOlderThan,
  isRateLimited,
  newestLaunch,
  nextTeardownAt,
  periodicRedeployAt,
  rateLimitOpensAt,
  retryAt,
  sameCommitJobWaitUntil,
} from '../../functions/core/policy.js';
import { afterFailedTeardown } from '../../functions/core/teardown-outcome.js';
import type { DeploymentStatus } from '../../functions/core/types.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const launch = (instance: string, offsetMs: number) => ({ instance, createdAt: at(offsetMs) });

describe('policy', () => {
  describe('newestLaunch', () => {
    const cases: Array<[string, ReturnType<typeof launch>[], string | null]> = [
      ['none', [], null],
      ['the one', [launch('kf-a', 0)], 'kf-a'],
      ['the latest createdAt', [launch('kf-b', -HOUR), launch('kf-a', 0), launch('kf-c', -MINUTE)], 'kf-a'],
      [
        'a tie: the greater instance name, whatever the order',
        [launch('kf-b', 0), launch('kf-a', 0)],
        'kf-b',
      ],
      ['a tie, the other order', [launch('kf-a', 0), launch('kf-b', 0)], 'kf-b'],
    ];
    for (const [name, deployments, expected] of cases) {
      it(name, () => assert.equal(newestLaunch(deployments)?.instance ?? null, expected));
    }
  });

  describe('rateLimitOpensAt and isRateLimited', () => {
    const policy = { minMinutesBetweenDeployments: 20 };
    it('opens minMinutesBetweenDeployments after the newest launch', () => {
      assert.deepEqual(
        rateLimitOpensAt([launch('kf-a', -30 * MINUTE), launch('kf-b', -5 * MINUTE)], policy),
        at(15 * MINUTE),
      );
    });
    it('is null (never limited) for a version that never launched', () => {
      assert.equal(rateLimitOpensAt([], policy), null);
      assert.equal(isRateLimited(null, NOW), false);
    });
    const cases: Array<[string, Date, boolean]> = [
      ['before the boundary: limited', at(1), true],
      ['exactly at the boundary: open', NOW, false],
      ['after the boundary: open', at(-1), false],
    ];
    for (const [name, opensAt, expected] of cases) {
      it(name, () => assert.equal(isRateLimited(opensAt, NOW), expected));
    }
  });

  describe('capacity', () => {
    // Issue 7: everything that may hold cloud resources counts until it is verified gone.
    const statuses: Array<[DeploymentStatus, boolean]> = [
      ['launching', true],
      ['deploying', true],
      ['verifying', true],
      ['ready', true],
      ['unhealthy', true],
      ['failed', true],
      ['lost', true],
      ['adopted', true],
      ['deleting', true],
      ['teardown-failed', true],
      ['deleted', false],
    ];
    for (const [status, expected] of statuses) {
      it(`${status} ${expected ? 'counts' : 'does not count'}`, () =>
        assert.equal(isActive({ status }), expected));
    }
    it('counts the active ones', () => {
      assert.equal(countActive(statuses.map(([status]) => ({ status }))), 10);
    });
    it('a lost instance whose cluster the inventory saw gone does not count; one still listed does', () => {
      const checkedAt = new Date(0);
      assert.equal(isActive({ status: 'lost', cluster: { listed: false, checkedAt } }), false);
      assert.equal(isActive({ status: 'lost', cluster: { listed: true, checkedAt } }), true);
    });
    const room: Array<[number, number, boolean]> = [
      [9, 10, true],
      [10, 10, false],
      [11, 10, false],
      [0, 1, true],
    ];
    for (const [active, max, expected] of room) {
      it(`${active} active of ${max}: ${expected ? 'room' : 'full'}`, () =>
        assert.equal(hasCapacity(active, max), expected));
    }
  });

  describe('times', () => {
    it('periodic redeploy is periodicRedeployHours after the launch', () => {
      assert.deepEqual(periodicRedeployAt(NOW, { periodicRedeployHours: 12 }), at(12 * HOUR));
    });
    it('a running Job of the same commit holds a launch one rate-limit interval', () => {
      assert.deepEqual(sameCommitJobWaitUntil(NOW, { minMinutesBetweenDeployments: 20 }), at(20 * MINUTE));
    });
    const ages: Array<[string, number, boolean]> = [
      ['3 h 1 ms old is older than 3 h', -(3 * HOUR + 1), true],
      ['exactly 3 h old is not older than 3 h (strict)', -3 * HOUR, false],
      ['2 h old is not', -2 * HOUR, false],
      ['in the future (clock skew) is not', HOUR, false],
    ];
    for (const [name, offset, expected] of ages) {
      it(name, () => assert.equal(isOlderThan(at(offset), 3, NOW), expected));
    }
  });
});

describe('policy: retries and teardowns', () => {
  const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
  const launch = (
    instance: string,
    commit: string,
    status: DeploymentStatus,
    ageHours: number,
    fields: object = {},
  ) => ({
    instance,
    commit,
    status,
    createdAt: at(-ageHours * HOUR),
    readyAt: status === 'ready' ? at(-ageHours * HOUR) : null,
    error: null,
    ...fields,
  });

  describe('isFailedLaunch', () => {
    const cases: Array<[string, Parameters<typeof isFailedLaunch>[0], boolean]> = [
      ['failed', { status: 'failed', readyAt: null, error: 'x' }, true],
      ['lost', { status: 'lost', readyAt: NOW, error: null }, true],
      ['unhealthy', { status: 'unhealthy', readyAt: NOW, error: 'probe' }, true],
      ['teardown-failed', { status: 'teardown-failed', readyAt: null, error: 'x' }, true],
      ['ready', { status: 'ready', readyAt: NOW, error: null }, false],
      ['verifying', { status: 'verifying', readyAt: null, error: null }, false],
      ['deleted after serving', { status: 'deleted', readyAt: NOW, error: null }, false],
      ['deleted without ever serving', { status: 'deleted', readyAt: null, error: null }, true],
      ['deleting after an error', { status: 'deleting', readyAt: NOW, error: 'probe failed' }, true],
    ];
    for (const [name, d, expected] of cases) {
      it(`${name}: ${expected}`, () => assert.equal(isFailedLaunch(d), expected));
    }
  });

  describe('consecutiveFailures', () => {
    const cases: Array<[string, ReturnType<typeof launch>[], number]> = [
      ['none', [], 0],
      ['a success last', [launch('a', 'h', 'failed', 3), launch('b', 'h', 'ready', 1)], 0],
      [
        'two failures in a row',
        [launch('a', 'h', 'ready', 5), launch('b', 'h', 'failed', 3), launch('c', 'h', 'lost', 1)],
        2,
      ],
      [
        'another commit stops the count',
        [launch('a', 'h', 'failed', 5), launch('b', 'old', 'failed', 3), launch('c', 'h', 'failed', 1)],
        1,
      ],
    ];
    for (const [name, deployments, expected] of cases) {
      it(`${name}: ${expected}`, () => assert.equal(consecutiveFailures(deployments, 'h'), expected));
    }
  });

  describe('backoffs', () => {
    const policy = { retryBackoffMinutes: 20 };
    const cases: Array<[number, number]> = [
      [1, 20],
      [2, 40],
      [3, 80],
    ];
    for (const [attempts, minutes] of cases) {
      it(`after failure ${attempts}: ${minutes} min`, () => {
        assert.deepEqual(retryAt(NOW, attempts, policy), at(minutes * MINUTE));
        assert.deepEqual(nextTeardownAt(NOW, attempts, policy), at(minutes * MINUTE));
      });
    }
  });

  it('a deploy Job may run deployTimeoutMinutes', () => {
    assert.equal(deployDeadlineSeconds({ deployTimeoutMinutes: 120 }), 7200);
  });
});

describe('afterFailedTeardown', () => {
  const policy = { maxTeardownAttempts: 3, retryBackoffMinutes: 20 };
  it('before the last attempt: failed, collected again after the backoff', () => {
    assert.deepEqual(afterFailedTeardown({ teardownAttempts: 2 }, 'quota', policy, NOW), {
      launchLeaseExpiresAt: null,
      updatedAt: NOW,
      status: 'failed',
      nextTeardownAt: new Date(NOW.getTime() + 40 * MINUTE),
      error: 'teardown attempt 2 of 3 failed: quota',
    });
  });
  it('after the last attempt: teardown-failed, no further attempt', () => {
    const patch = afterFailedTeardown({ teardownAttempts: 3 }, 'quota', policy, NOW);
    assert.equal(patch.status, 'teardown-failed');
    assert.equal(patch.nextTeardownAt, null);
  });
  it('a record from before attempts were counted counts as its first', () => {
    assert.equal(
      afterFailedTeardown({}, 'quota', policy, NOW).error,
      'teardown attempt 1 of 3 failed: quota',
    );
  });
});

describe('policy: adopted clusters are not launches', () => {
  it('neither the newest launch nor the rate limit counts an adopted cluster', () => {
    const adopted = { instance: 'kf-z', createdAt: NOW, origin: 'adopted' as const };
    const launched = {
      instance: 'kf-a',
      createdAt: new Date(NOW.getTime() - HOUR),
      origin: 'launch' as const,
    };
    assert.equal(newestLaunch([launched, adopted])?.instance, 'kf-a');
    assert.equal(rateLimitOpensAt([adopted], { minMinutesBetweenDeployments: 20 }), null);
  });
});

import assert from 'node:assert/strict';
import {
  countActive,
  hasCapacity,
  isActive,
  isOlderThan,
  isRateLimited,
  newestLaunch,
  periodicRedeployAt,
  rateLimitOpensAt,
  sameCommitJobWaitUntil,
} from '../../functions/core/policy.js';
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
    const statuses: Array<[DeploymentStatus, boolean]> = [
      ['launching', true],
      ['deploying', true],
      ['ready', true],
      ['failed', false],
      ['lost', false],
      ['deleting', false],
      ['deleted', false],
    ];
    for (const [status, expected] of statuses) {
      it(`${status} ${expected ? 'counts' : 'does not count'}`, () =>
        assert.equal(isActive({ status }), expected));
    }
    it('counts the active ones', () => {
      assert.equal(countActive(statuses.map(([status]) => ({ status }))), 3);
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

import assert from 'node:assert/strict';
import { describeDecision, formatAge, formatUtcTime, shownDecision } from '../../functions/core/describe.js';
import type { VersionDecision } from '../../functions/core/types.js';

const NOW = new Date('2026-11-29T13:40:00Z');
const SHA = 'abc1234def567890abc1234def567890abc12345';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('describe', () => {
  describe('describeDecision', () => {
    const cases: Array<{ decision: VersionDecision; expected: string }> = [
      {
        decision: {
          kind: 'wait',
          version: 'm',
          reason: 'rate-limited',
          until: new Date('2026-11-29T14:05:00Z'),
        },
        expected: 'rate-limited until 14:05 UTC',
      },
      {
        decision: {
          kind: 'wait',
          version: 'm',
          reason: 'rate-limited',
          until: new Date('2026-11-30T02:05:00Z'),
        },
        expected: 'rate-limited until Nov 30 02:05 UTC',
      },
      { decision: { kind: 'wait', version: 'm', reason: 'rate-limited' }, expected: 'rate-limited' },
      {
        decision: { kind: 'wait', version: 'm', reason: 'at-capacity', active: 10 },
        expected: 'at capacity: 10 active',
      },
      { decision: { kind: 'wait', version: 'm', reason: 'at-capacity' }, expected: 'at capacity' },
      {
        decision: {
          kind: 'wait',
          version: 'm',
          reason: 'not-queued',
          commit: SHA,
          error: 'enqueue failed: UNAVAILABLE',
        },
        expected: 'abc1234 not queued (enqueue failed: UNAVAILABLE); the next tick tries again',
      },
      {
        decision: { kind: 'wait', version: 'm', reason: 'up-to-date', commit: SHA },
        expected: 'up to date with abc1234',
      },
      { decision: { kind: 'wait', version: 'm', reason: 'up-to-date' }, expected: 'up to date' },
      {
        decision: { kind: 'wait', version: 'm', reason: 'in-progress', commit: SHA },
        expected: 'deploying abc1234',
      },
      { decision: { kind: 'wait', version: 'm', reason: 'paused' }, expected: 'paused' },
      { decision: { kind: 'wait', version: 'm', reason: 'no-commit' }, expected: 'no commit recorded yet' },
      {
        decision: { kind: 'deploy', version: 'm', commit: SHA, reason: 'new-commit', notBefore: NOW },
        expected: 'deploy abc1234 queued (new commit)',
      },
      {
        decision: {
          kind: 'deploy',
          version: 'm',
          commit: SHA,
          reason: 'new-commit',
          notBefore: NOW,
          launched: true,
        },
        expected: 'deploy abc1234 launched (new commit)',
      },
      {
        decision: {
          kind: 'deploy',
          version: 'm',
          commit: SHA,
          reason: 'periodic',
          notBefore: new Date(NOW.getTime() - MINUTE),
        },
        expected: 'deploy abc1234 queued (periodic redeploy)',
      },
      {
        decision: { kind: 'deploy', version: 'm', commit: SHA, reason: 'manual', notBefore: NOW },
        expected: 'deploy abc1234 queued (manual redeploy)',
      },
      {
        decision: {
          kind: 'deploy',
          version: 'm',
          commit: SHA,
          reason: 'new-commit',
          notBefore: new Date('2026-11-29T14:05:00Z'),
        },
        expected: 'deploy abc1234 at 14:05 UTC (rate-limited until then)',
      },
    ];
    for (const c of cases) {
      it(`says "${c.expected}"`, () => {
        assert.equal(describeDecision(c.decision, NOW), c.expected);
      });
    }
  });

  describe('formatAge', () => {
    const cases: Array<{ ms: number; expected: string }> = [
      { ms: 0, expected: '0m' },
      { ms: 59_999, expected: '0m' },
      { ms: 12 * MINUTE, expected: '12m' },
      { ms: 59 * MINUTE + 59_999, expected: '59m' },
      { ms: HOUR, expected: '1h 00m' },
      { ms: 3 * HOUR + 5 * MINUTE, expected: '3h 05m' },
      { ms: 23 * HOUR + 59 * MINUTE, expected: '23h 59m' },
      { ms: DAY, expected: '1d 0h' },
      { ms: 2 * DAY + 4 * HOUR + 59 * MINUTE, expected: '2d 4h' },
      { ms: -5 * MINUTE, expected: '0m' },
      { ms: Number.NaN, expected: '0m' },
    ];
    for (const c of cases) {
      it(`formats ${c.ms} ms as ${c.expected}`, () => {
        assert.equal(formatAge(c.ms), c.expected);
      });
    }
  });

  it('formatUtcTime names the day only when it is not today (UTC)', () => {
    assert.equal(formatUtcTime(new Date('2026-11-29T23:59:00Z'), NOW), '23:59 UTC');
    assert.equal(formatUtcTime(new Date('2026-12-01T00:00:00Z'), NOW), 'Dec 1 00:00 UTC');
  });
});

describe('shownDecision', () => {
  const now = new Date('2026-11-29T14:00:00Z');
  const deploy = (notBefore: string) => ({
    kind: 'deploy' as const,
    version: 'master',
    commit: 'a'.repeat(40),
    reason: 'new-commit' as const,
    notBefore: new Date(notBefore),
  });

  it('shows a deploy queued for later as rate-limited until then', () => {
    assert.deepEqual(shownDecision(deploy('2026-11-29T14:05:00Z'), now), {
      kind: 'wait',
      version: 'master',
      reason: 'rate-limited',
      until: new Date('2026-11-29T14:05:00Z'),
      commit: 'a'.repeat(40),
    });
  });

  it('leaves a deploy due now, and every wait, as they are', () => {
    const due = deploy('2026-11-29T14:00:00Z');
    assert.equal(shownDecision(due, now), due);
    const wait = { kind: 'wait' as const, version: 'master', reason: 'paused' as const };
    assert.equal(shownDecision(wait, now), wait);
  });
});

/** computeBackoffMs and hasExhaustedRetries: the Cloud Tasks retry rules the emulator applies. */
import assert from 'node:assert/strict';
import { hasExhaustedRetries } from '../../scripts/tasks-emulator/backoff.js';
import { computeBackoffMs, type RetrySettings } from '../../scripts/tasks-emulator/server.js';

function retry(minBackoffMs: number, maxBackoffMs: number, maxDoublings: number): RetrySettings {
  return { maxAttempts: 100, maxRetryDurationMs: 0, minBackoffMs, maxBackoffMs, maxDoublings };
}

describe('computeBackoffMs', () => {
  const cases: Array<{ name: string; settings: RetrySettings; delaysMs: number[] }> = [
    {
      // The example of the RetryConfig.max_doublings documentation: 10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s.
      name: 'documented example: 10 s min, 300 s max, 3 doublings',
      settings: retry(10_000, 300_000, 3),
      delaysMs: [10_000, 20_000, 40_000, 80_000, 160_000, 240_000, 300_000, 300_000],
    },
    {
      name: 'no doubling: grows linearly by min_backoff',
      settings: retry(100, 1_000, 0),
      delaysMs: [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000, 1_000],
    },
    {
      name: 'one doubling, then steps of 2 x min_backoff',
      settings: retry(100, 10_000, 1),
      delaysMs: [100, 200, 400, 600, 800],
    },
    {
      name: 'queue defaults: 100 ms doubling 16 times, capped at 1 hour',
      settings: retry(100, 3_600_000, 16),
      delaysMs: [100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 102_400, 204_800, 409_600],
    },
    {
      name: 'max_backoff reached while still doubling',
      settings: retry(1_000, 5_000, 10),
      delaysMs: [1_000, 2_000, 4_000, 5_000, 5_000],
    },
    {
      name: 'min_backoff equal to max_backoff: constant',
      settings: retry(250, 250, 16),
      delaysMs: [250, 250, 250, 250],
    },
  ];

  for (const { name, settings, delaysMs } of cases) {
    it(name, () => {
      const computed = delaysMs.map((_, index) => computeBackoffMs(settings, index + 1));
      assert.deepEqual(computed, delaysMs);
    });
  }

  it('treats zero failed attempts like the first failure', () => {
    assert.equal(computeBackoffMs(retry(100, 1_000, 3), 0), 100);
  });

  it('never exceeds max_backoff, even after very many failures', () => {
    assert.equal(computeBackoffMs(retry(100, 3_600_000, 16), 10_000), 3_600_000);
    assert.equal(computeBackoffMs(retry(100, 3_600_000, 2_000), 3_000), 3_600_000);
  });
});

describe('hasExhaustedRetries', () => {
  const NOW_MS = 1_000_000;
  const limits = (maxAttempts: number, maxRetryDurationMs: number): RetrySettings => ({
    ...retry(100, 1_000, 3),
    maxAttempts,
    maxRetryDurationMs,
  });
  const cases: Array<{
    name: string;
    settings: RetrySettings;
    attempts: number;
    sinceFirstMs: number;
    expected: boolean;
  }> = [
    { name: 'attempts left', settings: limits(3, 0), attempts: 2, sinceFirstMs: 0, expected: false },
    { name: 'max_attempts reached', settings: limits(3, 0), attempts: 3, sinceFirstMs: 0, expected: true },
    {
      name: 'unlimited attempts, no duration limit',
      settings: limits(-1, 0),
      attempts: 10_000,
      sinceFirstMs: 1e9,
      expected: false,
    },
    {
      name: 'unlimited attempts, duration passed',
      settings: limits(-1, 60_000),
      attempts: 2,
      sinceFirstMs: 60_000,
      expected: true,
    },
    {
      name: 'unlimited attempts, duration not passed',
      settings: limits(-1, 60_000),
      attempts: 50,
      sinceFirstMs: 59_999,
      expected: false,
    },
    // Both limits set: Cloud Tasks stops only once BOTH are reached.
    {
      name: 'both set, only attempts reached',
      settings: limits(3, 60_000),
      attempts: 3,
      sinceFirstMs: 1_000,
      expected: false,
    },
    {
      name: 'both set, only duration passed',
      settings: limits(3, 60_000),
      attempts: 2,
      sinceFirstMs: 61_000,
      expected: false,
    },
    {
      name: 'both set, both reached',
      settings: limits(3, 60_000),
      attempts: 3,
      sinceFirstMs: 60_000,
      expected: true,
    },
  ];
  for (const { name, settings, attempts, sinceFirstMs, expected } of cases) {
    it(name, () => {
      const task = { dispatchCount: attempts, firstDispatchMs: NOW_MS - sinceFirstMs };
      assert.equal(hasExhaustedRetries(settings, task, NOW_MS), expected);
    });
  }
});

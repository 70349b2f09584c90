import assert from 'node:assert/strict';
import {
  decidePendingPlan,
  PENDING_PLAN_STALE_MS,
  type PendingPlanDecision,
  type PendingPlanMark,
} from '../../functions/core/pending-plans.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const at = (offsetMs: number): PendingPlanMark => ({ markedAt: new Date(NOW.getTime() + offsetMs) });

describe('decidePendingPlan (coalescing plan tasks per version)', () => {
  const cases: { name: string; mark: PendingPlanMark | null; expected: PendingPlanDecision }[] = [
    { name: 'no mark: queue a task', mark: null, expected: { kind: 'enqueue', reason: 'none-pending' } },
    { name: 'a mark set now: covered', mark: at(0), expected: { kind: 'covered', markedAt: at(0).markedAt } },
    {
      name: 'a mark set a few seconds ago: covered',
      mark: at(-5_000),
      expected: { kind: 'covered', markedAt: at(-5_000).markedAt },
    },
    {
      name: 'a mark exactly at the bound: still covered',
      mark: at(-PENDING_PLAN_STALE_MS),
      expected: { kind: 'covered', markedAt: at(-PENDING_PLAN_STALE_MS).markedAt },
    },
    {
      name: 'a mark past the bound: stale, queue a task',
      mark: at(-PENDING_PLAN_STALE_MS - 1),
      expected: { kind: 'enqueue', reason: 'pending-stale' },
    },
    {
      name: 'a mark slightly in the future (another instance, clock skew): covered',
      mark: at(2_000),
      expected: { kind: 'covered', markedAt: at(2_000).markedAt },
    },
    {
      name: 'a mark an hour in the future (the clock jumped back): stale',
      mark: at(3_600_000),
      expected: { kind: 'enqueue', reason: 'pending-stale' },
    },
  ];
  for (const { name, mark, expected } of cases) {
    it(name, () => {
      assert.deepEqual(decidePendingPlan(mark, NOW), expected);
    });
  }

  it('the bound is a parameter', () => {
    assert.deepEqual(decidePendingPlan(at(-2_000), NOW, 1_000), { kind: 'enqueue', reason: 'pending-stale' });
  });
});

import assert from 'node:assert/strict';
import { advanceHeadForBatch, chainOrder } from '../../functions/core/intake.js';
import type { BranchHead, PushEvent } from '../../functions/core/types.js';
import { chainHead, chainLink, chainSha } from '../support/push-chain.js';

const NOW = new Date('2026-11-30T10:00:05.000Z');
const sha = chainSha;
const link = chainLink;
const head = chainHead;
const X = sha(0);

const ids = (pushes: PushEvent[]) => pushes.map((push) => push.deliveryId.replace('delivery-', ''));

/** The head a batch ends on, and each push's outcome by number. */
function apply(current: BranchHead | null, pushes: PushEvent[]) {
  const applied = advanceHeadForBatch(
    current,
    pushes.map((push) => ({ push, now: NOW })),
    'master',
  );
  const moved = applied.filter((entry) => entry.decision.isMoved).at(-1);
  return {
    head: moved ? moved.decision.head.sha : (current?.sha ?? null),
    order: ids(applied.map((entry) => entry.item.push)),
    outcomes: Object.fromEntries(
      applied.map((entry) => [entry.item.push.deliveryId, entry.decision.outcome]),
    ),
  };
}

describe('chainOrder: pushes of one branch recorded together, in the order of their chain', () => {
  const cases: Array<{ name: string; arrived: number[]; start?: number; expected: string[] }> = [
    { name: 'in order stays in order', arrived: [1, 2, 3], expected: ['1', '2', '3'] },
    { name: 'reversed becomes the chain', arrived: [3, 2, 1], expected: ['1', '2', '3'] },
    { name: 'shuffled becomes the chain', arrived: [2, 4, 1, 3], expected: ['1', '2', '3', '4'] },
    {
      name: 'a gap keeps arrival order between the pieces',
      arrived: [5, 4, 2, 1],
      expected: ['4', '5', '1', '2'],
    },
    {
      name: 'the piece that starts from the head comes first',
      arrived: [5, 4, 2, 1],
      start: 0,
      expected: ['1', '2', '4', '5'],
    },
    { name: 'a push from the head needs nothing before it', arrived: [2, 1], start: 1, expected: ['2', '1'] },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const start = testCase.start === undefined ? null : sha(testCase.start);
      assert.deepEqual(
        ids(
          chainOrder(
            testCase.arrived.map((n) => link(n)),
            start,
          ),
        ),
        testCase.expected,
      );
    });
  }

  it('cuts a cycle (a push and its revert) instead of looping', () => {
    const there = link(1);
    const back = link(2, { before: sha(1), after: X });
    assert.equal(chainOrder([there, back]).length, 2);
    // Starting from X (the recorded head), the push comes before its revert.
    assert.deepEqual(ids(chainOrder([back, there], X)), ['1', '2']);
  });
});

describe('advanceHeadForBatch: the head a batch of same-second pushes ends on', () => {
  it('a chain that arrived shuffled ends on its last commit, every push advancing', () => {
    const result = apply(head(0), [link(3), link(1), link(4), link(2)]);
    assert.equal(result.head, sha(4));
    assert.deepEqual(result.order, ['1', '2', '3', '4']);
    assert.ok(Object.values(result.outcomes).every((outcome) => outcome === 'advanced'));
  });

  it('older pushes arriving after a newer one was recorded leave the head on the newer one', () => {
    // Push 4 was recorded first (from 3, a commit the head never had); 1-3 arrive together afterwards.
    const recorded = head(4, [3, 0]);
    const result = apply(recorded, [link(2), link(3), link(1)]);
    assert.equal(result.head, sha(4));
    assert.deepEqual(result.outcomes, {
      'delivery-1': 'stale',
      'delivery-2': 'stale',
      'delivery-3': 'stale',
    });
  });

  it('without its successor in the batch, a same-second push older than the head is taken as newer (left to the poll)', () => {
    // The limit of what a payload can tell: 2 ties with the head 4 and nothing links it to 3 or 4.
    const result = apply(head(4, [3, 0]), [link(2)]);
    assert.equal(result.head, sha(2));
    assert.equal(result.outcomes['delivery-2'], 'advanced-out-of-order');
  });

  it('with a gap in the chain, the piece from the head is applied first and the head ends on the newest', () => {
    const result = apply(head(0), [link(5), link(4), link(2), link(1)]);
    assert.deepEqual(result.order, ['1', '2', '4', '5']);
    assert.equal(result.head, sha(5));
  });

  it('a forced push is never made stale by the batch', () => {
    const recorded = head(4, [3, 0]);
    const forced = link(2, { forced: true });
    const result = apply(recorded, [forced, link(3)]);
    assert.equal(result.outcomes['delivery-2'], 'advanced-out-of-order');
  });

  it('a push and its revert from the head end where they started', () => {
    const there = link(1);
    const back = link(2, { before: sha(1), after: X });
    const result = apply(head(0), [back, there]);
    assert.equal(result.head, X);
    assert.deepEqual(result.order, ['1', '2']);
  });

  it('with nothing recorded, the first push of the chain creates the head and the rest advance it', () => {
    const result = apply(null, [link(2), link(1)]);
    assert.equal(result.head, sha(2));
    assert.deepEqual(result.outcomes, { 'delivery-1': 'created', 'delivery-2': 'advanced' });
  });
});

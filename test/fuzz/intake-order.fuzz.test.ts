/**
 * The order a branch's head moves in when its pushes arrive shuffled and are recorded in batches
 * (core/intake.ts `advanceHeadForBatch`): properties over random chains, orders and batch splits.
 * All pushes of a chain tie on `pushed_at` (one second), the case the payload alone cannot order.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { advanceHeadForBatch } from '../../functions/core/intake.js';
import type { BranchHead, PushEvent } from '../../functions/core/types.js';
import { CHAIN_SECOND, chainHead, chainLink, chainSha } from '../support/push-chain.js';

const SECOND = CHAIN_SECOND;
const sha = chainSha;
const link = (n: number) => chainLink(n);
const start = chainHead(0);

/** Applies the batches one after the other, as the store does; the head after each. */
function run(batches: PushEvent[][]): BranchHead[] {
  let head = start;
  const heads: BranchHead[] = [];
  for (const batch of batches) {
    const applied = advanceHeadForBatch(
      head,
      batch.map((push) => ({ push, now: SECOND })),
      'master',
    );
    const moved = applied.filter((entry) => entry.decision.isMoved).at(-1);
    if (moved) head = moved.decision.head;
    heads.push(head);
  }
  return heads;
}

/** The pushes 1..length of a chain in a random order, cut into consecutive batches at random. */
const shuffledInBatches = fc
  .integer({ min: 1, max: 30 })
  .chain((length) =>
    fc.tuple(
      fc.shuffledSubarray(
        Array.from({ length }, (_, i) => i + 1),
        { minLength: length, maxLength: length },
      ),
      fc.array(fc.integer({ min: 1, max: length }), { maxLength: 6 }),
      fc.constant(length),
    ),
  )
  .map(([order, cuts, length]) => {
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    const batches: PushEvent[][] = [];
    let from = 0;
    for (const cut of [...points, length]) {
      if (cut > from) batches.push(order.slice(from, cut).map(link));
      from = Math.max(from, cut);
    }
    return { batches, length };
  });

describe('intake order (fuzz): pushes of one second, shuffled, recorded in batches', () => {
  it('a chain recorded in one batch, in any order, ends on its last commit', () => {
    fc.assert(
      fc.property(shuffledInBatches, ({ batches, length }) => {
        const [head] = run([batches.flat()]);
        assert.equal(head?.sha, sha(length));
      }),
    );
  });

  it('batches arriving in chain order (each shuffled inside) end on the last commit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
        (length, cuts, randomness) => {
          const points = [...new Set(cuts.filter((cut) => cut < length))].sort((a, b) => a - b);
          const batches: PushEvent[][] = [];
          let from = 0;
          for (const cut of [...points, length]) {
            const pushes = Array.from({ length: cut - from }, (_, i) => link(from + i + 1));
            // A deterministic shuffle of the batch from the stream.
            const keyed = pushes.map((push) => ({ push, key: randomness.next().value as number }));
            batches.push(keyed.sort((a, b) => a.key - b.key).map((entry) => entry.push));
            from = cut;
          }
          assert.equal(run(batches).at(-1)?.sha, sha(length));
        },
      ),
    );
  });

  it('whatever the order and batches, the head is always a commit of the chain, and never the start again', () => {
    // Which of two disconnected pieces of a chain is newer no payload of one second can tell (the
    // README's Intake; the poll corrects it): so this asks only what always holds.
    fc.assert(
      fc.property(shuffledInBatches, ({ batches, length }) => {
        const heads = run(batches);
        const chain = new Set(Array.from({ length }, (_, i) => sha(i + 1)));
        for (const head of heads)
          assert.ok(chain.has(head.sha), `${head.sha} is not a pushed commit of the chain`);
      }),
    );
  });
});

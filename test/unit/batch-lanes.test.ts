import assert from 'node:assert/strict';
import { BatchLanes, type Settled } from '../../functions/adapters/firestore/batch-lanes.js';

/** A promise the test settles by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const done = <R>(value: R): Settled<R> => ({ ok: true, value });

describe('BatchLanes', () => {
  it('runs the first item alone, and the items that arrived meanwhile together, in arrival order', async () => {
    const first = gate();
    const batches: string[][] = [];
    const lanes = new BatchLanes<string, string>({
      fits: () => true,
      run: async (_key, items) => {
        batches.push(items);
        if (items[0] === 'a') await first.promise;
        return items.map((item) => done(`${item} recorded`));
      },
    });
    const answers = ['a', 'b', 'c', 'd'].map((item) => lanes.submit('branch', item));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [['a']], 'b, c and d wait for a');
    first.open();
    assert.deepEqual(await Promise.all(answers), ['a recorded', 'b recorded', 'c recorded', 'd recorded']);
    assert.deepEqual(batches, [['a'], ['b', 'c', 'd']]);
    assert.equal(lanes.busyKeys, 0);
  });

  it('stops a batch where the next item does not fit; that one starts the next batch', async () => {
    const first = gate();
    const batches: number[][] = [];
    const lanes = new BatchLanes<number, number>({
      // At most 5 in total per batch.
      fits: (batch, next) => batch.reduce((sum, n) => sum + n, 0) + next <= 5,
      run: async (_key, items) => {
        batches.push(items);
        if (batches.length === 1) await first.promise;
        return items.map(done);
      },
    });
    const answers = [9, 2, 3, 4, 1].map((n) => lanes.submit('branch', n));
    await new Promise((resolve) => setImmediate(resolve));
    first.open();
    await Promise.all(answers);
    assert.deepEqual(batches, [[9], [2, 3], [4, 1]]);
  });

  it('runs different keys at the same time', async () => {
    const held = gate();
    const lanes = new BatchLanes<string, string>({
      fits: () => true,
      run: async (key, items) => {
        if (key === 'one') await held.promise;
        return items.map(done);
      },
    });
    const one = lanes.submit('one', 'x');
    assert.equal(await lanes.submit('two', 'y'), 'y', 'two ran while one waits');
    held.open();
    assert.equal(await one, 'x');
  });

  it("settles each item as its batch says; a batch that throws rejects its items only, and the key's next batch runs", async () => {
    const first = gate();
    let calls = 0;
    const lanes = new BatchLanes<string, string>({
      fits: () => true,
      onStart: () => {
        calls += 1;
      },
      run: async (_key, items) => {
        if (items[0] === 'boom') {
          await first.promise;
          throw new Error('ABORTED');
        }
        return items.map((item) =>
          item === 'bad' ? { ok: false, error: new Error('bad item') } : done(item),
        );
      },
    });
    const boom = lanes.submit('branch', 'boom');
    const good = lanes.submit('branch', 'good');
    const bad = lanes.submit('branch', 'bad');
    first.open();
    await assert.rejects(boom, /ABORTED/);
    assert.equal(await good, 'good');
    await assert.rejects(bad, /bad item/);
    assert.equal(calls, 2, 'onStart once per batch');
    assert.equal(lanes.busyKeys, 0);
  });
});

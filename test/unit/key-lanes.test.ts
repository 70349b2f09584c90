import assert from 'node:assert/strict';
import { KeyLanes } from '../../functions/adapters/firestore/key-lanes.js';

/** A promise the test settles by hand. */
function gate(): { promise: Promise<void>; open: () => void; fail: (err: Error) => void } {
  let open = () => {};
  let fail: (err: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('KeyLanes', () => {
  it('runs the work of one key one at a time, in arrival order', async () => {
    const lanes = new KeyLanes();
    const events: string[] = [];
    const first = gate();
    const a = lanes.run('branch', async () => {
      events.push('a starts');
      await first.promise;
      events.push('a ends');
    });
    const b = lanes.run('branch', async () => {
      events.push('b starts');
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['a starts'], 'b waits for a');
    first.open();
    await Promise.all([a, b]);
    assert.deepEqual(events, ['a starts', 'a ends', 'b starts']);
    assert.equal(lanes.busyKeys, 0);
  });

  it('runs different keys at the same time', async () => {
    const lanes = new KeyLanes();
    const held = gate();
    const events: string[] = [];
    const a = lanes.run('one', async () => {
      await held.promise;
    });
    await lanes.run('two', async () => {
      events.push('two ran while one waits');
    });
    assert.deepEqual(events, ['two ran while one waits']);
    held.open();
    await a;
  });

  it('a failed work rejects its caller only; the next work of the key runs', async () => {
    const lanes = new KeyLanes();
    const failing = gate();
    const a = lanes.run('branch', () => failing.promise);
    const b = lanes.run('branch', async () => 'b ran');
    failing.fail(new Error('ABORTED'));
    await assert.rejects(a, /ABORTED/);
    assert.equal(await b, 'b ran');
  });
});

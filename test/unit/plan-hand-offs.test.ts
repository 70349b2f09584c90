import assert from 'node:assert/strict';
import { PlanHandOffs } from '../../functions/adapters/firestore/plan-hand-offs.js';

describe('PlanHandOffs (which push of a branch hands the planning over)', () => {
  it('a push alone in its lane hands over the head it moved', () => {
    const handOffs = new PlanHandOffs();
    handOffs.enqueued('b');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', 'h1'), 'h1');
  });

  it('a push that moved nothing, alone, hands over nothing', () => {
    const handOffs = new PlanHandOffs();
    handOffs.enqueued('b');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', null), null);
  });

  it('of a run of three, only the last hands over, the newest head the run moved', () => {
    const handOffs = new PlanHandOffs();
    handOffs.enqueued('b');
    handOffs.enqueued('b');
    handOffs.enqueued('b');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', 'h1'), null, 'two wait behind it');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', 'h2'), null, 'one waits behind it');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', null), 'h2', 'a late push last: it hands over what the run moved');
    handOffs.enqueued('b');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', null), null, 'handed over once, not again');
  });

  it('a failed last push (null) still hands over what the run left to it', () => {
    const handOffs = new PlanHandOffs();
    handOffs.enqueued('b');
    handOffs.enqueued('b');
    handOffs.started('b');
    assert.equal(handOffs.finished('b', 'h1'), null);
    handOffs.started('b');
    assert.equal(handOffs.finished('b', null), 'h1');
  });

  it('keeps branches apart', () => {
    const handOffs = new PlanHandOffs();
    handOffs.enqueued('a');
    handOffs.enqueued('a');
    handOffs.enqueued('b');
    handOffs.started('a');
    assert.equal(handOffs.finished('a', 'a1'), null);
    handOffs.started('b');
    assert.equal(handOffs.finished('b', 'b1'), 'b1');
    handOffs.started('a');
    assert.equal(handOffs.finished('a', 'a2'), 'a2');
  });
});

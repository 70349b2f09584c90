import assert from 'node:assert/strict';
import {
  addHours,
  addMinutes,
  addSeconds,
  laterOf,
  pad2,
  parseTimestamp,
} from '../../functions/core/time.js';

const T = new Date('2026-11-29T14:00:00Z');

describe('time', () => {
  it('adds minutes, hours and seconds', () => {
    assert.equal(addMinutes(T, 90).toISOString(), '2026-11-29T15:30:00.000Z');
    assert.equal(addHours(T, -1.5).toISOString(), '2026-11-29T12:30:00.000Z');
    assert.equal(addSeconds(T, 600).toISOString(), '2026-11-29T14:10:00.000Z');
  });

  it('laterOf picks the later date, the first on a tie', () => {
    const earlier = new Date(T.getTime() - 1);
    assert.equal(laterOf(earlier, T), T);
    assert.equal(laterOf(T, earlier), T);
    const same = new Date(T);
    assert.equal(laterOf(T, same), T);
  });

  it('pad2 pads to two digits', () => {
    assert.deepEqual([0, 5, 12].map(pad2), ['00', '05', '12']);
  });

  describe('parseTimestamp', () => {
    const cases: Array<[string, string | number | null | undefined, string | null]> = [
      ['an ISO string', '2026-11-29T14:00:00Z', '2026-11-29T14:00:00.000Z'],
      ['an offset', '2026-11-29T15:00:00+01:00', '2026-11-29T14:00:00.000Z'],
      ['epoch seconds (GitHub pushed_at)', 1_764_424_800, '2025-11-29T14:00:00.000Z'],
      ['null', null, null],
      ['undefined', undefined, null],
      ['empty', '', null],
      ['garbage', 'yesterday-ish', null],
    ];
    for (const [name, input, expected] of cases) {
      it(name, () => assert.equal(parseTimestamp(input)?.toISOString() ?? null, expected));
    }
  });
});

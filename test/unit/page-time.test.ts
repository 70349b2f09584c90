/** The one way both pages show a time: UTC and relative (core/time.ts, core/html.ts `whenHtml`). */
import assert from 'node:assert/strict';
import { whenHtml, whenText } from '../../functions/core/html.js';
import { formatRelative, formatUtcDateTime, spanWords } from '../../functions/core/time.js';

const NOW = new Date('2026-11-30T14:05:30Z');
const MINUTE = 60_000;

function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * MINUTE);
}

describe('page times', () => {
  describe('formatRelative', () => {
    const cases: Array<[number, string]> = [
      [0, 'just now'],
      [0.9, 'just now'],
      [1, '1 min ago'],
      [12.7, '12 min ago'],
      [60, '1 h ago'],
      [185, '3 h 5 min ago'],
      [24 * 60, '1 d ago'],
      [52 * 60 + 59, '2 d 4 h ago'],
      [-0.5, 'in under a minute'],
      [-20, 'in 20 min'],
      [-125, 'in 2 h 5 min'],
    ];
    for (const [minutes, expected] of cases) {
      it(`${minutes} min before now: ${expected}`, () =>
        assert.equal(formatRelative(minutesAgo(minutes), NOW), expected));
    }
  });

  describe('spanWords', () => {
    const cases: Array<[number, string]> = [
      [0, '0 min'],
      [-3, '0 min'],
      [59.9, '59 min'],
      [90, '1 h 30 min'],
      [120, '2 h'],
      [25 * 60, '1 d 1 h'],
    ];
    for (const [minutes, expected] of cases) {
      it(`${minutes} min: ${expected}`, () => assert.equal(spanWords(minutes), expected));
    }
  });

  it('formatUtcDateTime gives the full instant in UTC', () => {
    assert.equal(formatUtcDateTime(NOW), '2026-11-30 14:05:30 UTC');
  });

  describe('whenText: UTC and relative together', () => {
    const cases: Array<[string, Date, string]> = [
      ['today', minutesAgo(12), '13:53 UTC (12 min ago)'],
      ['another day: with the date', minutesAgo(16 * 60), 'Nov 29 22:05 UTC (16 h ago)'],
      ['ahead', minutesAgo(-20), '14:25 UTC (in 20 min)'],
    ];
    for (const [name, at, expected] of cases) {
      it(name, () => assert.equal(whenText(at, NOW), expected));
    }
  });

  it('whenHtml puts it in a <time> with the ISO instant and the full UTC time as tooltip', () => {
    assert.equal(
      whenHtml(minutesAgo(12), NOW).value,
      '<time datetime="2026-11-30T13:53:30.000Z" title="2026-11-30 13:53:30 UTC">13:53 UTC (12 min ago)</time>',
    );
  });
});

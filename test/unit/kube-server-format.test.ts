/**
 * Pure parts of the local kube server (scripts/kube-server): kubectl's duration format, field
 * selectors and the jobSeconds setting, table-driven.
 */
import assert from 'node:assert/strict';
import { fieldSelectorPredicate } from '../../scripts/kube-server/field-selector.js';
import { ageOf, humanDuration } from '../../scripts/kube-server/human-duration.js';
import { parseJobSeconds } from '../../scripts/kube-server/job-seconds.js';
import { StatusError } from '../../scripts/kube-server/status-error.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (kubectl AGE / DURATION columns)', () => {
  const cases: Array<[number, string]> = [
    [-5 * S, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [2 * M + 30 * S, '2m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 20 * M, '3h20m'],
    [8 * H + 20 * M, '8h'],
    [47 * H, '47h'],
    [2 * D, '2d'],
    [2 * D + 5 * H, '2d5h'],
    [8 * D + 5 * H, '8d'],
    [729 * D, '729d'],
    [2 * 365 * D, '2y'],
    [2 * 365 * D + 30 * D, '2y30d'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, expected] of cases) {
    it(`prints ${ms} ms as ${expected}`, () => {
      assert.equal(humanDuration(ms), expected);
    });
  }

  it('prints the age of a timestamp, and <unknown> without one', () => {
    const now = new Date('2026-03-01T12:05:00Z');
    assert.equal(ageOf('2026-03-01T12:00:00Z', now), '5m');
    assert.equal(ageOf(undefined, now), '<unknown>');
  });
});

describe('fieldSelectorPredicate', () => {
  const fields = { 'metadata.name': 'a,b', 'metadata.namespace': 'ns', 'status.phase': 'Running' };
  const supported = Object.keys(fields);
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['metadata.namespace=ns', true],
    ['metadata.namespace==ns', true],
    ['metadata.namespace!=ns', false],
    ['metadata.namespace=other', false],
    ['metadata.name=a\\,b', true],
    ['metadata.namespace=ns,status.phase=Running', true],
    ['metadata.namespace=ns,status.phase!=Running', false],
    ['status.phase=', false],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} ${expected ? 'selects' : 'does not select'} the object`, () => {
      assert.equal(fieldSelectorPredicate(selector, supported)(fields), expected);
    });
  }

  for (const [selector, message] of [
    ['spec.other=1', 'field label not supported: spec.other'],
    [
      'metadata.name',
      "invalid field selector: invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(selector)} with a 400`, () => {
      assert.throws(
        () => fieldSelectorPredicate(selector, supported),
        (error: unknown) => error instanceof StatusError && error.code === 400 && error.message === message,
      );
    });
  }
});

describe('parseJobSeconds (--job-seconds, LOCAL_JOB_SECONDS)', () => {
  const cases: Array<[string | undefined, number]> = [
    [undefined, 30],
    ['', 30],
    ['  ', 30],
    ['0', 0],
    ['45', 45],
    ['0.5', 0.5],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected}`, () => {
      assert.equal(parseJobSeconds(text, 'LOCAL_JOB_SECONDS', 30), expected);
    });
  }

  for (const text of ['-1', 'soon', 'Infinity']) {
    it(`refuses ${JSON.stringify(text)}, naming the setting`, () => {
      assert.throws(
        () => parseJobSeconds(text, 'LOCAL_JOB_SECONDS', 30),
        new RegExp(`^Error: LOCAL_JOB_SECONDS: must be a number of seconds .*\\(got "${text}"\\)$`),
      );
    });
  }
});

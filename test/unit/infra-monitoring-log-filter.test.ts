/**
 * The Logging query language evaluator of test/support/log-filter.ts, which the monitoring tests trust
 * to say whether a metric's filter matches a log line: the entry shape, each operator, the boolean
 * structure, and the syntax it refuses.
 */
import assert from 'node:assert/strict';
import { createLogger } from '../../functions/log.js';
import {
  extractorField,
  fieldsOf,
  fieldValue,
  type LogEntry,
  logEntryOf,
  matchesFilter,
  parseFilter,
} from '../support/log-filter.js';

function entry(severity: string, jsonPayload: Record<string, unknown>): LogEntry {
  return logEntryOf(JSON.stringify({ ...jsonPayload, severity }));
}

const CHANGED = entry('INFO', {
  message: 'deployment status changed',
  version: 'master',
  from: 'deploying',
  to: 'failed',
  requestToJobMs: 1500,
  headMoved: true,
  nested: { step: 'refresh' },
});
const FAILED_TICK = entry('ERROR', { message: 'tick finished', ok: false });

describe('log-filter: the Logging query language subset of infra/monitoring*.tf', () => {
  describe('logEntryOf', () => {
    it('lifts severity out of the line and keeps message in jsonPayload, as Cloud Logging does', () => {
      const lines: string[] = [];
      createLogger({ function: 'deployWorker' }, (line) => lines.push(line)).warn('worker asks for a retry', {
        request: 'r1',
      });
      const made = logEntryOf(lines[0] as string);
      assert.equal(made.severity, 'WARNING');
      assert.deepEqual(made.jsonPayload, {
        function: 'deployWorker',
        request: 'r1',
        message: 'worker asks for a retry',
      });
      assert.deepEqual(made.resource, {
        type: 'cloud_run_revision',
        labels: { service_name: 'deployworker' },
      });
    });

    it('refuses a line that is not a JSON object', () => {
      assert.throws(() => logEntryOf('[1, 2]'), /not a JSON object/);
      assert.throws(() => logEntryOf('plain text'));
    });
  });

  describe('matchesFilter', () => {
    const cases: Array<{ filter: string; entry: LogEntry; expected: boolean }> = [
      { filter: 'jsonPayload.message="deployment status changed"', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.message="deployment status"', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.message="Deployment Status Changed"', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.message:"STATUS changed"', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.version:*', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.deliveryId:*', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.to=failed', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.nested.step="refresh"', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.nested="refresh"', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.requestToJobMs=1500', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.requestToJobMs="1500"', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.requestToJobMs>=1500', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.requestToJobMs>1500', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.requestToJobMs<2000', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.version>=1', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.headMoved=true', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.ok=false', entry: FAILED_TICK, expected: true },
      { filter: 'jsonPayload.to!="ready"', entry: CHANGED, expected: true },
      { filter: 'severity>=ERROR', entry: FAILED_TICK, expected: true },
      { filter: 'severity>=ERROR', entry: CHANGED, expected: false },
      { filter: 'severity<ERROR', entry: CHANGED, expected: true },
      { filter: 'severity=info', entry: CHANGED, expected: true },
      { filter: 'severity>WARNING', entry: FAILED_TICK, expected: true },
      { filter: 'resource.type="cloud_run_revision"', entry: CHANGED, expected: true },
      { filter: 'resource.labels.service_name="deployworker"', entry: CHANGED, expected: true },
      {
        filter: 'jsonPayload.to="failed" AND NOT jsonPayload.from="deleting"',
        entry: CHANGED,
        expected: true,
      },
      { filter: 'jsonPayload.to="failed" AND jsonPayload.from="deleting"', entry: CHANGED, expected: false },
      { filter: 'jsonPayload.to="ready" OR jsonPayload.to="failed"', entry: CHANGED, expected: true },
      { filter: 'NOT jsonPayload.missing="x"', entry: CHANGED, expected: true },
      { filter: 'jsonPayload.missing="x"', entry: CHANGED, expected: false },
      {
        filter: '(jsonPayload.to="ready" OR jsonPayload.to="failed") AND jsonPayload.version="master"',
        entry: CHANGED,
        expected: true,
      },
      {
        // OR binds tighter than AND in the Logging query language: v1 AND (ready OR failed).
        filter: 'jsonPayload.version="v1" AND jsonPayload.to="ready" OR jsonPayload.to="failed"',
        entry: CHANGED,
        expected: false,
      },
      {
        filter: 'jsonPayload.version="master" AND jsonPayload.to="ready" OR jsonPayload.to="failed"',
        entry: CHANGED,
        expected: true,
      },
      {
        filter: 'jsonPayload.message="say \\"hi\\""',
        entry: entry('INFO', { message: 'say "hi"' }),
        expected: true,
      },
    ];
    for (const { filter, entry: subject, expected } of cases) {
      it(`${filter} -> ${expected}`, () => {
        assert.equal(matchesFilter(filter, subject), expected);
      });
    }
  });

  describe('parseFilter refuses what it does not evaluate', () => {
    const refused: Array<[string, RegExp]> = [
      ['jsonPayload.a="x" jsonPayload.b="y"', /expected AND, OR or the end/],
      ['textPayload:"x"', /expected a field/],
      ['jsonPayload="x"', /expected a field/],
      ['jsonPayload.a', /expected an operator/],
      ['jsonPayload.a=', /expected a value/],
      ['jsonPayload.a="x', /unterminated string/],
      ['(jsonPayload.a="x"', /expected \)/],
      ['jsonPayload.a=*', /\* only after :/],
      ['jsonPayload.a=~"x"', /unexpected "~"/],
    ];
    for (const [filter, error] of refused) {
      it(filter, () => {
        assert.throws(() => parseFilter(filter), error);
      });
    }
  });

  it('fieldsOf lists every field a filter names, under NOT too', () => {
    assert.deepEqual(
      fieldsOf('jsonPayload.to="failed" AND NOT jsonPayload.from="deleting" AND severity>=INFO'),
      ['jsonPayload.to', 'jsonPayload.from', 'severity'],
    );
  });

  it('extractorField reads EXTRACT(field) and refuses other forms', () => {
    assert.equal(extractorField('EXTRACT(jsonPayload.requestToJobMs)'), 'jsonPayload.requestToJobMs');
    assert.throws(() => extractorField('REGEXP_EXTRACT(jsonPayload.x, "(.*)")'), /unsupported extractor/);
    assert.throws(() => extractorField('EXTRACT(textPayload)'), /unsupported extractor/);
    assert.equal(fieldValue(CHANGED, extractorField('EXTRACT(jsonPayload.version)')), 'master');
  });
});

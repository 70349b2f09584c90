/**
 * `notQueuedDecisions`: after a pass could not queue some requests (Cloud Tasks down), the deploy
 * decisions it stored as "queued" become `not-queued` with the error (found by the fault tier,
 * test/fault/tasks-outage.fault.test.ts: the status page said "deploy abc1234 queued" with the queue down).
 */
import assert from 'node:assert/strict';
import { describeDecision } from '../../functions/core/describe.js';
import { notQueuedDecisions } from '../../functions/core/requests.js';
import type { VersionDecision } from '../../functions/core/types.js';

const NOW = new Date('2026-11-30T14:00:00Z');
const SHA = 'abc1234'.padEnd(40, '0');
const deploy = (version: string, requestId?: string): VersionDecision => ({
  kind: 'deploy',
  version,
  commit: SHA,
  reason: 'new-commit',
  notBefore: NOW,
  ...(requestId === undefined ? {} : { requestId }),
});

describe('notQueuedDecisions', () => {
  const cases: Array<{
    name: string;
    decisions: VersionDecision[];
    failures: Array<[string, string]>;
    expected: string[];
  }> = [
    {
      name: 'no failure: nothing to store again',
      decisions: [deploy('master', 'r1')],
      failures: [],
      expected: [],
    },
    {
      name: 'the deploy whose request failed says not queued, with the error',
      decisions: [deploy('master', 'r1'), deploy('v1', 'r2')],
      failures: [['r1', '14 UNAVAILABLE: connection refused']],
      expected: [
        'master: abc1234 not queued (enqueue failed: 14 UNAVAILABLE: connection refused); the next tick tries again',
      ],
    },
    {
      name: 'a wait decision, or a deploy without a request id, is left alone',
      decisions: [{ kind: 'wait', version: 'master', reason: 'in-progress', commit: SHA }, deploy('v1')],
      failures: [['r1', 'down']],
      expected: [],
    },
  ];
  for (const { name, decisions, failures, expected } of cases) {
    it(name, () => {
      const changed = notQueuedDecisions(decisions, new Map(failures));
      assert.deepEqual(
        changed.map((decision) => `${decision.version}: ${describeDecision(decision, NOW)}`),
        expected,
      );
      assert.ok(changed.every((decision) => decision.kind === 'wait' && decision.reason === 'not-queued'));
    });
  }
});

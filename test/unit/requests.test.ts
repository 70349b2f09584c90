import assert from 'node:assert/strict';
import {
  enqueuedPatch,
  enqueueFailedPatch,
  isDueForEnqueue,
  isNewDecision,
  isOpenRequest,
  isSupersededRequest,
  requestsForPlan,
  STALE_ENQUEUED_MINUTES,
} from '../../functions/core/requests.js';
import type { Deployment, DeployRequest, Plan, VersionDecision } from '../../functions/core/types.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const SHA = 'a'.repeat(40);

function request(overrides: Partial<DeployRequest>): DeployRequest {
  return {
    id: 'deploy-master-aaaaaaaaaaaa-c',
    action: 'deploy',
    version: 'master',
    commit: SHA,
    reason: 'new-commit',
    instance: null,
    notBefore: NOW,
    status: 'pending',
    enqueueCount: 0,
    taskName: null,
    createdAt: NOW,
    updatedAt: NOW,
    error: null,
    ...overrides,
  };
}

describe('requestsForPlan', () => {
  const plan: Plan = {
    versions: [
      {
        kind: 'deploy',
        version: 'master',
        commit: SHA,
        reason: 'new-commit',
        notBefore: new Date('2026-11-29T12:20:00Z'),
        requestId: 'deploy-master-aaaaaaaaaaaa-c',
      },
      { kind: 'wait', version: 'v1', reason: 'up-to-date', commit: SHA },
    ],
    collect: [
      { kind: 'collect', instance: 'kf-v1-1128-abc', version: 'v1', commit: SHA, reason: 'superseded' },
      { kind: 'collect', instance: 'kf-v1-1127-def', version: 'v1', commit: SHA, reason: 'failed' },
    ],
  };
  const deployments = [
    { instance: 'kf-v1-1128-abc', deletingAt: null },
    { instance: 'kf-v1-1127-def', deletingAt: new Date(1_700_000_000_000) },
  ] as Deployment[];

  it('makes a pending deploy request per deploy decision and a teardown request per collected instance', () => {
    const requests = requestsForPlan(plan, deployments, NOW, null);
    assert.deepEqual(
      requests.map((r) => [r.id, r.action, r.status, r.enqueueCount, r.notBefore.toISOString()]),
      [
        ['deploy-master-aaaaaaaaaaaa-c', 'deploy', 'pending', 0, '2026-11-29T12:20:00.000Z'],
        ['teardown-kf-v1-1128-abc-0', 'teardown', 'pending', 0, NOW.toISOString()],
        ['teardown-kf-v1-1127-def-1700000000000', 'teardown', 'pending', 0, NOW.toISOString()],
      ],
    );
    assert.equal(requests[1]?.instance, 'kf-v1-1128-abc');
    assert.equal(requests[1]?.reason, 'superseded');
  });

  it('limited to some versions (after a push): their deploys only, no teardown', () => {
    assert.deepEqual(
      requestsForPlan(plan, deployments, NOW, new Set(['master'])).map((r) => r.id),
      ['deploy-master-aaaaaaaaaaaa-c'],
    );
    assert.deepEqual(requestsForPlan(plan, deployments, NOW, new Set(['v1'])), []);
  });
});

describe('isDueForEnqueue', () => {
  const stale = new Date(NOW.getTime() - (STALE_ENQUEUED_MINUTES * 60_000 + 1));
  const atLimit = new Date(NOW.getTime() - STALE_ENQUEUED_MINUTES * 60_000);
  const paused: VersionDecision = { kind: 'wait', version: 'master', reason: 'paused' };
  const full: VersionDecision = { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10 };
  const inProgress: VersionDecision = { kind: 'wait', version: 'master', reason: 'in-progress' };
  const cases: Array<[string, DeployRequest, VersionDecision | undefined, boolean]> = [
    ['pending', request({ status: 'pending' }), undefined, true],
    ['deferred, version free', request({ status: 'deferred' }), inProgress, true],
    ['deferred, version paused', request({ status: 'deferred' }), paused, false],
    ['deferred, at capacity', request({ status: 'deferred' }), full, false],
    [
      'deferred teardown (it was leased) still collected, whatever the version says',
      request({ status: 'deferred', action: 'teardown', instance: 'kf-collected' }),
      paused,
      true,
    ],
    [
      'deferred teardown no longer collected (still leased, or the rules changed their mind)',
      request({ status: 'deferred', action: 'teardown', instance: 'kf-kept' }),
      inProgress,
      false,
    ],
    ['enqueued recently', request({ status: 'enqueued', updatedAt: NOW }), undefined, false],
    [
      'enqueued exactly at the stale limit',
      request({ status: 'enqueued', notBefore: atLimit, updatedAt: atLimit }),
      undefined,
      false,
    ],
    [
      'enqueued past the stale limit',
      request({ status: 'enqueued', notBefore: stale, updatedAt: stale }),
      undefined,
      true,
    ],
    [
      'enqueued long ago but due later',
      request({ status: 'enqueued', notBefore: NOW, updatedAt: stale }),
      undefined,
      false,
    ],
    ['done', request({ status: 'done' }), undefined, false],
    ['failed', request({ status: 'failed' }), undefined, false],
  ];
  for (const [name, input, decision, expected] of cases) {
    it(`${name} -> ${expected}`, () => {
      assert.equal(isDueForEnqueue(input, decision, NOW, new Set(['kf-collected'])), expected);
    });
  }
});

describe('isOpenRequest', () => {
  const cases: Array<[DeployRequest['status'], boolean]> = [
    ['pending', true],
    ['enqueued', true],
    ['deferred', true],
    ['done', false],
    ['failed', false],
  ];
  for (const [status, expected] of cases) {
    it(`${status} -> ${expected}`, () => assert.equal(isOpenRequest({ status }), expected));
  }
});

describe('enqueuedPatch', () => {
  const READ_AT = new Date(NOW.getTime() - 60_000);
  const mark = { expectedCount: 2, taskName: 'task-2', now: NOW, readUpdatedAt: READ_AT };
  const recordedOnly = { enqueueCount: 2, taskName: 'task-2', enqueuedAt: NOW };
  const enqueued = { ...recordedOnly, status: 'enqueued', updatedAt: NOW, error: null };
  const cases: Array<
    [string, DeployRequest | null, typeof mark | Omit<typeof mark, 'readUpdatedAt'>, unknown]
  > = [
    ['a missing request: nothing', null, mark, null],
    [
      'a later enqueue already recorded: nothing',
      request({ enqueueCount: 3, updatedAt: READ_AT }),
      mark,
      null,
    ],
    [
      'pending -> enqueued',
      request({ status: 'pending', enqueueCount: 1, updatedAt: READ_AT }),
      mark,
      enqueued,
    ],
    [
      'deferred, unchanged since read -> enqueued',
      request({ status: 'deferred', enqueueCount: 1, updatedAt: READ_AT }),
      mark,
      enqueued,
    ],
    [
      'deferred by a worker since read: keeps deferred, records the task',
      request({ status: 'deferred', enqueueCount: 1, updatedAt: NOW }),
      mark,
      recordedOnly,
    ],
    [
      'deferred, without a read time -> enqueued',
      request({ status: 'deferred', enqueueCount: 1, updatedAt: NOW }),
      { expectedCount: 2, taskName: 'task-2', now: NOW },
      enqueued,
    ],
    [
      'done meanwhile: keeps done, records the task',
      request({ status: 'done', updatedAt: NOW }),
      mark,
      recordedOnly,
    ],
    ['failed meanwhile: keeps failed', request({ status: 'failed', updatedAt: NOW }), mark, recordedOnly],
    [
      'the same count again (a repeat): enqueued',
      request({ enqueueCount: 2, updatedAt: READ_AT }),
      mark,
      enqueued,
    ],
  ];
  for (const [name, input, given, expected] of cases) {
    it(name, () => assert.deepEqual(enqueuedPatch(input, given), expected));
  }
});

describe('isSupersededRequest', () => {
  const OTHER = 'b'.repeat(40);
  const cases: Array<[string, Partial<DeployRequest>, Parameters<typeof isSupersededRequest>[1], boolean]> = [
    ['a deploy of the head', {}, { sha: SHA, deleted: false }, false],
    ['a deploy of an older commit', {}, { sha: OTHER, deleted: false }, true],
    ['a deploy of a deleted branch', {}, { sha: SHA, deleted: true }, true],
    ['a deploy of a branch without a head', {}, null, true],
    ['a version outside the pass: unknown, so not superseded', {}, undefined, false],
    ['a teardown, whatever the head', { action: 'teardown' }, { sha: OTHER, deleted: false }, false],
  ];
  for (const [name, overrides, head, expected] of cases) {
    it(`${name} -> ${expected}`, () => {
      assert.equal(isSupersededRequest(request(overrides), head), expected);
    });
  }
});

describe('enqueueFailedPatch', () => {
  const failure = { expectedCount: 2, error: 'UNAVAILABLE', now: NOW };
  const error = 'enqueue failed: UNAVAILABLE';
  const cases: Array<[string, DeployRequest | null, Partial<DeployRequest> | null]> = [
    [
      'marked enqueued for this very task -> pending again, with the error',
      request({ status: 'enqueued', enqueueCount: 2 }),
      { error, updatedAt: NOW, status: 'pending' },
    ],
    [
      'still pending -> the error only',
      request({ status: 'pending', enqueueCount: 1 }),
      { error, updatedAt: NOW },
    ],
    [
      'enqueued by a later pass (a greater count) -> the error only, still enqueued',
      request({ status: 'enqueued', enqueueCount: 3 }),
      { error, updatedAt: NOW },
    ],
    [
      'deferred by a worker meanwhile -> the error only',
      request({ status: 'deferred', enqueueCount: 2 }),
      { error, updatedAt: NOW },
    ],
    ['closed meanwhile -> nothing', request({ status: 'done', enqueueCount: 2 }), null],
    ['gone -> nothing', null, null],
  ];
  for (const [name, stored, expected] of cases) {
    it(name, () => assert.deepEqual(enqueueFailedPatch(stored, failure), expected));
  }
});

describe('isNewDecision', () => {
  const deploy: VersionDecision = {
    kind: 'deploy',
    version: 'master',
    commit: SHA,
    reason: 'new-commit',
    notBefore: NOW,
    requestId: 'deploy-master-aaaaaaaaaaaa-c',
  };

  it('is true only for a deploy its pass launched (no stored decision can equal it)', () => {
    assert.equal(isNewDecision({ ...deploy, launched: true }), true);
    assert.equal(isNewDecision(deploy), false);
    assert.equal(
      isNewDecision({ kind: 'wait', version: 'master', reason: 'up-to-date', commit: SHA }),
      false,
    );
  });
});

import assert from 'node:assert/strict';
import { pushFromPoll } from '../../functions/core/intake.js';
import { isDueForEnqueue, requestsForPlan, STALE_ENQUEUED_MINUTES } from '../../functions/core/requests.js';
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
      'deferred teardown, whatever the version says',
      request({ status: 'deferred', action: 'teardown' }),
      paused,
      true,
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
    it(`${name} -> ${expected}`, () => assert.equal(isDueForEnqueue(input, decision, NOW), expected));
  }
});

describe('pushFromPoll', () => {
  const head = {
    kind: 'found' as const,
    sha: 'b'.repeat(40),
    etag: 'W/"x"',
    message: 'Update',
    author: { name: 'Jane', email: null, username: 'jane' },
    timestamp: null,
    url: 'https://github.com/kubeflow/manifests/commit/bbbb',
  };

  it('records the head commit as a push from the recorded head, with a derived delivery id', () => {
    const push = pushFromPoll(
      { repo: 'kubeflow/manifests', branch: 'release/v1', before: SHA, after: head.sha, head },
      NOW,
    );
    assert.equal(push.source, 'poll');
    assert.equal(push.ref, 'refs/heads/release/v1');
    assert.equal(push.deliveryId, 'poll-kubeflow_manifests_release_2Fv1-aaaaaaaaaaaa-bbbbbbbbbbbb');
    assert.equal(push.created, false);
    assert.equal(push.pushedAt, NOW);
    assert.deepEqual(
      push.commits.map((c) => [c.sha, c.message]),
      [[head.sha, 'Update']],
    );
  });

  it('a deletion has no commit, and a first sighting counts as a creation', () => {
    const deletion = pushFromPoll(
      { repo: 'o/r', branch: 'b', before: SHA, after: '0'.repeat(40), head: null },
      NOW,
    );
    assert.equal(deletion.deleted, true);
    assert.deepEqual(deletion.commits, []);
    const creation = pushFromPoll(
      { repo: 'o/r', branch: 'b', before: '0'.repeat(40), after: head.sha, head },
      NOW,
    );
    assert.equal(creation.created, true);
  });
});

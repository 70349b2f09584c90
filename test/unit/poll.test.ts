import assert from 'node:assert/strict';
import { ZERO_SHA } from '../../functions/core/names.js';
import {
  branchesToPoll,
  conditionalEtag,
  decidePoll,
  type PollDecision,
  type PolledHead,
  pushFromPoll,
  type RecordedPollState,
} from '../../functions/core/poll.js';
import { makeVersionConfig } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const SHA = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

describe('branchesToPoll', () => {
  it('groups versions by branch, once per branch whatever the case of the repository, in config order', () => {
    const branches = branchesToPoll([
      makeVersionConfig({ name: 'master', repo: 'kubeflow/manifests', branch: 'master' }),
      makeVersionConfig({ name: 'v1', repo: 'kubeflow/manifests', branch: 'v1.0-branch' }),
      makeVersionConfig({ name: 'master-gcp', repo: 'Kubeflow/Manifests', branch: 'master' }),
    ]);
    assert.deepEqual(
      branches.map((b) => [b.key, b.repo, b.branch, b.versions]),
      [
        ['kubeflow:manifests:master', 'kubeflow/manifests', 'master', ['master', 'master-gcp']],
        ['kubeflow:manifests:v1.0-branch', 'kubeflow/manifests', 'v1.0-branch', ['v1']],
      ],
    );
  });

  it('is empty without versions', () => assert.deepEqual(branchesToPoll([]), []));
});

describe('conditionalEtag', () => {
  it('sends the last ETag when it was answered for the head recorded now', () => {
    assert.equal(conditionalEtag({ sha: SHA, deleted: false, etag: 'W/"1"', etagSha: SHA }), 'W/"1"');
  });
  it('sends none once a push moved the head since (a 304 would hide a head GitHub does not have)', () => {
    const other = 'b2'.repeat(20);
    assert.equal(conditionalEtag({ sha: SHA, deleted: false, etag: 'W/"1"', etagSha: other }), null);
  });
  it('sends none for an ETag remembered without its head (recorded before the head was)', () => {
    assert.equal(conditionalEtag({ sha: SHA, deleted: false, etag: 'W/"1"' }), null);
  });
  it('sends none while no head is recorded (a 304 would tell nothing)', () => {
    assert.equal(conditionalEtag({ sha: null, deleted: false, etag: 'W/"1"' }), null);
  });
});

describe('decidePoll', () => {
  const found = (sha: string, etag: string | null = 'W/"2"'): PolledHead => ({
    kind: 'found',
    sha,
    etag,
    message: 'Update',
    author: { name: 'Jane', email: null, username: 'jane' },
    timestamp: null,
    url: null,
  });
  const target = { repo: 'kubeflow/manifests', branch: 'master' };
  const recorded = (sha: string | null, deleted = false): RecordedPollState => ({
    sha,
    deleted,
    etag: 'W/"1"',
  });
  type Expect = { kind: PollDecision['kind']; before?: string; after?: string; etag?: string | null };
  const cases: Array<[string, RecordedPollState, PolledHead, Expect]> = [
    ['304 not modified: nothing', recorded(SHA), { kind: 'unchanged' }, { kind: 'unchanged' }],
    ['missing and nothing recorded: nothing', recorded(null), { kind: 'missing' }, { kind: 'unchanged' }],
    [
      'missing and already recorded deleted: nothing',
      recorded(SHA, true),
      { kind: 'missing' },
      { kind: 'unchanged' },
    ],
    [
      'missing with a live head: a deletion from the recorded head',
      recorded(SHA),
      { kind: 'missing' },
      { kind: 'deleted', before: SHA, after: ZERO_SHA },
    ],
    ['same head: only the ETag', recorded(SHA), found(SHA), { kind: 'same', etag: 'W/"2"' }],
    [
      'a new head: a push from the recorded head, and the ETag',
      recorded(SHA),
      found(NEW),
      { kind: 'moved', before: SHA, after: NEW, etag: 'W/"2"' },
    ],
    [
      'first sighting: a creation',
      recorded(null),
      found(NEW, null),
      { kind: 'moved', before: ZERO_SHA, after: NEW, etag: null },
    ],
    [
      'found again after a recorded deletion, same sha: recorded as moved (re-created)',
      recorded(SHA, true),
      found(SHA),
      { kind: 'moved', before: SHA, after: SHA, etag: 'W/"2"' },
    ],
  ];
  for (const [name, state, polled, expected] of cases) {
    it(name, () => {
      const decision = decidePoll(target, state, polled, NOW);
      const actual: Expect = { kind: decision.kind };
      if ('push' in decision)
        Object.assign(actual, { before: decision.push.before, after: decision.push.after });
      if ('etag' in decision) actual.etag = decision.etag;
      assert.deepEqual(actual, expected);
    });
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

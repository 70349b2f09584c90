/**
 * FirestorePollStore against the Firestore emulator: the poll's ETag and the failures of fanned-out
 * poll tasks, both on branches/{id}, next to the recorded head, which neither touches.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreIntakeStore } from '../../functions/adapters/firestore/intake-store.js';
import { FirestorePollStore } from '../../functions/adapters/firestore/poll-store.js';
import { branchRef } from '../../functions/adapters/firestore/refs.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { putBranchHead } from '../support/pipeline-fixtures.js';

const REPO = 'kubeflow/manifests';
const SHA = 'a1'.repeat(20);
const NOW = new Date('2026-11-30T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

describe('FirestorePollStore (Firestore emulator)', () => {
  let db: Firestore;
  let store: FirestorePollStore;

  useEmulatorSuite((client) => {
    db = client;
    store = new FirestorePollStore(db);
  });

  it('a poll task failure is kept on its branch with the ETag and the head; listed from a time on', async () => {
    await putBranchHead(db, REPO, 'master', SHA);
    await store.writePollState(REPO, 'master', { etag: 'W/"1"', sha: SHA }, minutesAgo(20));
    await store.recordPollTaskFailure(REPO, 'master', 'GitHub answered 503', minutesAgo(2));
    await store.recordPollTaskFailure(REPO, 'v1.0-branch', 'rate-limited', minutesAgo(12));

    assert.deepEqual(await store.listPollTaskFailures(minutesAgo(5)), [
      { key: 'kubeflow:manifests:master', at: minutesAgo(2), error: 'GitHub answered 503' },
    ]);
    assert.equal((await store.listPollTaskFailures(minutesAgo(15))).length, 2);
    assert.deepEqual(await store.listPollTaskFailures(NOW), []);
    // The head and the ETag are untouched: the poll's next request is still conditional.
    assert.deepEqual(await store.readPollState(REPO, 'master'), {
      sha: SHA,
      deleted: false,
      etag: 'W/"1"',
      etagSha: SHA,
    });
    assert.equal((await branchRef(db, REPO, 'master').get()).get('poll.error'), 'GitHub answered 503');
  });

  it('a branch whose only document is a failed poll task has no head; its first push records one', async () => {
    await store.recordPollTaskFailure(REPO, 'new-branch', 'GitHub answered 503', minutesAgo(1));
    const intake = new FirestoreIntakeStore(db);
    assert.equal(await intake.getBranchHead(REPO, 'new-branch'), null);
    const result = await intake.recordPush(
      {
        source: 'webhook',
        deliveryId: 'first-push',
        repo: REPO,
        ref: 'refs/heads/new-branch',
        before: '0'.repeat(40),
        after: SHA,
        created: true,
        deleted: false,
        forced: false,
        pusher: 'ada',
        pushedAt: NOW,
        commits: [],
      },
      'new-branch',
      ['new'],
      NOW,
    );
    assert.equal(result.kind, 'recorded');
    assert.equal((await intake.getBranchHead(REPO, 'new-branch'))?.sha, SHA);
  });

  it('a push out of order leaves its head in doubt; confirming the sha clears it, another sha does not', async () => {
    const intake = new FirestoreIntakeStore(db);
    const push = (deliveryId: string, before: string, after: string) => ({
      source: 'webhook' as const,
      deliveryId,
      repo: REPO,
      ref: 'refs/heads/master',
      before,
      after,
      created: false,
      deleted: false,
      forced: false,
      pusher: 'ada',
      pushedAt: NOW,
      commits: [],
    });
    await intake.recordPush(push('first', 'c'.repeat(40), SHA), 'master', ['master'], NOW);
    assert.equal((await intake.getBranchHead(REPO, 'master'))?.inDoubt, false);
    // From a commit the head never had, the same second: nothing orders it against the head.
    const other = 'b2'.repeat(20);
    await intake.recordPush(push('second', 'd'.repeat(40), other), 'master', ['master'], NOW);
    assert.equal((await intake.getBranchHead(REPO, 'master'))?.inDoubt, true);
    assert.equal((await branchRef(db, REPO, 'master').get()).get('inDoubt'), true, 'readable in the console');

    await store.confirmHead(REPO, 'master', SHA);
    assert.equal((await intake.getBranchHead(REPO, 'master'))?.inDoubt, true, 'another sha: still in doubt');
    await store.confirmHead(REPO, 'master', other);
    assert.equal((await intake.getBranchHead(REPO, 'master'))?.inDoubt, false);
  });
});

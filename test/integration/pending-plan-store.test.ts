/**
 * FirestorePendingPlanStore against the Firestore emulator: the per-version "a plan task is waiting"
 * mark (core/pending-plans.ts). Concurrent hand-offs of one version set it once; a fresh mark covers,
 * a stale one is replaced once however many hand-offs find it; a cleared mark is set again.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import {
  FirestorePendingPlanStore,
  PENDING_PLANS_COLLECTION,
} from '../../functions/adapters/firestore/pending-plan-store.js';
import { PENDING_PLAN_STALE_MS } from '../../functions/core/pending-plans.js';
import { useEmulatorSuite } from '../support/firestore.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

describe('FirestorePendingPlanStore (Firestore emulator)', () => {
  let db: Firestore;
  let store: FirestorePendingPlanStore;

  useEmulatorSuite((client) => {
    db = client;
    store = new FirestorePendingPlanStore(db);
  });

  const storedMark = async (version: string): Promise<Date | null> => {
    const snapshot = await db.collection(PENDING_PLANS_COLLECTION).doc(version).get();
    return snapshot.exists ? snapshot.get('markedAt').toDate() : null;
  };

  it('the first hand-off marks the version; the next ones, while it is set, are covered by it', async () => {
    assert.deepEqual(await store.markPending('master', NOW), { kind: 'marked', markedAt: NOW });
    assert.deepEqual(await store.markPending('master', later(1_000)), { kind: 'covered', markedAt: NOW });
    assert.deepEqual(await storedMark('master'), NOW);
    assert.deepEqual(await store.markPending('v1', later(1_000)), { kind: 'marked', markedAt: later(1_000) });
  });

  it('ten concurrent hand-offs of one version: exactly one marks it', async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.markPending('master', later(i))),
    );
    const marked = claims.filter((claim) => claim.kind === 'marked');
    assert.equal(marked.length, 1, JSON.stringify(claims));
    assert.deepEqual(await storedMark('master'), marked[0]?.markedAt);
  });

  it('a cleared mark is set again by the next hand-off; clearing twice is fine', async () => {
    await store.markPending('master', NOW);
    await store.clearPending('master');
    await store.clearPending('master');
    assert.equal(await storedMark('master'), null);
    assert.deepEqual(await store.markPending('master', later(1_000)), {
      kind: 'marked',
      markedAt: later(1_000),
    });
  });

  it('a stale mark (its task lost) is replaced once, however many hand-offs find it at once', async () => {
    await store.markPending('master', NOW);
    const at = later(PENDING_PLAN_STALE_MS + 1_000);
    const claims = await Promise.all(Array.from({ length: 5 }, () => store.markPending('master', at)));
    assert.equal(claims.filter((claim) => claim.kind === 'marked').length, 1, JSON.stringify(claims));
    assert.deepEqual(await storedMark('master'), at);
  });
});

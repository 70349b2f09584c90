/**
 * Warms the Firestore emulator's JVM before the first benchmark. A freshly started emulator serves its
 * first few thousand RPCs about twice as slowly as later ones (its JIT compiler is still at work on the
 * same 2 cores): measured here, 20 concurrent single-document reads went from ~850 to ~1,600 a second
 * over the first 6,000 RPCs, an idle `commit` from 3.2 to 1.4 ms. Production Firestore is never cold
 * in that sense, and which benchmark happened to run first should not decide its figures, so every run
 * starts with the same warm-up: the kinds of RPC the product makes (batchGetDocuments, runQuery with
 * an inequality, commit, and transactions), on a project of its own that is deleted afterwards.
 */
import { Firestore } from '@google-cloud/firestore';
import { resetFirestoreEmulator } from '../lib/firestore-emulator.js';

/** The warm-up's own project: nothing a benchmark reads or counts. */
export const WARMUP_PROJECT_ID = 'demo-bench-warmup';

const CONCURRENCY = 20;
const DOCUMENTS = 60;

export interface WarmupResult {
  operations: number;
  durationMs: number;
}

/** One operation of kind `index % 4`, by one of the concurrent workers (each has its own documents). */
async function operation(db: Firestore, index: number, worker: number): Promise<void> {
  const collection = db.collection('warmup');
  switch (index % 4) {
    case 0:
      await db.getAll(collection.doc(`d${index % DOCUMENTS}`), collection.doc(`d${(index + 1) % DOCUMENTS}`));
      return;
    case 1:
      await collection.where('status', '!=', 'deleted').get();
      return;
    case 2:
      await collection.doc(`written-${worker}`).set({ at: new Date(), index });
      return;
    default:
      await db.runTransaction(async (tx) => {
        const ref = collection.doc(`transaction-${worker}`);
        const snapshot = await tx.get(ref);
        tx.set(ref, { count: Number(snapshot.get('count') ?? 0) + 1 });
      });
  }
}

/** Runs `operations` RPCs against the emulator at `hostPort` (0: nothing), then deletes what they wrote. */
export async function warmFirestoreEmulator(hostPort: string, operations: number): Promise<WarmupResult> {
  const startedMs = performance.now();
  if (operations <= 0) return { operations: 0, durationMs: 0 };
  const db = new Firestore({ projectId: WARMUP_PROJECT_ID, host: hostPort, ssl: false });
  try {
    const seed = db.batch();
    for (let i = 0; i < DOCUMENTS; i++) {
      seed.set(db.collection('warmup').doc(`d${i}`), {
        version: `v${i % 24}`,
        status: i % 3 === 0 ? 'deleted' : 'ready',
        padding: 'x'.repeat(800),
      });
    }
    await seed.commit();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let index = next++; index < operations; index = next++) await operation(db, index, worker);
      }),
    );
  } finally {
    await db.terminate();
  }
  await resetFirestoreEmulator(hostPort, WARMUP_PROJECT_ID);
  return { operations, durationMs: Math.round(performance.now() - startedMs) };
}

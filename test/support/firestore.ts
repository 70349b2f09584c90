/**
 * The Firestore emulator for tests. `FIRESTORE_EMULATOR_HOST` set: that emulator is used;
 * unset: one is started on a free port the first time a suite asks, and stopped after the run.
 * Tests use a `demo-*` project id, which can never reach a real project.
 */
import {
  Firestore,
  type ReadOnlyTransactionOptions,
  type ReadWriteTransactionOptions,
  type Transaction,
} from '@google-cloud/firestore';
import {
  type FirestoreEmulator,
  resetFirestoreEmulator,
  startFirestoreEmulator,
} from '../../scripts/lib/firestore-emulator.js';

export const TEST_PROJECT_ID = 'demo-kubeflow-auto-deploy-test';

/**
 * Kept on globalThis: mocha loads the root hooks (which stop the emulator) through a different
 * module loader than the test files, so a module-level variable would exist twice.
 */
const state = globalThis as typeof globalThis & {
  __autoDeployFirestoreEmulator?: Promise<FirestoreEmulator>;
};

/** `host:port` of the emulator the tests use, starting one if needed. */
export async function firestoreEmulatorHost(): Promise<string> {
  const given = process.env.FIRESTORE_EMULATOR_HOST?.trim();
  if (given) return given;
  state.__autoDeployFirestoreEmulator ??= startFirestoreEmulator();
  return (await state.__autoDeployFirestoreEmulator).hostPort;
}

/** What the emulator answers to an operation of a transaction it closed meanwhile. */
const CLOSED_BY_EMULATOR = /Transaction is invalid or closed/;
/** Runs of a whole transaction the emulator closed (each run has the client's own 5 attempts). */
const RUNS_AFTER_CLOSED = 3;

function isClosedByEmulator(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return code === 3 && CLOSED_BY_EMULATOR.test(String(message));
}

/**
 * The client the tests use on the emulator: the product's (functions/adapters/firestore/client.ts
 * with an emulator host) but for one difference in how a transaction ends. When two transactions
 * and a write wait on each other's locks, the emulator ends it by closing the waiting transaction
 * after several seconds (9 s here) and answers INVALID_ARGUMENT "Transaction is invalid or closed", which the client does
 * not retry, so the use case fails. Production resolves the same wait by aborting (ABORTED) or
 * expiring the transaction (INVALID_ARGUMENT "... has expired"), both of which the client retries.
 * This client runs such a transaction again, so a concurrency test sees what production would do.
 */
export class EmulatorFirestore extends Firestore {
  override async runTransaction<T>(
    updateFunction: (transaction: Transaction) => Promise<T>,
    options?: ReadWriteTransactionOptions | ReadOnlyTransactionOptions,
  ): Promise<T> {
    for (let run = 1; ; run++) {
      try {
        return await super.runTransaction(updateFunction, options);
      } catch (err) {
        if (run >= RUNS_AFTER_CLOSED || !isClosedByEmulator(err)) throw err;
      }
    }
  }
}

/** A Firestore client on the test emulator (or the one at `host`; see EmulatorFirestore), with the product's settings. */
export async function testFirestore(host?: string): Promise<Firestore> {
  return new EmulatorFirestore({
    projectId: TEST_PROJECT_ID,
    host: host ?? (await firestoreEmulatorHost()),
    ssl: false,
    ignoreUndefinedProperties: true,
  });
}

/** Deletes every document of the test project. */
export async function resetFirestore(): Promise<void> {
  await resetFirestoreEmulator(await firestoreEmulatorHost(), TEST_PROJECT_ID);
}

/** How long a suite's first hook may take: the first one of a run waits for the emulator to start. */
const EMULATOR_START_TIMEOUT_MS = 120_000;

/**
 * An emulator suite's hooks: one client for the suite, handed to `ready` (to build its stores) and
 * terminated after the suite; every document deleted before each test. The suite's own hooks,
 * registered after this call, run after these: a `before` of its own can use the client, a
 * `beforeEach` of its own seeds on the emptied emulator. What the suite starts in a `before` of its
 * own (servers, fakes) it stops in `beforeTerminate`, which runs after the suite just before the
 * client is terminated (an `after` of its own would run after that).
 */
export function useEmulatorSuite(
  ready: (db: Firestore) => void,
  options: { beforeTerminate?: () => Promise<void> } = {},
): void {
  let db: Firestore | undefined;
  before(async function () {
    // The first suite of a run starts the emulator (a JVM): slow on a loaded 2-core machine.
    this.timeout(EMULATOR_START_TIMEOUT_MS);
    db = await testFirestore();
    ready(db);
  });
  beforeEach(() => resetFirestore());
  after(async () => {
    await options.beforeTerminate?.();
    await db?.terminate();
  });
}

export async function stopSharedFirestoreEmulator(): Promise<void> {
  const started = state.__autoDeployFirestoreEmulator;
  if (!started) return;
  delete state.__autoDeployFirestoreEmulator;
  await (await started).stop();
}

/**
 * The Firestore emulator for tests. `FIRESTORE_EMULATOR_HOST` set: that emulator is used;
 * unset: one is started on a free port the first time a suite asks, and stopped after the run.
 * Tests use a `demo-*` project id, which can never reach a real project.
 */
import type { Firestore } from '@google-cloud/firestore';
import { createFirestore } from '../../functions/adapters/firestore/client.js';
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

/** A Firestore client on the test emulator. */
export async function testFirestore(): Promise<Firestore> {
  return createFirestore(TEST_PROJECT_ID, await firestoreEmulatorHost());
}

/** Deletes every document of the test project. */
export async function resetFirestore(): Promise<void> {
  await resetFirestoreEmulator(await firestoreEmulatorHost(), TEST_PROJECT_ID);
}

export async function stopSharedFirestoreEmulator(): Promise<void> {
  const started = state.__autoDeployFirestoreEmulator;
  if (!started) return;
  delete state.__autoDeployFirestoreEmulator;
  await (await started).stop();
}

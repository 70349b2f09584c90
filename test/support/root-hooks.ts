/**
 * Mocha root hooks: stops the shared Firestore emulator (started on demand by
 * test/support/firestore.ts) once the whole run is over.
 */
import { stopSharedFirestoreEmulator } from './firestore.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedFirestoreEmulator();
  },
};

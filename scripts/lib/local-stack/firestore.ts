/** The local stack's Firestore: the emulator, unless FIRESTORE_EMULATOR_HOST names one. */
import type { Logger } from '../../../functions/log.js';
import { startFirestoreEmulator } from '../firestore-emulator.js';
import type { Started } from './running-components.js';

/** Starts the Firestore emulator unless `env` names one; contributes its host:port. */
export async function startLocalFirestore(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Started & { firestoreEmulatorHost: string }> {
  const named = env.FIRESTORE_EMULATOR_HOST?.trim() ?? '';
  if (named) return { firestoreEmulatorHost: named };
  const emulator = await startFirestoreEmulator();
  logger.info('firestore emulator started', { firestoreEmulatorHost: emulator.hostPort });
  return { stop: () => emulator.stop(), firestoreEmulatorHost: emulator.hostPort };
}

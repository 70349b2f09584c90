/** The Firestore client of the configured project; talks to the emulator when one is configured. */
import { Firestore } from '@google-cloud/firestore';

export function createFirestore(projectId: string, emulatorHost: string | null): Firestore {
  if (emulatorHost) {
    return new Firestore({ projectId, host: emulatorHost, ssl: false, ignoreUndefinedProperties: true });
  }
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

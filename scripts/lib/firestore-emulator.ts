/**
 * Starts and stops the Firestore emulator from the gcloud SDK (development and tests only).
 * Runs the emulator's java class directly: ready in ~2 s, and stopping the process stops it
 * (`gcloud emulators firestore start` leaves its java child running when killed).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from './net.js';

const MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';

export interface FirestoreEmulator {
  /** `host:port`, the value for FIRESTORE_EMULATOR_HOST. */
  hostPort: string;
  stop(): Promise<void>;
}

/** Finds the emulator jar: FIRESTORE_EMULATOR_JAR, else the gcloud SDK's component. */
export function findFirestoreEmulatorJar(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FIRESTORE_EMULATOR_JAR) return env.FIRESTORE_EMULATOR_JAR;
  let sdkRoot: string;
  try {
    sdkRoot = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw new Error(
      'The Firestore emulator needs the gcloud SDK (gcloud not found). Install it with the ' +
        'cloud-firestore-emulator component, set FIRESTORE_EMULATOR_JAR, or set FIRESTORE_EMULATOR_HOST ' +
        'to an emulator you started yourself.',
    );
  }
  const jar = join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar');
  if (!existsSync(jar)) {
    throw new Error(
      `Firestore emulator jar not found at ${jar}: run 'gcloud components install cloud-firestore-emulator' ` +
        "(or 'apt-get install google-cloud-cli-firestore-emulator').",
    );
  }
  return jar;
}

/** True when the emulator at hostPort answers its readiness check (`GET /` -> `Ok`). */
export async function isFirestoreEmulatorReady(hostPort: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${hostPort}/`);
    return response.ok && (await response.text()).trim() === 'Ok';
  } catch {
    return false;
  }
}

/** Starts an emulator on 127.0.0.1 (a free port unless given) and waits until it is ready. */
export async function startFirestoreEmulator(
  options: { port?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<FirestoreEmulator> {
  const jar = findFirestoreEmulatorJar(options.env);
  const port = options.port ?? (await freePort());
  const hostPort = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'java',
    ['-cp', jar, MAIN_CLASS, 'start', '--host=127.0.0.1', `--port=${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  // A Ctrl-C or a crash of this process must not leave the JVM running.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  child.on('exit', () => {
    exited = true;
    process.removeListener('exit', killChild);
  });
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`Firestore emulator exited during start-up:\n${stderr}`);
      return isFirestoreEmulatorReady(hostPort);
    }, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    hostPort,
    stop: () =>
      new Promise<void>((resolvePromise) => {
        if (exited) return resolvePromise();
        child.once('exit', () => resolvePromise());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Deletes every document of `projectId` in the emulator. */
export async function resetFirestoreEmulator(hostPort: string, projectId: string): Promise<void> {
  const response = await fetch(
    `http://${hostPort}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
    { method: 'DELETE' },
  );
  if (!response.ok) throw new Error(`Firestore emulator reset failed: HTTP ${response.status}`);
}

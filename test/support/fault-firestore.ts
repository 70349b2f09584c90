/**
 * A Firestore emulator of its own for a fault test, and the switch that makes it unavailable: SIGSTOP
 * on the emulator's JVM (found by its command line and its executable, so never a wrapper shell), and
 * SIGCONT to bring it back. A stopped JVM keeps its sockets open and answers nothing: to a client this
 * is a Firestore that hangs, the worst kind of unavailable.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../scripts/lib/firestore-emulator.js';

/** A dedicated emulator that a test may freeze and thaw. */
export interface PausableFirestore {
  hostPort: string;
  /** The pid of the emulator's java process. */
  javaPid: number;
  /** SIGSTOP: the emulator stops answering (connections stay open). */
  pause(): void;
  /** SIGCONT: it answers again, including what was sent meanwhile. */
  resume(): void;
  stop(): Promise<void>;
}

/** The java process listening on `port`: its command line names the emulator class and the port. */
export function findEmulatorJavaPid(port: number): number {
  const matches: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const isEmulator =
        args.some((arg) => arg.endsWith('CloudFirestore')) && args.includes(`--port=${port}`);
      if (isEmulator && /\/java$/.test(readlinkSync(`/proc/${entry}/exe`))) matches.push(Number(entry));
    } catch {
      // The process ended while we looked, or it is not ours to read.
    }
  }
  if (matches.length !== 1)
    throw new Error(`expected one Firestore emulator JVM on port ${port}, found ${JSON.stringify(matches)}`);
  return matches[0] as number;
}

/** Starts a Firestore emulator on a free port, for this test alone. */
export async function startPausableFirestore(): Promise<PausableFirestore> {
  const emulator: FirestoreEmulator = await startFirestoreEmulator();
  const port = Number(emulator.hostPort.split(':').at(-1));
  const javaPid = findEmulatorJavaPid(port);
  let isPaused = false;
  return {
    hostPort: emulator.hostPort,
    javaPid,
    pause: () => {
      process.kill(javaPid, 'SIGSTOP');
      isPaused = true;
    },
    resume: () => {
      process.kill(javaPid, 'SIGCONT');
      isPaused = false;
    },
    stop: async () => {
      // A stopped JVM cannot act on SIGTERM: thaw it first.
      if (isPaused) process.kill(javaPid, 'SIGCONT');
      await emulator.stop();
    },
  };
}

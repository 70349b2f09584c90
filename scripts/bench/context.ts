/** What every benchmark gets: the shared Firestore emulator, the options, and a progress line on stderr. */
import { setTimeout as sleep } from 'node:timers/promises';
import { resetFirestoreEmulator } from '../lib/firestore-emulator.js';
import { BENCH_PROJECT_ID } from './bench-env.js';
import type { BenchOptions } from './options.js';
import type { Figure } from './report.js';

export interface BenchContext {
  firestoreHost: string;
  options: BenchOptions;
  /** A progress line on stderr (stdout carries only figures). */
  progress(message: string): void;
  /** Empties the benchmark project in the emulator (before each benchmark). */
  resetFirestore(): Promise<void>;
}

export type Benchmark = (context: BenchContext) => Promise<Figure[]>;

export function createContext(firestoreHost: string, options: BenchOptions): BenchContext {
  return {
    firestoreHost,
    options,
    progress: (message) => process.stderr.write(`[bench] ${message}\n`),
    resetFirestore: () => resetFirestoreEmulator(firestoreHost, BENCH_PROJECT_ID),
  };
}

/** Wall-clock time in epoch ms with sub-ms resolution, comparable with the stack host's timeline. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits until the wall clock reaches `at` (epoch ms). */
export async function sleepUntil(at: number): Promise<void> {
  const waitMs = at - wallNow();
  if (waitMs > 0) await sleep(waitMs);
}

/** A small seeded PRNG (mulberry32), so a run's arrival times can be reproduced. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `npm run bench -- [benchmark...] [--option value...]`: which benchmarks to run and their sample
 * counts. No benchmark named: all of them.
 */
import { parseArgs } from 'node:util';

export const BENCHMARKS = ['plan', 'push', 'webhook', 'tick', 'cold-start', 'burst', 'cost'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export interface BenchOptions {
  benchmarks: BenchmarkName[];
  /** Only the JSON lines on stdout. */
  isJsonOnly: boolean;
  seed: number;
  floorSamples: number;
  pushSamples: number;
  pushIntervalMs: number;
  costPushes: number;
  webhookRounds: number;
  webhookConcurrency: number;
  tickSamples: number;
  tickLargeSamples: number;
  tickLargeVersions: number;
  tickHistory: number;
  coldSamples: number;
  /** Rebuild build/ even when it is newer than functions/. */
  isRebuildForced: boolean;
  burstPushes: number;
  burstSeconds: number;
  burstRedeliveredShare: number;
  pushesPerDay: number;
  /** RPCs that warm the Firestore emulator's JVM before the first benchmark (emulator-warmup.ts). */
  emulatorWarmup: number;
}

/** Sample counts of a full run (a few minutes on 2 cores). */
const DEFAULTS = {
  seed: 1,
  floorSamples: 15,
  pushSamples: 40,
  pushIntervalMs: 2000,
  costPushes: 5,
  webhookRounds: 10,
  webhookConcurrency: 20,
  tickSamples: 10,
  tickLargeSamples: 3,
  tickLargeVersions: 1000,
  tickHistory: 2000,
  coldSamples: 5,
  burstPushes: 1000,
  burstSeconds: 10,
  burstRedeliveredShare: 0.2,
  pushesPerDay: 100,
  emulatorWarmup: 8000,
};

/** `--quick`: a smoke run in well under a minute per benchmark (the figures are then rough). */
const QUICK = {
  floorSamples: 5,
  pushSamples: 10,
  pushIntervalMs: 1500,
  costPushes: 2,
  webhookRounds: 2,
  tickSamples: 3,
  tickLargeSamples: 1,
  tickLargeVersions: 200,
  coldSamples: 2,
  burstPushes: 200,
  burstSeconds: 4,
  emulatorWarmup: 2000,
};

const FLAGS: Record<string, keyof typeof DEFAULTS> = {
  seed: 'seed',
  'floor-samples': 'floorSamples',
  'push-samples': 'pushSamples',
  'push-interval-ms': 'pushIntervalMs',
  'cost-pushes': 'costPushes',
  'webhook-rounds': 'webhookRounds',
  'webhook-concurrency': 'webhookConcurrency',
  'tick-samples': 'tickSamples',
  'tick-large-samples': 'tickLargeSamples',
  'tick-large-versions': 'tickLargeVersions',
  'tick-history': 'tickHistory',
  'cold-samples': 'coldSamples',
  'burst-pushes': 'burstPushes',
  'burst-seconds': 'burstSeconds',
  'burst-redelivered-share': 'burstRedeliveredShare',
  'pushes-per-day': 'pushesPerDay',
  'emulator-warmup': 'emulatorWarmup',
};

export const USAGE = `usage: npm run bench -- [${BENCHMARKS.join('|')}]... [options]
  --quick                 small sample counts (a smoke run)
  --json                  print only the JSON lines
  --rebuild               rebuild build/ for cold-start even if it looks current
${Object.entries(FLAGS)
  .map(([flag, key]) => `  --${flag.padEnd(22)}default ${DEFAULTS[key]}`)
  .join('\n')}`;

/** Parses argv (without node and the script); throws with the usage on a bad argument. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      rebuild: { type: 'boolean' },
      help: { type: 'boolean' },
      ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  if (values.help) throw new Error(USAGE);
  const unknown = positionals.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}\n${USAGE}`);
  const numbers: Record<string, number> = { ...DEFAULTS, ...(values.quick ? QUICK : {}) };
  for (const [flag, key] of Object.entries(FLAGS)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${flag} must be a number >= 0\n${USAGE}`);
    numbers[key] = value;
  }
  return {
    ...(numbers as typeof DEFAULTS),
    benchmarks: positionals.length > 0 ? (positionals as BenchmarkName[]) : [...BENCHMARKS],
    isJsonOnly: values.json === true,
    isRebuildForced: values.rebuild === true,
  };
}

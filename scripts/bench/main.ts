/**
 * `npm run bench`: measures the system on the local stack and prints every figure with its target
 * and whether it is met: one line per figure for people, one JSON line per figure for machines
 * (docs/benchmarks.md explains each figure and records a run). Progress goes to stderr.
 *
 *   npm run bench                    # everything (a few minutes on 2 cores)
 *   npm run bench -- push webhook    # some benchmarks
 *   npm run bench -- push --push-samples 100 --push-interval-ms 1500
 *   npm run bench -- --quick         # a smoke run
 *
 * Not a test: nothing here fails a build; `npm test` and .ci/run never run it.
 */
import { startFirestoreEmulator } from '../lib/firestore-emulator.js';
import { runBurstBench } from './bench-burst.js';
import { runColdStartBench } from './bench-cold-start.js';
import { runPlanBench } from './bench-plan.js';
import { type PushCost, runPushBench } from './bench-push.js';
import { runTickBench, type TickCost } from './bench-tick.js';
import { runWebhookBench } from './bench-webhook.js';
import { createContext } from './context.js';
import { costFigures } from './cost.js';
import { warmFirestoreEmulator } from './emulator-warmup.js';
import { describeMachine } from './machine.js';
import { type BenchOptions, parseBenchOptions } from './options.js';
import { type Figure, humanLine, jsonLine } from './report.js';

function print(options: BenchOptions, figures: Figure[]): void {
  const lines = options.isJsonOnly
    ? figures.map(jsonLine)
    : [...figures.map(humanLine), ...figures.map(jsonLine)];
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const wants = (name: string) => options.benchmarks.includes(name as BenchOptions['benchmarks'][number]);
  const machine = describeMachine();
  process.stdout.write(`${JSON.stringify({ machine, options })}\n`);

  const all: Figure[] = [];
  const emit = (figures: Figure[]) => {
    all.push(...figures);
    print(options, figures);
  };
  if (wants('plan')) emit(await runPlanBench(createContext('', options)));
  const needsFirestore = options.benchmarks.some((name) => name !== 'plan');
  if (!needsFirestore) return;

  const emulator = await startFirestoreEmulator();
  const context = createContext(emulator.hostPort, options);
  try {
    context.progress(`warming the Firestore emulator up: ${options.emulatorWarmup} RPCs`);
    const warmup = await warmFirestoreEmulator(emulator.hostPort, options.emulatorWarmup);
    context.progress(`warmed up in ${warmup.durationMs} ms`);
    let pushCost: PushCost | null = null;
    let tickCost: TickCost | null = null;
    if (wants('push') || wants('cost')) {
      const result = await runPushBench(context);
      pushCost = result.cost;
      emit(result.figures);
    }
    if (wants('webhook')) emit(await runWebhookBench(context));
    if (wants('tick') || wants('cost')) {
      const result = await runTickBench(context);
      tickCost = result.cost;
      emit(result.figures);
    }
    if (wants('cold-start')) emit(await runColdStartBench(context));
    if (wants('burst')) emit(await runBurstBench(context));
    if (pushCost && tickCost) emit(costFigures(pushCost, tickCost, options.pushesPerDay));
  } finally {
    await emulator.stop();
  }
  const missed = all.filter((figure) => figure.met === false).map((figure) => figure.id);
  const met = all.filter((figure) => figure.met === true).length;
  process.stdout.write(
    `${JSON.stringify({ summary: { figures: all.length, met, missed: missed.length, missedIds: missed } })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * The scheduler tick (`POST /schedulerTick`, as Cloud Scheduler calls it) on the local stack, in a
 * steady state: every version has its branch head and a ready instance of it, five have a newer
 * instance deploying (their Jobs running on the cluster), the poll fallback asks a local fake of
 * GitHub (unchanged branches: 304). Measured at 50 versions with no history, then with
 * `--tick-history` deleted instances and their done requests seeded, then at `--tick-large-versions`.
 * Firestore reads and writes per tick are counted: history must not change them.
 */

import QUEUE_DEFAULTS from '../../infra/queue-defaults.json' with { type: 'json' };
import { BENCH_NAMESPACE, type BenchWorld, createWorld } from './bench-env.js';
import { type BenchContext, wallNow } from './context.js';
import { type GithubFake, startGithubFake } from './github-fake.js';
import { benchBatchApi, plainJob } from './kube-client.js';
import { atMost, type Figure, info, round, summarize } from './report.js';
import { benchFirestore, seedActive, seedHistory } from './seed.js';
import { type BenchStack, startBenchStack } from './stack-client.js';

const DEPLOYING = 5;
/** How long Firestore must be idle (and the queue empty) for a tick's work to count as done. */
const SETTLE_QUIET_MS = 50;

/** Per-tick counts at the benchmark's steady state, for the cost estimate. */
export interface TickCost {
  readsPerTick: number;
  writesPerTick: number;
  versions: number;
}

interface TickRun {
  durations: number[];
  /** Until everything the tick started (fanned-out polls, deploy requests) is done. */
  doneMs: number[];
  /** From the tick's request to the last GitHub request it made: the poll step (the first one). */
  pollMs: number[];
  /** GitHub requests per tick (a fanned-out poll's too). */
  polled: number[];
  reads: number[];
  writes: number[];
  firstMs: number;
  firstWrites: number;
}

async function tickOnce(
  stack: BenchStack,
  github: GithubFake,
): Promise<{ ms: number; doneMs: number; pollMs: number; polled: number; reads: number; writes: number }> {
  const before = await stack.counts();
  const polledBefore = github.requestTimes.length;
  const startAt = wallNow();
  const start = performance.now();
  const response = await fetch(`${stack.url}/schedulerTick`, { method: 'POST' });
  const body = await response.text();
  const ms = performance.now() - start;
  if (response.status !== 200) throw new Error(`tick answered ${response.status}: ${body.slice(0, 500)}`);
  // Until the tick's work is done: the tasks it queued (a fanned-out poll, deploy requests) ran too.
  await stack.settle(120_000, SETTLE_QUIET_MS);
  const doneMs = performance.now() - start - SETTLE_QUIET_MS;
  const after = await stack.counts();
  const lastPoll =
    github.requestTimes.length > polledBefore ? (github.requestTimes.at(-1) as number) : startAt;
  return {
    ms,
    doneMs,
    pollMs: lastPoll - startAt,
    polled: github.requestTimes.length - polledBefore,
    reads: after.reads - before.reads,
    writes: after.writes + after.deletes - before.writes - before.deletes,
  };
}

/**
 * Waits until the wall clock is in a later minute than `sinceMs`: a fanned-out poll names its tasks
 * per branch and minute (overlapping ticks queue each once), so a tick in the same minute as the
 * previous one would poll nothing. Production ticks every 5 minutes.
 */
async function nextMinute(sinceMs: number): Promise<void> {
  const waitMs = (Math.floor(sinceMs / 60_000) + 1) * 60_000 - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
}

async function measureTicks(
  stack: BenchStack,
  github: GithubFake,
  samples: number,
  options: { isMinuteApart?: boolean } = {},
): Promise<TickRun> {
  let startedAt = Date.now();
  const first = await tickOnce(stack, github);
  const run: TickRun = {
    durations: [],
    doneMs: [],
    pollMs: [],
    polled: [],
    reads: [],
    writes: [],
    firstMs: round(first.ms),
    firstWrites: first.writes,
  };
  for (let i = 0; i < samples; i++) {
    if (options.isMinuteApart) await nextMinute(startedAt);
    startedAt = Date.now();
    const tick = await tickOnce(stack, github);
    run.durations.push(tick.ms);
    run.doneMs.push(tick.doneMs);
    run.pollMs.push(tick.pollMs);
    run.polled.push(tick.polled);
    run.reads.push(tick.reads);
    run.writes.push(tick.writes);
  }
  return run;
}

/** A world of `versionCount` versions, seeded, with its stack (and fake GitHub) running. */
async function startTickWorld(context: BenchContext, versionCount: number) {
  await context.resetFirestore();
  const db = benchFirestore(context.firestoreHost);
  // Readiness and inventory off: the seeded instances have no clusters in the local cloud (they would
  // all go lost) and no endpoints; what is measured is the poll, the refresh and the plan.
  const world: BenchWorld = createWorld(versionCount, {}, context.firestoreHost, [
    'readiness:',
    '  enabled: false',
    'inventory:',
    '  enabled: false',
  ]);
  const now = new Date();
  const { jobs, heads } = await seedActive(db, world.versions, DEPLOYING, now);
  const github = await startGithubFake((branch) => heads.get(branch) ?? null);
  const stack = await startBenchStack({
    env: { ...world.env, GITHUB_POLL: 'true', GITHUB_API_URL: github.url },
    namespace: BENCH_NAMESPACE,
  });
  const api = benchBatchApi(stack.kubeUrl, stack.kubeToken);
  for (const job of jobs)
    await api.createNamespacedJob({ namespace: BENCH_NAMESPACE, body: plainJob(job.name, job.labels) });
  return {
    db,
    world,
    now,
    stack,
    github,
    stop: async () => {
      await stack.stop();
      await github.stop();
      await db.terminate();
      world.remove();
    },
  };
}

const median = (values: number[]) => summarize(values).p50;
const QUEUE_RATE = QUEUE_DEFAULTS.maxDispatchesPerSecond;

export async function runTickBench(context: BenchContext): Promise<{ figures: Figure[]; cost: TickCost }> {
  const { options, progress } = context;
  progress('tick: 50 versions, no history');
  const small = await startTickWorld(context, 50);
  let fresh: TickRun;
  let history: TickRun;
  try {
    fresh = await measureTicks(small.stack, small.github, options.tickSamples);
    progress(`tick: 50 versions, seeding ${options.tickHistory} historical deployments`);
    await seedHistory(small.db, small.world.versions, options.tickHistory, small.now);
    history = await measureTicks(small.stack, small.github, options.tickSamples);
  } finally {
    await small.stop();
  }
  progress(`tick: ${options.tickLargeVersions} versions`);
  const large = await startTickWorld(context, options.tickLargeVersions);
  let big: TickRun;
  try {
    // Each in a minute of its own, so that each fans its poll out (about a minute per sample).
    big = await measureTicks(large.stack, large.github, options.tickLargeSamples, { isMinuteApart: true });
  } finally {
    await large.stop();
  }
  return tickFigures(options, { fresh, history, big });
}

/** The tick's figures from its three runs: 50 versions without and with history, and many versions. */
function tickFigures(
  options: BenchContext['options'],
  runs: { fresh: TickRun; history: TickRun; big: TickRun },
): { figures: Figure[]; cost: TickCost } {
  const { fresh, history, big } = runs;
  const historyTimes = summarize(history.durations);
  const bigTimes = summarize(big.durations);
  const readsFresh = median(fresh.reads);
  const readsHistory = median(history.reads);
  const readsBig = median(big.reads);
  const versionsBig = options.tickLargeVersions;
  const perVersion = round((readsBig - readsFresh) / Math.max(1, versionsBig - 50), 2);
  const active = (versions: number) => versions + DEPLOYING;
  const figures: Figure[] = [
    atMost(
      {
        bench: 'tick',
        id: 'tick.50v-history.p99',
        label: `tick at 50 versions with ${options.tickHistory} historical deployments, p99 (p50 ${historyTimes.p50} ms, ${history.durations.length} ticks)`,
        value: historyTimes.p99,
        unit: 'ms',
        detail: {
          summary: historyTimes,
          pollStep: summarize(history.pollMs),
          withoutHistory: summarize(fresh.durations),
          firstTickMs: history.firstMs,
        },
      },
      1000,
      '<= 1000 ms',
    ),
    info({
      bench: 'tick',
      id: 'tick.large.p50',
      label: `tick at ${versionsBig} versions, its request, p50 (the poll fanned out: one task per branch; first tick ${big.firstMs} ms with ${big.firstWrites} writes; p99 ${bigTimes.p99} ms)`,
      value: bigTimes.p50,
      unit: 'ms',
      detail: {
        summary: bigTimes,
        pollStep: summarize(big.pollMs),
        firstTickMs: big.firstMs,
        firstTickWrites: big.firstWrites,
      },
    }),
    info({
      bench: 'tick',
      id: 'tick.large.done.p50',
      label: `tick at ${versionsBig} versions until its fanned-out polls ran (queue at ${QUEUE_RATE} tasks/s), p50`,
      value: summarize(big.doneMs).p50,
      unit: 'ms',
      detail: {
        summary: summarize(big.doneMs),
        fiftyVersions: summarize(history.doneMs),
        githubRequestsPerTick: big.polled,
      },
    }),
    atMost(
      {
        bench: 'tick',
        id: 'tick.reads.from-history',
        label: `extra Firestore reads per tick from ${options.tickHistory} historical deployments (${readsHistory} vs ${readsFresh})`,
        value: readsHistory - readsFresh,
        unit: 'reads',
        detail: { readsWithoutHistory: fresh.reads, readsWithHistory: history.reads },
      },
      0,
      '0: reads are O(versions + active instances), not O(history)',
    ),
    info({
      bench: 'tick',
      id: 'tick.reads.50v',
      label: `Firestore reads per tick, 50 versions, ${active(50)} active instances (writes ${median(history.writes)})`,
      value: readsHistory,
      unit: 'reads',
      detail: { reads: history.reads, writes: history.writes, firstTickWrites: history.firstWrites },
    }),
    info({
      bench: 'tick',
      id: 'tick.reads.large',
      label: `Firestore reads per tick, ${versionsBig} versions, ${active(versionsBig)} active instances (${perVersion} per added version+instance)`,
      value: readsBig,
      unit: 'reads',
      detail: { reads: big.reads, writes: big.writes, readsPerVersionAndInstance: perVersion },
    }),
  ];
  return {
    figures,
    cost: { readsPerTick: readsHistory, writesPerTick: median(history.writes), versions: 50 },
  };
}

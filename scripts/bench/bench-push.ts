/**
 * push -> Job created, on the local stack, as developers would push: signed deliveries to the
 * gateway, one new commit each, round-robin over 24 versions, arriving at random (exponential gaps
 * with a fixed seed, mean `--push-interval-ms`). The deploy policy never holds them back (interval
 * 0.001 min, capacity 10,000): every push should become a Job at once. "Job created" is the moment
 * the local Kubernetes server stores it.
 *
 * Also counted: Firestore reads and writes per push (all functions, webhook and worker), once over
 * all samples and once push by push with the stack settled in between.
 */
import {
  BENCH_NAMESPACE,
  type BenchWorld,
  createWorld,
  fakeSha,
  sendDelivery,
  signedPush,
} from './bench-env.js';
import { type BenchContext, seededRandom, sleepUntil, wallNow } from './context.js';
import type { FirestoreCounts } from './firestore-counter.js';
import { type Floor, measureFloor } from './floor.js';
import type { BenchOptions } from './options.js';
import { type PushSample, pushPhases, summarizePhases } from './phases.js';
import { atMost, type Figure, info, round, summarize } from './report.js';
import { type BenchStack, startBenchStack } from './stack-client.js';

const VERSIONS = 24;
const JOB_TIMEOUT_MS = 30_000;
const COMMIT_LABEL = 'git-manifests';

/** Per-push counts of the latest `pushes` pushes, for the cost estimate. */
export interface PushCost {
  readsPerPush: number;
  writesPerPush: number;
  deletesPerPush: number;
  versions: number;
  /** Active deployments when the sequential pushes ran (each one reads them). */
  activeDeployments: number;
}

function transactionsDiff(after: FirestoreCounts, before: FirestoreCounts) {
  return Object.fromEntries(
    Object.entries(after.transactions).map(([site, stats]) => {
      const prior = before.transactions[site];
      return [
        site,
        {
          count: stats.count - (prior?.count ?? 0),
          attempts: stats.attempts - (prior?.attempts ?? 0),
          retried: stats.retried - (prior?.retried ?? 0),
          maxMs: round(stats.maxMs),
        },
      ];
    }),
  );
}

async function pushOnce(stack: BenchStack, branch: string, label: string): Promise<PushSample> {
  const sha = fakeSha(`${label}-${wallNow()}`);
  const delivery = await signedPush(branch, sha);
  const job = stack.waitForJob((event) => event.labels[COMMIT_LABEL] === sha, JOB_TIMEOUT_MS);
  const answer = await sendDelivery(stack.url, delivery);
  if (answer.status !== 200) throw new Error(`push to ${branch} answered ${answer.status}`);
  const created = await job;
  return {
    sha,
    deliveryId: delivery.deliveryId,
    sentAt: answer.sentAt,
    answeredAt: answer.answeredAt,
    jobAt: created?.at ?? null,
  };
}

/** What made each push over 1 s slow: the phase that took more than half of its time. */
function slowPushCauses(perSample: ReturnType<typeof pushPhases>) {
  const causes: Record<string, number> = {};
  let slowCount = 0;
  for (const phases of perSample) {
    const total = phases.pushToJob;
    if (total === undefined || total <= 1000) continue;
    slowCount += 1;
    const parts = {
      'deploy task queue wait (token bucket)': phases.enqueueToDispatch ?? 0,
      'worker (launch transaction)': phases.dispatchToJob ?? 0,
      'webhook (record + hand-off)': (phases.intake ?? 0) + (phases.handOff ?? 0),
      'plan task queue wait': phases.planWait ?? 0,
      // Launched by the plan task itself (no deploy task): until its Job; else its plan pass.
      'plan task (worker)': phases.planToJob ?? phases.plan ?? 0,
    };
    const [cause] = Object.entries(parts).sort((a, b) => b[1] - a[1])[0] ?? ['unknown'];
    causes[cause] = (causes[cause] ?? 0) + 1;
  }
  return { over1s: slowCount, mainCause: causes };
}

/** Firestore operations of one push made with the stack settled, and the active deployments before it. */
interface SequentialCount {
  reads: number;
  writes: number;
  deletes: number;
  active: number;
}

/** Firestore counts over the spaced pushes: before and after them. */
interface CountWindow {
  before: FirestoreCounts;
  after: FirestoreCounts;
}

/** `pushSamples` pushes round-robin over the versions, at random gaps (mean `pushIntervalMs`). */
async function pushAtRandom(
  stack: BenchStack,
  world: BenchWorld,
  options: BenchOptions,
): Promise<PushSample[]> {
  const random = seededRandom(options.seed);
  let at = wallNow() + 100;
  const pending: Array<Promise<PushSample>> = [];
  for (let i = 0; i < options.pushSamples; i++) {
    const branch = world.versions[(i + 1) % VERSIONS]?.branch as string;
    await sleepUntil(at);
    pending.push(pushOnce(stack, branch, `push-${i}`));
    at += -Math.log(1 - random()) * options.pushIntervalMs;
  }
  return Promise.all(pending);
}

/** `costPushes` pushes one at a time, the stack settled after each: what each one costs in Firestore. */
async function countPushByPush(
  stack: BenchStack,
  world: BenchWorld,
  costPushes: number,
): Promise<SequentialCount[]> {
  const sequential: SequentialCount[] = [];
  for (let i = 0; i < costPushes; i++) {
    const active = stack.jobs.filter((job) => job.namespace === BENCH_NAMESPACE).length;
    const start = await stack.counts();
    await pushOnce(stack, world.versions[i % VERSIONS]?.branch as string, `cost-${i}`);
    await stack.settle();
    const end = await stack.counts();
    sequential.push({
      reads: end.reads - start.reads,
      writes: end.writes - start.writes,
      deletes: end.deletes - start.deletes,
      active,
    });
  }
  return sequential;
}

/** Extra reads per push for each active deployment more, from the first and last sequential push. */
function readsPerActiveDeployment(sequential: SequentialCount[]): number | null {
  if (sequential.length <= 1) return null;
  return round(
    ((sequential.at(-1)?.reads ?? 0) - (sequential[0]?.reads ?? 0)) /
      Math.max(1, (sequential.at(-1)?.active ?? 0) - (sequential[0]?.active ?? 0)),
    2,
  );
}

/** The push -> Job figures: the floor and the latency percentiles against it. */
function latencyFigures(floor: Floor, samples: PushSample[], detail: Record<string, unknown>): Figure[] {
  const latencies = samples.map((sample) =>
    sample.jobAt === null ? JOB_TIMEOUT_MS : sample.jobAt - sample.sentAt,
  );
  const missing = samples.filter((sample) => sample.jobAt === null).length;
  const job = summarize(latencies);
  const n = samples.length;
  const jobDetail = { samples: n, jobsMissing: missing, summary: job, ...detail };
  return [
    info({
      bench: 'push',
      id: 'push.floor',
      label: 'floor of push -> Job (sum of medians of the unavoidable round trips)',
      value: floor.totalMs,
      unit: 'ms',
      detail: { parts: floor.parts, samplesPerPart: floor.samples },
    }),
    atMost(
      {
        bench: 'push',
        id: 'push.job.p50',
        label: `push -> Job created, p50 (${n} pushes; p90 ${job.p90} ms)`,
        value: job.p50,
        unit: 'ms',
        detail: { ...jobDetail, ratioToFloor: round(job.p50 / floor.totalMs, 2) },
      },
      2.5 * floor.totalMs,
      `<= 2.5 x floor = ${round(2.5 * floor.totalMs)} ms; now ${round(job.p50 / floor.totalMs, 2)} x`,
    ),
    atMost(
      {
        bench: 'push',
        id: 'push.job.p99',
        label: `push -> Job created, p99 (${n} pushes, ${missing} without a Job in ${JOB_TIMEOUT_MS / 1000} s)`,
        value: job.p99,
        unit: 'ms',
        detail: jobDetail,
      },
      1000,
      '<= 1000 ms',
    ),
  ];
}

/** The deploy tasks' queue wait, for the pushes whose launch by the plan task asked for a retry. */
function deployTaskWords(phases: ReturnType<typeof summarizePhases>): string {
  const waits = phases.enqueueToDispatch;
  if (waits === undefined) return 'every push launched by its plan task, no deploy task';
  return `${waits.n} pushes through a deploy task, its wait p50 ${waits.p50}, p99 ${waits.p99} ms`;
}

/** Where the pushes' time went: the queue wait and the webhook's answer. */
function phaseFigures(phases: ReturnType<typeof summarizePhases>, counts: CountWindow): Figure[] {
  return [
    info({
      bench: 'push',
      id: 'push.queue-wait.p99',
      label: `plan task queue wait (created -> dispatched), p99 (p50 ${phases.planWait?.p50 ?? '?'} ms; ${deployTaskWords(phases)})`,
      value: phases.planWait?.p99 ?? Number.NaN,
      unit: 'ms',
      detail: { phases },
    }),
    info({
      bench: 'push',
      id: 'push.answer.p99',
      label: `webhook answer during these pushes, p99 (p50 ${phases.answer?.p50 ?? '?'} ms)`,
      value: phases.answer?.p99 ?? Number.NaN,
      unit: 'ms',
      detail: { transactions: transactionsDiff(counts.after, counts.before) },
    }),
  ];
}

/** Firestore reads and writes per push, from the last sequential push (averages over the samples in detail). */
function firestoreFigures(sequential: SequentialCount[], counts: CountWindow, n: number): Figure[] {
  const { before, after } = counts;
  const last = lastCount(sequential);
  return [
    info({
      bench: 'push',
      id: 'push.firestore.reads',
      label: `Firestore reads per push (${VERSIONS} versions, ${last.active} active deployments; +${readsPerActiveDeployment(sequential) ?? '?'} per active one)`,
      value: last.reads,
      unit: 'reads',
      detail: { sequential, averageOverSamples: round((after.reads - before.reads) / n, 1) },
    }),
    info({
      bench: 'push',
      id: 'push.firestore.writes',
      label: 'Firestore writes per push (webhook and worker)',
      value: last.writes,
      unit: 'writes',
      detail: { sequential, averageOverSamples: round((after.writes - before.writes) / n, 1) },
    }),
  ];
}

function lastCount(sequential: SequentialCount[]): SequentialCount {
  return sequential.at(-1) ?? { reads: 0, writes: 0, deletes: 0, active: 0 };
}

/** The per-push counts the monthly cost estimate starts from. */
function pushCost(sequential: SequentialCount[]): PushCost {
  const last = lastCount(sequential);
  return {
    readsPerPush: last.reads,
    writesPerPush: last.writes,
    deletesPerPush: last.deletes,
    versions: VERSIONS,
    activeDeployments: last.active,
  };
}

/** Measures push -> Job and the per-push Firestore counts; returns the figures and the cost inputs. */
export async function runPushBench(context: BenchContext): Promise<{ figures: Figure[]; cost: PushCost }> {
  const { options, progress } = context;
  await context.resetFirestore();
  const world = createWorld(
    VERSIONS,
    { minMinutesBetweenDeployments: 0.001, maxActiveDeployments: 10_000 },
    context.firestoreHost,
  );
  const stack = await startBenchStack({ env: world.env, namespace: BENCH_NAMESPACE });
  try {
    progress(`push: measuring the floor (${options.floorSamples} samples per part)`);
    const floor = await measureFloor(stack, context.firestoreHost, options.floorSamples);

    // The first push creates the Tasks client and its channel: a cold start, not the steady state.
    await pushOnce(stack, world.versions[0]?.branch as string, 'warmup');
    await stack.settle();

    progress(`push: ${options.pushSamples} pushes, mean gap ${options.pushIntervalMs} ms`);
    const before = await stack.counts();
    const samples = await pushAtRandom(stack, world, options);
    const settled = await stack.settle(60_000);
    const after = await stack.counts();
    const perSample = pushPhases(await stack.timeline(), samples);
    const phases = summarizePhases(perSample);
    const slow = slowPushCauses(perSample);

    progress('push: counting Firestore per push, one push at a time');
    const sequential = await countPushByPush(stack, world, options.costPushes);

    const counts = { before, after };
    const abortedCommits = (after.rpc.commit?.errors['10'] ?? 0) - (before.rpc.commit?.errors['10'] ?? 0);
    const figures = [
      ...latencyFigures(floor, samples, { phases, slow, abortedCommits, settled }),
      ...phaseFigures(phases, counts),
      ...firestoreFigures(sequential, counts, samples.length),
    ];
    return { figures, cost: pushCost(sequential) };
  } finally {
    await stack.stop();
    world.remove();
  }
}

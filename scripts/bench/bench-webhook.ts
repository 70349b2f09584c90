/**
 * The webhook's answer time at 20 concurrent deliveries (`--webhook-concurrency`), on the local stack:
 * rounds of signed pushes sent at once, to ignored branches first (the stack idle), then to followed
 * branches (24 versions, one new commit per push, the deploy policy never holding them back). A round
 * starts when every answer of the previous one is in; the workers run on in the background, as they
 * would. Where the followed answers' time goes: recording the push, then handing the planning over
 * (one plan task per version), with the transactions' retries.
 */
import { randomUUID } from 'node:crypto';
import {
  BENCH_NAMESPACE,
  type BenchWorld,
  createWorld,
  fakeSha,
  sendDelivery,
  signedPush,
} from './bench-env.js';
import type { Benchmark } from './context.js';
import { cpuBetween, markCpu } from './cpu.js';
import type { FirestoreCounts } from './firestore-counter.js';
import type { BenchOptions } from './options.js';
import { type PushSample, pushPhases, summarizePhases } from './phases.js';
import { atMost, type Figure, info, round, summarize } from './report.js';
import { type BenchStack, startBenchStack } from './stack-client.js';

const VERSIONS = 24;

/** Mean round trip per Firestore RPC method between two counts. */
function rpcMeans(
  after: FirestoreCounts,
  before: FirestoreCounts,
): Record<string, { calls: number; meanMs: number }> {
  return Object.fromEntries(
    Object.entries(after.rpc).map(([method, stats]) => {
      const calls = stats.calls - (before.rpc[method]?.calls ?? 0);
      const totalMs = stats.totalMs - (before.rpc[method]?.totalMs ?? 0);
      return [method, { calls, meanMs: round(totalMs / Math.max(1, calls)) }];
    }),
  );
}

/** The slowest answer of each round, in order (is one round, e.g. the first, the outlier?). */
function roundMaxima(samples: PushSample[], concurrency: number): number[] {
  const maxima: number[] = [];
  for (let start = 0; start < samples.length; start += concurrency) {
    const times = samples.slice(start, start + concurrency).map((s) => s.answeredAt - s.sentAt);
    maxima.push(round(Math.max(...times)));
  }
  return maxima;
}

async function round20(
  stack: BenchStack,
  branches: string[],
  expectedStatus: number,
): Promise<{ samples: PushSample[]; unexpected: number }> {
  const deliveries = await Promise.all(
    branches.map((branch) => signedPush(branch, fakeSha(`${branch}-${randomUUID()}`))),
  );
  const answers = await Promise.all(deliveries.map((delivery) => sendDelivery(stack.url, delivery)));
  return {
    samples: answers.map((answer, index) => ({
      sha: deliveries[index]?.after as string,
      deliveryId: deliveries[index]?.deliveryId as string,
      sentAt: answer.sentAt,
      answeredAt: answer.answeredAt,
      jobAt: null,
    })),
    unexpected: answers.filter((answer) => answer.status !== expectedStatus).length,
  };
}

/** Samples of some rounds of concurrent pushes, and how many answers were not the expected status. */
interface Rounds {
  samples: PushSample[];
  unexpected: number;
}

/** One round per `branchesOf(round)`, each started when the previous one is answered. */
async function runRounds(
  stack: BenchStack,
  rounds: number,
  branchesOf: (round: number) => string[],
  expectedStatus: number,
): Promise<Rounds> {
  const samples: PushSample[] = [];
  let unexpected = 0;
  for (let r = 0; r < rounds; r++) {
    const result = await round20(stack, branchesOf(r), expectedStatus);
    samples.push(...result.samples);
    unexpected += result.unexpected;
  }
  return { samples, unexpected };
}

/**
 * Warms up both paths (the Tasks client is created by the first followed push), then a few followed
 * pushes one at a time: the Firestore round trips of an idle stack, for comparison.
 */
async function idleRoundTrips(stack: BenchStack, world: BenchWorld) {
  await round20(stack, ['unfollowed-warmup'], 202);
  await round20(stack, [world.versions[0]?.branch as string], 200);
  await stack.settle();
  const before0 = await stack.counts();
  for (let i = 1; i <= 3; i++) {
    await round20(stack, [world.versions[i]?.branch as string], 200);
    await stack.settle();
  }
  return rpcMeans(await stack.counts(), before0);
}

/** Rounds of pushes to branches no version follows (answered 202), with their CPU and Firestore use. */
async function measureIgnored(stack: BenchStack, options: BenchOptions) {
  const concurrency = options.webhookConcurrency;
  const start = await stack.counts();
  const cpuStart = await markCpu(stack);
  const rounds = await runRounds(
    stack,
    options.webhookRounds,
    (r) => Array.from({ length: concurrency }, (_, k) => `unfollowed-${r}-${k}`),
    202,
  );
  const cpu = cpuBetween(cpuStart, await markCpu(stack));
  const phases = summarizePhases(pushPhases(await stack.timeline(), rounds.samples));
  const end = await stack.counts();
  const firestoreOps = end.reads - start.reads + (end.writes - start.writes);
  return { ...rounds, cpu, phases, firestoreOps };
}

/** Rounds of pushes to followed branches (answered 200), with their CPU and Firestore counts. */
async function measureFollowed(stack: BenchStack, world: BenchWorld, options: BenchOptions) {
  const concurrency = options.webhookConcurrency;
  const before = await stack.counts();
  const cpuStart = await markCpu(stack);
  const rounds = await runRounds(
    stack,
    options.webhookRounds,
    (r) =>
      Array.from(
        { length: concurrency },
        (_, k) => world.versions[(r * concurrency + k) % VERSIONS]?.branch as string,
      ),
    200,
  );
  const cpu = cpuBetween(cpuStart, await markCpu(stack));
  const after = await stack.counts();
  const phases = summarizePhases(pushPhases(await stack.timeline(), rounds.samples));
  return { ...rounds, cpu, phases, before, after };
}

/** Transactions per site between two counts: how many, their attempts and retries, mean duration. */
function transactionsDiff(after: FirestoreCounts, before: FirestoreCounts) {
  return Object.fromEntries(
    Object.entries(after.transactions).map(([site, stats]) => {
      const prior = before.transactions[site];
      const count = stats.count - (prior?.count ?? 0);
      const attempts = stats.attempts - (prior?.attempts ?? 0);
      const totalMs = stats.totalMs - (prior?.totalMs ?? 0);
      return [
        site,
        {
          count,
          attempts,
          retried: stats.retried - (prior?.retried ?? 0),
          meanMs: round(totalMs / Math.max(1, count)),
        },
      ];
    }),
  );
}

function answerTimes(samples: PushSample[]) {
  return summarize(samples.map((s) => s.answeredAt - s.sentAt));
}

type Followed = Awaited<ReturnType<typeof measureFollowed>>;

/** What the followed pushes' two figures share: their answer times and the transactions they ran. */
function followedLoad({ samples, before, after }: Followed) {
  return {
    answer: answerTimes(samples),
    transactions: transactionsDiff(after, before),
    abortedCommits: (after.rpc.commit?.errors['10'] ?? 0) - (before.rpc.commit?.errors['10'] ?? 0),
  };
}

/** The followed pushes' answer (target 300 ms). */
function followedFigure(
  followed: Followed,
  load: ReturnType<typeof followedLoad>,
  idleRpc: ReturnType<typeof rpcMeans>,
  concurrency: number,
): Figure {
  const { samples, before, after } = followed;
  const { answer, transactions, abortedCommits } = load;
  return atMost(
    {
      bench: 'webhook',
      id: 'webhook.followed.p99',
      label: `answer to a followed push at ${concurrency} concurrent, p99 (p50 ${answer.p50} ms, ${samples.length} pushes, ${followed.unexpected} not 200)`,
      value: answer.p99,
      unit: 'ms',
      detail: {
        summary: answer,
        phases: followed.phases,
        transactions,
        abortedCommits,
        cpu: followed.cpu,
        firestoreRpcUnderLoad: rpcMeans(after, before),
        firestoreRpcIdle: idleRpc,
        slowestPerRound: roundMaxima(samples, concurrency),
        readsPerPush: round((after.reads - before.reads) / Math.max(1, samples.length), 1),
        writesPerPush: round((after.writes - before.writes) / Math.max(1, samples.length), 1),
      },
    },
    300,
    '<= 300 ms',
  );
}

/** How much of the followed answer is the hand-off of the planning (queueing the plan tasks). */
function handOffFigure({ phases }: Followed, load: ReturnType<typeof followedLoad>): Figure {
  return info({
    bench: 'webhook',
    id: 'webhook.followed.hand-off.p50',
    label: `of which handing the planning over (queueing its plan task), p50 (p99 ${phases.handOff?.p99 ?? '?'} ms; recording the push p50 ${phases.intake?.p50 ?? '?'}, p99 ${phases.intake?.p99 ?? '?'} ms)`,
    value: phases.handOff?.p50 ?? Number.NaN,
    unit: 'ms',
    detail: { phases, transactions: load.transactions, abortedCommits: load.abortedCommits },
  });
}

/** The ignored pushes' answer (target 50 ms). */
function ignoredFigure(ignored: Awaited<ReturnType<typeof measureIgnored>>, concurrency: number): Figure {
  const { samples, cpu } = ignored;
  const answer = answerTimes(samples);
  return atMost(
    {
      bench: 'webhook',
      id: 'webhook.ignored.p99',
      label: `answer to an ignored push at ${concurrency} concurrent, p99 (p50 ${answer.p50} ms, ${samples.length} pushes, ${ignored.unexpected} not 202)`,
      value: answer.p99,
      unit: 'ms',
      detail: {
        summary: answer,
        firestoreOps: ignored.firestoreOps,
        cpu,
        functionsCpuMsPerPush: round(cpu.functionsCpuMs / Math.max(1, samples.length), 2),
        phases: ignored.phases,
        slowestPerRound: roundMaxima(samples, concurrency),
      },
    },
    50,
    '<= 50 ms',
  );
}

export const runWebhookBench: Benchmark = async (context) => {
  const { options, progress } = context;
  const concurrency = options.webhookConcurrency;
  await context.resetFirestore();
  const world = createWorld(
    VERSIONS,
    { minMinutesBetweenDeployments: 0.001, maxActiveDeployments: 10_000 },
    context.firestoreHost,
  );
  const stack = await startBenchStack({ env: world.env, namespace: BENCH_NAMESPACE });
  try {
    const idleRpc = await idleRoundTrips(stack, world);
    progress(
      `webhook: ${options.webhookRounds} rounds of ${concurrency} concurrent pushes to ignored branches`,
    );
    const ignored = await measureIgnored(stack, options);
    progress(
      `webhook: ${options.webhookRounds} rounds of ${concurrency} concurrent pushes to followed branches`,
    );
    const followed = await measureFollowed(stack, world, options);
    await stack.settle(120_000);
    const load = followedLoad(followed);
    return [
      followedFigure(followed, load, idleRpc, concurrency),
      ignoredFigure(ignored, concurrency),
      handOffFigure(followed, load),
    ];
  } finally {
    await stack.stop();
    world.remove();
  }
};

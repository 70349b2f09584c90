/**
 * The webhook's answer time at 20 concurrent deliveries (`--webhook-concurrency`), on the local stack:
 * rounds of signed pushes sent at once, to ignored branches first (the stack idle), then to followed
 * branches (24 versions, one new commit per push, the deploy policy never holding them back). A round
 * starts when every answer of the previous one is in; the workers run on in the background, as they
 * would. Where the followed answers' time goes: recording the push, then the deploy evaluation the
 * answer waits for (up to the webhook's evaluation budget), with the transactions' retries.
 */
import { randomUUID } from 'node:crypto';
import { BENCH_NAMESPACE, createWorld, fakeSha, sendDelivery, signedPush } from './bench-env.js';
import type { Benchmark } from './context.js';
import { cpuBetween, markCpu } from './cpu.js';
import type { FirestoreCounts } from './firestore-counter.js';
import { type PushSample, pushPhases, summarizePhases } from './phases.js';
import { atMost, info, round, summarize } from './report.js';
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
    // Warm up both paths (the Tasks client is created by the first followed push), then a few
    // followed pushes one at a time: the Firestore round trips of an idle stack, for comparison.
    await round20(stack, ['unfollowed-warmup'], 202);
    await round20(stack, [world.versions[0]?.branch as string], 200);
    await stack.settle();
    const before0 = await stack.counts();
    for (let i = 1; i <= 3; i++) {
      await round20(stack, [world.versions[i]?.branch as string], 200);
      await stack.settle();
    }
    const idleRpc = rpcMeans(await stack.counts(), before0);

    progress(
      `webhook: ${options.webhookRounds} rounds of ${concurrency} concurrent pushes to ignored branches`,
    );
    const ignoredStart = await stack.counts();
    const ignoredCpuStart = await markCpu(stack);
    const ignored: PushSample[] = [];
    let ignoredUnexpected = 0;
    for (let r = 0; r < options.webhookRounds; r++) {
      const branches = Array.from({ length: concurrency }, (_, k) => `unfollowed-${r}-${k}`);
      const result = await round20(stack, branches, 202);
      ignored.push(...result.samples);
      ignoredUnexpected += result.unexpected;
    }
    const ignoredCpu = cpuBetween(ignoredCpuStart, await markCpu(stack));
    const ignoredPhases = summarizePhases(pushPhases(await stack.timeline(), ignored));
    const ignoredEnd = await stack.counts();

    progress(
      `webhook: ${options.webhookRounds} rounds of ${concurrency} concurrent pushes to followed branches`,
    );
    const before = await stack.counts();
    const followedCpuStart = await markCpu(stack);
    const followed: PushSample[] = [];
    let followedUnexpected = 0;
    for (let r = 0; r < options.webhookRounds; r++) {
      const branches = Array.from(
        { length: concurrency },
        (_, k) => world.versions[(r * concurrency + k) % VERSIONS]?.branch as string,
      );
      const result = await round20(stack, branches, 200);
      followed.push(...result.samples);
      followedUnexpected += result.unexpected;
    }
    const followedCpu = cpuBetween(followedCpuStart, await markCpu(stack));
    const after = await stack.counts();
    const phases = summarizePhases(pushPhases(await stack.timeline(), followed));
    await stack.settle(120_000);

    const answer = (samples: PushSample[]) => summarize(samples.map((s) => s.answeredAt - s.sentAt));
    const followedAnswer = answer(followed);
    const ignoredAnswer = answer(ignored);
    const transactions = Object.fromEntries(
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
    const abortedCommits = (after.rpc.commit?.errors['10'] ?? 0) - (before.rpc.commit?.errors['10'] ?? 0);
    const ignoredOps = ignoredEnd.reads - ignoredStart.reads + (ignoredEnd.writes - ignoredStart.writes);
    return [
      atMost(
        {
          bench: 'webhook',
          id: 'webhook.followed.p99',
          label: `answer to a followed push at ${concurrency} concurrent, p99 (p50 ${followedAnswer.p50} ms, ${followed.length} pushes, ${followedUnexpected} not 200)`,
          value: followedAnswer.p99,
          unit: 'ms',
          detail: {
            summary: followedAnswer,
            phases,
            transactions,
            abortedCommits,
            cpu: followedCpu,
            firestoreRpcUnderLoad: rpcMeans(after, before),
            firestoreRpcIdle: idleRpc,
            slowestPerRound: roundMaxima(followed, concurrency),
            readsPerPush: round((after.reads - before.reads) / Math.max(1, followed.length), 1),
            writesPerPush: round((after.writes - before.writes) / Math.max(1, followed.length), 1),
          },
        },
        300,
        '<= 300 ms',
      ),
      atMost(
        {
          bench: 'webhook',
          id: 'webhook.ignored.p99',
          label: `answer to an ignored push at ${concurrency} concurrent, p99 (p50 ${ignoredAnswer.p50} ms, ${ignored.length} pushes, ${ignoredUnexpected} not 202)`,
          value: ignoredAnswer.p99,
          unit: 'ms',
          detail: {
            summary: ignoredAnswer,
            firestoreOps: ignoredOps,
            cpu: ignoredCpu,
            functionsCpuMsPerPush: round(ignoredCpu.functionsCpuMs / Math.max(1, ignored.length), 2),
            phases: ignoredPhases,
            slowestPerRound: roundMaxima(ignored, concurrency),
          },
        },
        50,
        '<= 50 ms',
      ),
      info({
        bench: 'webhook',
        id: 'webhook.followed.evaluation.p50',
        label: `of which the deploy evaluation the answer waits for, p50 (p99 ${phases.evaluation?.p99 ?? '?'} ms; recording the push p50 ${phases.intake?.p50 ?? '?'} ms)`,
        value: phases.evaluation?.p50 ?? Number.NaN,
        unit: 'ms',
        detail: { phases, transactions, abortedCommits },
      }),
    ];
  } finally {
    await stack.stop();
    world.remove();
  }
};

/**
 * A burst: `--burst-pushes` signed pushes (1,000) over 24 versions in `--burst-seconds` (10), sent at
 * a steady rate whatever the answers (open loop), a fifth of them redeliveries of an earlier delivery
 * (same id, same bytes) a few sends later. Deploy policy: 60 minutes between launches, capacity 100.
 * Checked afterwards: every answer 2xx; each delivery recorded by exactly one answer, every commit in
 * Firestore once; at most one Job per version (one launch per window); and 5 s and 25 s after the last
 * answer, how many versions have a Job for their newest head, with no tick in between.
 */
import { branchDocId } from '../../functions/core/names.js';
import { BENCH_NAMESPACE, BENCH_REPO, createWorld, fakeSha, sendDelivery, signedPush } from './bench-env.js';
import { type Benchmark, seededRandom, sleepUntil, wallNow } from './context.js';
import { cpuBetween, markCpu } from './cpu.js';
import type { TimelineEvent } from './host-protocol.js';
import { atLeast, atMost, type Figure, info, round, summarize } from './report.js';
import { benchFirestore } from './seed.js';
import { type JobEvent, startBenchStack } from './stack-client.js';

const VERSIONS = 24;
const VERSION_LABEL = 'auto-version-name';
const COMMIT_LABEL = 'git-manifests';

interface Send {
  deliveryId: string;
  version: number;
  commit: string;
  isRedelivery: boolean;
  delivery: Awaited<ReturnType<typeof signedPush>>;
}

/** Originals in order, each version's commits chained; redeliveries inserted a few sends later. */
async function plan(branches: string[], total: number, redeliveredShare: number, random: () => number) {
  const originals = Math.round(total * (1 - redeliveredShare));
  const heads = branches.map((branch) => fakeSha(`burst-base-${branch}`));
  const commits: string[][] = branches.map(() => []);
  const sends: Send[] = [];
  const start = Date.now();
  for (let j = 0; j < originals; j++) {
    const version = j % branches.length;
    const commit = fakeSha(`burst-${version}-${j}-${start}`);
    const pushedAt = new Date(start + j);
    const delivery = await signedPush(
      branches[version] as string,
      commit,
      heads[version],
      undefined,
      pushedAt,
    );
    heads[version] = commit;
    commits[version]?.push(commit);
    sends.push({ deliveryId: delivery.deliveryId, version, commit, isRedelivery: false, delivery });
  }
  for (let r = 0; r < total - originals; r++) {
    const index = Math.floor(random() * sends.length);
    const original = sends[index] as Send;
    const position = Math.min(sends.length, index + 1 + Math.floor(random() * 40));
    sends.splice(position, 0, { ...original, isRedelivery: true });
  }
  return { sends, commits };
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function jobsState(jobs: JobEvent[], newest: string[], versionNames: string[]) {
  const ours = jobs.filter((job) => job.namespace === BENCH_NAMESPACE);
  const withJob = new Set(ours.map((job) => job.labels[VERSION_LABEL]));
  const withNewest = versionNames.filter((name, index) =>
    ours.some((job) => job.labels[VERSION_LABEL] === name && job.labels[COMMIT_LABEL] === newest[index]),
  );
  const perVersion = countBy(ours, (job) => job.labels[VERSION_LABEL] ?? '?');
  return {
    versionsWithAnyJob: withJob.size,
    versionsWithNewestHeadJob: withNewest.length,
    maxJobsPerVersion: Math.max(0, ...Object.values(perVersion)),
  };
}

function outcomes(timeline: TimelineEvent[]) {
  const decisions: Record<string, number> = {};
  for (const event of timeline) {
    if (event.message !== 'evaluated after push') continue;
    for (const decision of Object.values((event.fields.decisions as Record<string, string>) ?? {})) {
      decisions[decision] = (decisions[decision] ?? 0) + 1;
    }
  }
  const worker = countBy(
    timeline.filter(
      (event) => event.message === 'worker done' || event.message === 'worker asks for a retry',
    ),
    (event) => String(event.fields.result),
  );
  return { planAfterPush: decisions, workerResults: worker };
}

export const runBurstBench: Benchmark = async (context) => {
  const { options, progress } = context;
  await context.resetFirestore();
  const world = createWorld(
    VERSIONS,
    { minMinutesBetweenDeployments: 60, maxActiveDeployments: 100 },
    context.firestoreHost,
  );
  const stack = await startBenchStack({ env: world.env, namespace: BENCH_NAMESPACE });
  const db = benchFirestore(context.firestoreHost);
  try {
    const names = world.versions.map((version) => version.name);
    const branches = world.versions.map((version) => version.branch);
    const { sends, commits } = await plan(
      branches,
      options.burstPushes,
      options.burstRedeliveredShare,
      seededRandom(options.seed),
    );
    const newest = commits.map((list) => list.at(-1) as string);
    // An ignored push warms the webhook up without using any version's launch window.
    await sendDelivery(stack.url, await signedPush('unfollowed-warmup', fakeSha('warmup')));
    const before = await stack.counts();
    const cpuStart = await markCpu(stack);

    progress(`burst: ${sends.length} pushes over ${VERSIONS} versions in ${options.burstSeconds} s`);
    const spacingMs = (options.burstSeconds * 1000) / sends.length;
    const startAt = wallNow() + 200;
    const answers: Array<Promise<{ send: Send; status: number; outcome: string; ms: number }>> = [];
    for (const [index, send] of sends.entries()) {
      await sleepUntil(startAt + index * spacingMs);
      answers.push(
        sendDelivery(stack.url, send.delivery).then(
          (answer) => ({
            send,
            status: answer.status,
            outcome: String(answer.body?.status ?? ''),
            ms: answer.answeredAt - answer.sentAt,
          }),
          (error: unknown) => ({
            send,
            status: 0,
            outcome: `no answer: ${String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message)}`,
            ms: Number.NaN,
          }),
        ),
      );
    }
    const sentMs = wallNow() - startAt;
    const results = await Promise.all(answers);
    const lastAnswer = wallNow();
    const cpu = cpuBetween(cpuStart, await markCpu(stack));
    await sleepUntil(lastAnswer + 5000);
    const at5 = jobsState(stack.jobs, newest, names);
    await sleepUntil(lastAnswer + 25_000);
    const at25 = jobsState(stack.jobs, newest, names);
    const after = await stack.counts();

    const non2xx = results.filter((result) => result.status < 200 || result.status > 299);
    const recordedPerDelivery = countBy(
      results.filter((result) => result.outcome === 'recorded'),
      (result) => result.send.deliveryId,
    );
    const uniqueDeliveries = new Set(sends.map((send) => send.deliveryId));
    const notRecordedOnce = [...uniqueDeliveries].filter((id) => recordedPerDelivery[id] !== 1).length;
    let commitMismatches = 0;
    let headsNewest = 0;
    for (const [index, version] of world.versions.entries()) {
      const branchRef = db.doc(`branches/${branchDocId(BENCH_REPO, version.branch)}`);
      const stored = new Set((await branchRef.collection('commits').listDocuments()).map((doc) => doc.id));
      const sent = new Set(commits[index]);
      commitMismatches += [...sent].filter((sha) => !stored.has(sha)).length;
      commitMismatches += [...stored].filter((sha) => !sent.has(sha)).length;
      if ((await branchRef.get()).data()?.sha === newest[index]) headsNewest += 1;
    }
    const deploymentsPerVersion = countBy((await db.collection('deployments').get()).docs, (doc) =>
      String(doc.data().version),
    );
    const answerTimes = summarize(results.map((result) => result.ms).filter(Number.isFinite));
    const why = outcomes(await stack.timeline());
    const pushes = sends.length;
    const detail = {
      pushes,
      uniqueDeliveries: uniqueDeliveries.size,
      sentInMs: round(sentMs),
      outcomes: countBy(results, (result) => `${result.status} ${result.outcome}`),
      answerMs: answerTimes,
      firestorePerPush: {
        reads: round((after.reads - before.reads) / pushes, 1),
        writes: round((after.writes - before.writes) / pushes, 1),
      },
      at5s: at5,
      at25s: at25,
      ...why,
      cpu,
      transactions: after.transactions,
      firestoreErrors: Object.fromEntries(
        Object.entries(after.rpc).map(([method, stats]) => [method, stats.errors]),
      ),
    };
    const figures: Figure[] = [
      atMost(
        {
          bench: 'burst',
          id: 'burst.non-2xx',
          label: `answers not 2xx (of ${pushes})`,
          value: non2xx.length,
          unit: '',
          detail,
        },
        0,
        '0',
      ),
      atMost(
        {
          bench: 'burst',
          id: 'burst.recorded-once',
          label: `deliveries not recorded by exactly one answer + commits missing or extra in Firestore (${uniqueDeliveries.size} deliveries; heads at the newest commit: ${headsNewest}/${VERSIONS})`,
          value: notRecordedOnce + commitMismatches,
          unit: '',
          detail: { notRecordedOnce, commitMismatches, headsAtNewestCommit: headsNewest },
        },
        0,
        '0',
      ),
      atMost(
        {
          bench: 'burst',
          id: 'burst.launches-per-version',
          label: 'most Jobs (launches) of one version in the 60-minute window',
          value: at25.maxJobsPerVersion,
          unit: '',
          detail: { deploymentsPerVersion },
        },
        1,
        '<= 1',
      ),
      atLeast(
        {
          bench: 'burst',
          id: 'burst.newest-head.5s',
          label: `versions with a Job for their newest head 5 s after the burst (any Job: ${at5.versionsWithAnyJob})`,
          value: at5.versionsWithNewestHeadJob,
          unit: `of ${VERSIONS}`,
          detail: why,
        },
        VERSIONS,
        `all ${VERSIONS}`,
      ),
      atLeast(
        {
          bench: 'burst',
          id: 'burst.newest-head.25s',
          label: `versions with a Job for their newest head 25 s after the burst (any Job: ${at25.versionsWithAnyJob})`,
          value: at25.versionsWithNewestHeadJob,
          unit: `of ${VERSIONS}`,
          detail: why,
        },
        VERSIONS,
        `all ${VERSIONS}`,
      ),
      info({
        bench: 'burst',
        id: 'burst.answer.p99',
        label: `webhook answer during the burst, p99 (p50 ${answerTimes.p50} ms)`,
        value: answerTimes.p99,
        unit: 'ms',
        detail: { answerMs: answerTimes },
      }),
    ];
    return figures;
  } finally {
    await stack.stop();
    await db.terminate();
    world.remove();
  }
};

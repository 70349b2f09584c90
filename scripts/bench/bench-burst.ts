/**
 * A burst: `--burst-pushes` signed pushes (1,000) over 24 versions in `--burst-seconds` (10), sent at
 * a steady rate whatever the answers (open loop), a fifth of them redeliveries of an earlier delivery
 * (same id, same bytes) a few sends later. Deploy policy: 60 minutes between launches, capacity 100.
 * Checked afterwards: every answer 2xx; each delivery recorded by exactly one answer, every commit in
 * Firestore once; at most one Job per version (one launch per window); and 5 s and 25 s after the last
 * answer, with no tick in between, how many versions launched, and how many have their newest head
 * launched or queued for when their window opens.
 */
import type { Firestore } from '@google-cloud/firestore';
import { branchDocId } from '../../functions/core/names.js';
import {
  BENCH_NAMESPACE,
  BENCH_REPO,
  type BenchWorld,
  createWorld,
  fakeSha,
  sendDelivery,
  signedPush,
} from './bench-env.js';
import {
  BURST_VERSIONS,
  type BurstAnswer,
  type BurstOutcome,
  burstFigures,
  countBy,
  jobsState,
  outcomes,
} from './burst-figures.js';
import { type BenchContext, type Benchmark, seededRandom, sleepUntil, wallNow } from './context.js';
import { cpuBetween, markCpu } from './cpu.js';
import { benchFirestore } from './seed.js';
import { type BenchStack, startBenchStack } from './stack-client.js';

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

/** Sends one delivery; a failed request (no answer at all) becomes status 0 with its cause. */
function answerTo(stack: BenchStack, send: Send): Promise<BurstAnswer> {
  return sendDelivery(stack.url, send.delivery).then(
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
  );
}

/** Sends every delivery at a steady rate whatever the answers (open loop); resolves with all answers. */
async function sendOpenLoop(stack: BenchStack, sends: Send[], burstSeconds: number) {
  const spacingMs = (burstSeconds * 1000) / sends.length;
  const startAt = wallNow() + 200;
  const answers: Array<Promise<BurstAnswer>> = [];
  for (const [index, send] of sends.entries()) {
    await sleepUntil(startAt + index * spacingMs);
    answers.push(answerTo(stack, send));
  }
  const sentMs = wallNow() - startAt;
  return { sentMs, results: await Promise.all(answers) };
}

/** Compares each branch's commits and head in Firestore with what was sent. */
async function checkBranches(db: Firestore, world: BenchWorld, commits: string[][], newest: string[]) {
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
  return { commitMismatches, headsNewest };
}

/** The versions whose newest commit has a deploy request enqueued (read from the benchmark: not counted). */
async function queuedNewest(db: Firestore, names: string[], newest: string[]): Promise<Set<string>> {
  const enqueued = await db.collection('deployRequests').where('status', '==', 'enqueued').get();
  const queued = new Set<string>();
  for (const doc of enqueued.docs) {
    const { version, commit } = doc.data() as { version: string; commit: string };
    if (newest[names.indexOf(version)] === commit) queued.add(version);
  }
  return queued;
}

/** Sends the burst, then watches the Jobs for 25 s and checks Firestore. */
async function runBurst(
  context: BenchContext,
  stack: BenchStack,
  db: Firestore,
  world: BenchWorld,
): Promise<BurstOutcome> {
  const { options, progress } = context;
  const names = world.versions.map((version) => version.name);
  const { sends, commits } = await plan(
    world.versions.map((version) => version.branch),
    options.burstPushes,
    options.burstRedeliveredShare,
    seededRandom(options.seed),
  );
  const newest = commits.map((list) => list.at(-1) as string);
  // An ignored push warms the webhook up without using any version's launch window.
  await sendDelivery(stack.url, await signedPush('unfollowed-warmup', fakeSha('warmup')));
  const before = await stack.counts();
  const cpuStart = await markCpu(stack);

  progress(`burst: ${sends.length} pushes over ${BURST_VERSIONS} versions in ${options.burstSeconds} s`);
  const { sentMs, results } = await sendOpenLoop(stack, sends, options.burstSeconds);
  const lastAnswer = wallNow();
  const cpu = cpuBetween(cpuStart, await markCpu(stack));
  await sleepUntil(lastAnswer + 5000);
  const at5 = jobsState(stack.jobs, newest, names, await queuedNewest(db, names, newest));
  await sleepUntil(lastAnswer + 25_000);
  const at25 = jobsState(stack.jobs, newest, names, await queuedNewest(db, names, newest));
  const after = await stack.counts();

  const branches = await checkBranches(db, world, commits, newest);
  const deploymentsPerVersion = countBy((await db.collection('deployments').get()).docs, (doc) =>
    String(doc.data().version),
  );
  const why = outcomes(await stack.timeline());
  return { sends, sentMs, results, cpu, at5, at25, before, after, branches, deploymentsPerVersion, why };
}

export const runBurstBench: Benchmark = async (context) => {
  await context.resetFirestore();
  const world = createWorld(
    BURST_VERSIONS,
    { minMinutesBetweenDeployments: 60, maxActiveDeployments: 100 },
    context.firestoreHost,
  );
  const stack = await startBenchStack({ env: world.env, namespace: BENCH_NAMESPACE });
  const db = benchFirestore(context.firestoreHost);
  try {
    return burstFigures(await runBurst(context, stack, db, world));
  } finally {
    await stack.stop();
    await db.terminate();
    world.remove();
  }
};

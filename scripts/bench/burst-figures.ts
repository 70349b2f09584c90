/**
 * How a burst's results are read (scripts/bench/bench-burst.ts sends it): the Jobs per version, why
 * the product decided what it did, whether each delivery was recorded once, and the burst's figures.
 */
import { BENCH_NAMESPACE } from './bench-env.js';
import type { cpuBetween } from './cpu.js';
import type { FirestoreCounts } from './firestore-counter.js';
import type { TimelineEvent } from './host-protocol.js';
import { atLeast, atMost, type Figure, info, round, type Summary, summarize } from './report.js';
import type { JobEvent } from './stack-client.js';

/** Versions in the burst's world. */
export const BURST_VERSIONS = 24;
const VERSION_LABEL = 'auto-version-name';
const COMMIT_LABEL = 'git-manifests';

/** One send's answer: its status, the `status` field of its body (or why there was none), its time. */
export interface BurstAnswer {
  send: { deliveryId: string };
  status: number;
  outcome: string;
  ms: number;
}

/** How many items share each key. */
export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/**
 * Versions with any Job, with a Job for their newest head, with their newest head launched or queued
 * (a deploy request enqueued for when the version's window opens: `queued`, names of versions), and
 * the most Jobs one version has.
 */
export function jobsState(jobs: JobEvent[], newest: string[], versionNames: string[], queued: Set<string>) {
  const ours = jobs.filter((job) => job.namespace === BENCH_NAMESPACE);
  const withJob = new Set(ours.map((job) => job.labels[VERSION_LABEL]));
  const withNewest = versionNames.filter((name, index) =>
    ours.some((job) => job.labels[VERSION_LABEL] === name && job.labels[COMMIT_LABEL] === newest[index]),
  );
  const perVersion = countBy(ours, (job) => job.labels[VERSION_LABEL] ?? '?');
  return {
    versionsWithAnyJob: withJob.size,
    versionsWithNewestHeadJob: withNewest.length,
    versionsWithNewestLaunchedOrQueued: versionNames.filter(
      (name) => withNewest.includes(name) || queued.has(name),
    ).length,
    maxJobsPerVersion: Math.max(0, ...Object.values(perVersion)),
  };
}

/** The worker's log lines that carry a task's result, or a launch its plan task made itself. */
const WORKER_RESULTS = new Set(['worker done', 'worker asks for a retry', 'plan task ran the launch']);

/** Why: the decisions after each push and the workers' results, counted from the timeline. */
export function outcomes(timeline: TimelineEvent[]) {
  const decisions: Record<string, number> = {};
  for (const event of timeline) {
    if (event.message !== 'planned after push') continue;
    for (const decision of Object.values((event.fields.decisions as Record<string, string>) ?? {})) {
      decisions[decision] = (decisions[decision] ?? 0) + 1;
    }
  }
  const worker = countBy(
    timeline.filter((event) => WORKER_RESULTS.has(event.message)),
    (event) =>
      event.message === 'plan task ran the launch'
        ? `plan-task-${String(event.fields.result)}`
        : String(event.fields.result),
  );
  const rpcTail = timeline.filter((event) => event.message === 'recording the push failed').length;
  return { planAfterPush: decisions, workerResults: worker, recordFailures: rpcTail };
}

/** How many distinct deliveries were not answered `recorded` exactly once. */
function deliveriesNotRecordedOnce(results: BurstAnswer[], sends: Array<{ deliveryId: string }>) {
  const recordedPerDelivery = countBy(
    results.filter((result) => result.outcome === 'recorded'),
    (result) => result.send.deliveryId,
  );
  const uniqueDeliveries = new Set(sends.map((send) => send.deliveryId));
  const notRecordedOnce = [...uniqueDeliveries].filter((id) => recordedPerDelivery[id] !== 1).length;
  return { uniqueDeliveries: uniqueDeliveries.size, notRecordedOnce };
}

/** What the burst left: answers, Firestore checks, Jobs 5 s and 25 s after, counts and CPU. */
export interface BurstOutcome {
  sends: Array<{ deliveryId: string }>;
  sentMs: number;
  results: BurstAnswer[];
  cpu: ReturnType<typeof cpuBetween>;
  at5: ReturnType<typeof jobsState>;
  at25: ReturnType<typeof jobsState>;
  before: FirestoreCounts;
  after: FirestoreCounts;
  branches: { commitMismatches: number; headsNewest: number };
  deploymentsPerVersion: Record<string, number>;
  why: ReturnType<typeof outcomes>;
}

/** The explanation every figure of the burst can point at. */
function burstDetail(outcome: BurstOutcome, uniqueDeliveries: number, answerTimes: Summary) {
  const { sends, results, before, after } = outcome;
  const pushes = sends.length;
  return {
    pushes,
    uniqueDeliveries,
    sentInMs: round(outcome.sentMs),
    outcomes: countBy(results, (result) => `${result.status} ${result.outcome}`),
    answerMs: answerTimes,
    firestorePerPush: {
      reads: round((after.reads - before.reads) / pushes, 1),
      writes: round((after.writes - before.writes) / pushes, 1),
    },
    at5s: outcome.at5,
    at25s: outcome.at25,
    ...outcome.why,
    cpu: outcome.cpu,
    transactions: after.transactions,
    firestoreErrors: Object.fromEntries(
      Object.entries(after.rpc).map(([method, stats]) => [method, stats.errors]),
    ),
  };
}

/** The correctness figures: every answer 2xx, every delivery and commit recorded once, one launch a window. */
function correctnessFigures(outcome: BurstOutcome, answerTimes: Summary): Figure[] {
  const { sends, results, branches } = outcome;
  const { commitMismatches, headsNewest } = branches;
  const { uniqueDeliveries, notRecordedOnce } = deliveriesNotRecordedOnce(results, sends);
  const non2xx = results.filter((result) => result.status < 200 || result.status > 299);
  return [
    atMost(
      {
        bench: 'burst',
        id: 'burst.non-2xx',
        label: `answers not 2xx (of ${sends.length})`,
        value: non2xx.length,
        unit: '',
        detail: burstDetail(outcome, uniqueDeliveries, answerTimes),
      },
      0,
      '0',
    ),
    atMost(
      {
        bench: 'burst',
        id: 'burst.recorded-once',
        label: `deliveries not recorded by exactly one answer + commits missing or extra in Firestore (${uniqueDeliveries} deliveries; heads at the newest commit: ${headsNewest}/${BURST_VERSIONS})`,
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
        value: outcome.at25.maxJobsPerVersion,
        unit: '',
        detail: { deploymentsPerVersion: outcome.deploymentsPerVersion },
      },
      1,
      '<= 1',
    ),
  ];
}

/**
 * `seconds` after the burst: every version launched (a Job), and every newest head launched or queued
 * for when its version's window opens. A Job for every newest head is impossible when a version's
 * first launch in the burst was an older commit: one launch per window is the rule (docs/benchmarks.md).
 */
function newestHeadFigures(seconds: number, state: ReturnType<typeof jobsState>, why: BurstOutcome['why']) {
  return [
    atLeast(
      {
        bench: 'burst',
        id: `burst.launched.${seconds}s`,
        label: `versions with a Job (launched) ${seconds} s after the burst, no tick`,
        value: state.versionsWithAnyJob,
        unit: `of ${BURST_VERSIONS}`,
        detail: why,
      },
      BURST_VERSIONS,
      `all ${BURST_VERSIONS}`,
    ),
    atLeast(
      {
        bench: 'burst',
        id: `burst.newest-head.${seconds}s`,
        label: `versions whose newest head has a Job, or a request queued for the window's opening, ${seconds} s after the burst (a Job: ${state.versionsWithNewestHeadJob})`,
        value: state.versionsWithNewestLaunchedOrQueued,
        unit: `of ${BURST_VERSIONS}`,
        detail: { ...state },
      },
      BURST_VERSIONS,
      `all ${BURST_VERSIONS}`,
    ),
  ];
}

/** The burst's figures, in the order they are printed. */
export function burstFigures(outcome: BurstOutcome): Figure[] {
  const answerTimes = summarize(outcome.results.map((result) => result.ms).filter(Number.isFinite));
  return [
    ...correctnessFigures(outcome, answerTimes),
    ...newestHeadFigures(5, outcome.at5, outcome.why),
    ...newestHeadFigures(25, outcome.at25, outcome.why),
    info({
      bench: 'burst',
      id: 'burst.answer.p99',
      label: `webhook answer during the burst, p99 (p50 ${answerTimes.p50} ms)`,
      value: answerTimes.p99,
      unit: 'ms',
      detail: { answerMs: answerTimes },
    }),
  ];
}

/**
 * Where a push's time goes, from the host's timeline (log lines of the functions, the Tasks emulator's
 * dispatches, the Kubernetes server's creates), matched to each push by its delivery id and commit.
 * The product's log messages are read as they are today; a phase whose events are missing is left out.
 */
import type { TimelineEvent } from './host-protocol.js';
import { type Summary, summarize } from './report.js';

/** One push as the client saw it. */
export interface PushSample {
  sha: string;
  deliveryId: string;
  sentAt: number;
  answeredAt: number;
  /** When the Job of `sha` was created, or null. */
  jobAt: number | null;
}

/** Milliseconds per phase of one push; a phase is absent when its events were not found. */
export type PushPhases = Partial<
  Record<
    'toDecision' | 'intake' | 'evaluation' | 'answer' | 'enqueueToDispatch' | 'dispatchToJob' | 'pushToJob',
    number
  >
>;

interface Index {
  byDelivery: Map<string, TimelineEvent[]>;
  bySha12: Map<string, TimelineEvent[]>;
}

function add(map: Map<string, TimelineEvent[]>, key: string, event: TimelineEvent): void {
  const list = map.get(key);
  if (list) list.push(event);
  else map.set(key, [event]);
}

function indexTimeline(timeline: readonly TimelineEvent[]): Index {
  const byDelivery = new Map<string, TimelineEvent[]>();
  const bySha12 = new Map<string, TimelineEvent[]>();
  for (const event of timeline) {
    const delivery = event.fields.deliveryId;
    if (typeof delivery === 'string') add(byDelivery, delivery, event);
    const task = typeof event.fields.task === 'string' ? event.fields.task : '';
    const fromTask = /-deploy-.+?-([0-9a-f]{12})-/.exec(task)?.[1];
    const commit =
      event.fields.commit ?? (event.fields.labels as Record<string, string> | undefined)?.['git-manifests'];
    const sha12 = fromTask ?? (typeof commit === 'string' ? commit.slice(0, 12) : undefined);
    if (sha12) add(bySha12, sha12, event);
  }
  return { byDelivery, bySha12 };
}

function firstAt(events: TimelineEvent[] | undefined, source: string, message: string): number | undefined {
  return events?.find((event) => event.source === source && event.message === message)?.at;
}

/** The phases of each sample. */
export function pushPhases(timeline: readonly TimelineEvent[], samples: readonly PushSample[]): PushPhases[] {
  const index = indexTimeline(timeline);
  return samples.map((sample) => {
    const own = index.byDelivery.get(sample.deliveryId);
    const bySha = index.bySha12.get(sample.sha.slice(0, 12));
    const recorded = firstAt(own, 'product', 'push recorded');
    const ignored = firstAt(own, 'product', 'push ignored');
    const evaluated = firstAt(own, 'product', 'evaluated after push');
    const taskCreated = firstAt(bySha, 'tasks', 'task created');
    const dispatched = firstAt(bySha, 'tasks', 'dispatching task');
    const phases: PushPhases = { answer: sample.answeredAt - sample.sentAt };
    // An ignored push is logged as soon as it is judged: the time to get there, then to answer.
    if (ignored !== undefined) phases.toDecision = ignored - sample.sentAt;
    if (recorded !== undefined) phases.intake = recorded - sample.sentAt;
    if (recorded !== undefined && evaluated !== undefined) phases.evaluation = evaluated - recorded;
    if (taskCreated !== undefined && dispatched !== undefined)
      phases.enqueueToDispatch = dispatched - taskCreated;
    if (dispatched !== undefined && sample.jobAt !== null) phases.dispatchToJob = sample.jobAt - dispatched;
    if (sample.jobAt !== null) phases.pushToJob = sample.jobAt - sample.sentAt;
    return phases;
  });
}

/** p50/p90/p99 of each phase over the samples that have it. */
export function summarizePhases(phases: readonly PushPhases[]): Record<string, Summary> {
  const names = new Set(phases.flatMap((phase) => Object.keys(phase)));
  const out: Record<string, Summary> = {};
  for (const name of names) {
    const values = phases
      .map((phase) => phase[name as keyof PushPhases])
      .filter((value): value is number => value !== undefined);
    out[name] = summarize(values);
  }
  return out;
}

/**
 * Where a push's time goes, from the host's timeline (log lines of the functions, the Tasks emulator's
 * dispatches, the Kubernetes server's creates), matched to each push by its delivery id and commit.
 * The product's log messages are read as they are today; a phase whose events are missing is left out.
 *
 * The path: the webhook records the push (`push recorded`), hands the planning over (`plan tasks
 * enqueued`) and answers; the plan task waits in the queue, the worker plans and creates the Job
 * itself (`planned after push` once it is recorded); only a launch that asked for a retry queues a
 * deploy task, which waits in the queue before the worker creates the Job.
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
    | 'toDecision'
    | 'intake'
    | 'handOff'
    | 'answer'
    | 'planWait'
    | 'plan'
    | 'planToJob'
    | 'enqueueToDispatch'
    | 'dispatchToJob'
    | 'pushToJob',
    number
  >
>;

interface Index {
  byDelivery: Map<string, TimelineEvent[]>;
  /** Deploy tasks' events, and every other event naming a commit, by its first 12 characters. */
  bySha12: Map<string, TimelineEvent[]>;
  /** Plan tasks' events (queue side), by the commit they plan. */
  planBySha12: Map<string, TimelineEvent[]>;
}

function add(map: Map<string, TimelineEvent[]>, key: string, event: TimelineEvent): void {
  const list = map.get(key);
  if (list) list.push(event);
  else map.set(key, [event]);
}

const PLAN_TASK = /-plan-.+-([0-9a-f]{12})$/;
const DEPLOY_TASK = /-deploy-.+?-([0-9a-f]{12})-/;

/** The commit an event is about: from a deploy task's name, its `commit` field, or a Job's label. */
function sha12Of(event: TimelineEvent, task: string): string | undefined {
  const fromTask = DEPLOY_TASK.exec(task)?.[1];
  if (fromTask) return fromTask;
  const commit =
    event.fields.commit ?? (event.fields.labels as Record<string, string> | undefined)?.['git-manifests'];
  return typeof commit === 'string' ? commit.slice(0, 12) : undefined;
}

function indexTimeline(timeline: readonly TimelineEvent[]): Index {
  const index: Index = { byDelivery: new Map(), bySha12: new Map(), planBySha12: new Map() };
  for (const event of timeline) {
    const delivery = event.fields.deliveryId;
    if (typeof delivery === 'string') add(index.byDelivery, delivery, event);
    const task = typeof event.fields.task === 'string' ? event.fields.task : '';
    const planned = PLAN_TASK.exec(task)?.[1];
    if (planned) {
      if (event.source === 'tasks') add(index.planBySha12, planned, event);
      continue;
    }
    const sha12 = sha12Of(event, task);
    if (sha12) add(index.bySha12, sha12, event);
  }
  return index;
}

function firstAt(events: TimelineEvent[] | undefined, source: string, message: string): number | undefined {
  return events?.find((event) => event.source === source && event.message === message)?.at;
}

/** Milliseconds from `from` to `to`, when both happened. */
function between(from: number | undefined, to: number | undefined): number | undefined {
  return from === undefined || to === undefined ? undefined : to - from;
}

/** The phases of each sample. */
export function pushPhases(timeline: readonly TimelineEvent[], samples: readonly PushSample[]): PushPhases[] {
  const index = indexTimeline(timeline);
  return samples.map((sample) => {
    const own = index.byDelivery.get(sample.deliveryId);
    const sha12 = sample.sha.slice(0, 12);
    const bySha = index.bySha12.get(sha12);
    const planTask = index.planBySha12.get(sha12);
    const recorded = firstAt(own, 'product', 'push recorded');
    const ignored = firstAt(own, 'product', 'push ignored');
    const handedOver = firstAt(own, 'product', 'plan tasks enqueued');
    const planned = firstAt(own, 'product', 'planned after push');
    const phases: PushPhases = { answer: sample.answeredAt - sample.sentAt };
    const set = (name: keyof PushPhases, value: number | undefined) => {
      if (value !== undefined) phases[name] = value;
    };
    // An ignored push is logged as soon as it is judged: the time to get there, then to answer.
    set('toDecision', between(sample.sentAt, ignored));
    set('intake', between(sample.sentAt, recorded));
    set('handOff', between(recorded, handedOver));
    set(
      'planWait',
      between(firstAt(planTask, 'tasks', 'task created'), firstAt(planTask, 'tasks', 'dispatching task')),
    );
    const planDispatched = firstAt(planTask, 'tasks', 'dispatching task');
    set('plan', between(planDispatched, planned));
    const dispatched = firstAt(bySha, 'tasks', 'dispatching task');
    if (dispatched === undefined) {
      // Launched by its plan task: no deploy task.
      set('planToJob', between(planDispatched, sample.jobAt ?? undefined));
    } else {
      set('enqueueToDispatch', between(firstAt(bySha, 'tasks', 'task created'), dispatched));
      set('dispatchToJob', between(dispatched, sample.jobAt ?? undefined));
    }
    set('pushToJob', between(sample.sentAt, sample.jobAt ?? undefined));
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

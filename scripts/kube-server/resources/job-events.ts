/**
 * The events the Job controller would have recorded for each Job, made up from its state (so that
 * `kubectl describe job` shows them): SuccessfulCreate for its pod, then Completed, or a Warning
 * with the failure's reason. Derived on every request, like the pods; a watch of events sends those
 * each change of a Job made (eventsOfChange).
 */
import { createHash } from 'node:crypto';
import type { JobChange } from '../job-changes.js';
import type { KubeJob } from '../types.js';
import { podOfJob } from './job-pods.js';

/** A core/v1 Event as served (the fields kubectl reads). */
export interface KubeEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
  };
  involvedObject: {
    kind: 'Job';
    namespace: string;
    name: string;
    uid: string;
    apiVersion: 'batch/v1';
    resourceVersion: string;
  };
  reason: string;
  message: string;
  source: { component: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: 'Normal' | 'Warning';
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

const COMPONENT = 'job-controller';

/**
 * The events a change of a Job made (a watch of events sends these): all of a new Job's, those a
 * status change added; none for a delete (a cluster keeps events until they expire).
 */
export function eventsOfChange(change: JobChange): KubeEvent[] {
  if (change.type === 'DELETED') return [];
  const known = new Set(change.before ? eventsOfJob(change.before).map((e) => e.metadata.name) : []);
  return eventsOfJob(change.job).filter((event) => !known.has(event.metadata.name));
}

/** The events of `jobs`, oldest first. */
export function eventsOfJobs(jobs: KubeJob[]): KubeEvent[] {
  return jobs
    .flatMap(eventsOfJob)
    .sort((a, b) => Date.parse(a.firstTimestamp) - Date.parse(b.firstTimestamp));
}

/** The events of one Job, in the order they happened. */
export function eventsOfJob(job: KubeJob): KubeEvent[] {
  const events: KubeEvent[] = [];
  const pod = podOfJob(job);
  if (pod)
    events.push(
      event(
        job,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${pod.metadata.name}`,
        pod.metadata.creationTimestamp,
      ),
    );
  for (const condition of job.status.conditions ?? []) {
    if (condition.status !== 'True') continue;
    if (condition.type === 'Complete')
      events.push(event(job, 'Normal', 'Completed', 'Job completed', condition.lastTransitionTime));
    if (condition.type === 'Failed')
      events.push(
        event(
          job,
          'Warning',
          condition.reason ?? 'BackoffLimitExceeded',
          condition.message ?? 'Job has reached the specified backoff limit',
          condition.lastTransitionTime,
        ),
      );
  }
  return events;
}

function event(
  job: KubeJob,
  type: KubeEvent['type'],
  reason: string,
  message: string,
  time: string,
): KubeEvent {
  const id = createHash('sha256').update(`event:${job.metadata.uid}:${reason}`).digest('hex');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${job.metadata.name}.${id.slice(0, 16)}`,
      namespace: job.metadata.namespace,
      uid: `${id.slice(16, 24)}-${id.slice(24, 28)}-${id.slice(28, 32)}-${id.slice(32, 36)}-${id.slice(36, 48)}`,
      resourceVersion: job.metadata.resourceVersion,
      creationTimestamp: time,
    },
    involvedObject: {
      kind: 'Job',
      namespace: job.metadata.namespace,
      name: job.metadata.name,
      uid: job.metadata.uid,
      apiVersion: 'batch/v1',
      resourceVersion: job.metadata.resourceVersion,
    },
    reason,
    message,
    source: { component: COMPONENT },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: COMPONENT,
    reportingInstance: '',
  };
}

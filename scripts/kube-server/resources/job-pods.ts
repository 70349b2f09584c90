/**
 * The pod of each Job, made up from the Job: nothing runs here, but `kubectl get pods -l job-name=X`
 * and `kubectl describe` should show what a cluster would. One pod per Job that is not suspended;
 * its phase follows the Job: Running until the Job finishes, then Succeeded (Complete) or Failed.
 * Derived on every request, so it is never out of step with its Job.
 */
import { createHash } from 'node:crypto';
import { isObject, type JsonObject, type KubeJob } from '../types.js';
import { containersOf } from './job-type.js';

/** A pod as served (the fields kubectl reads). */
export interface KubePod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    generateName: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels: Record<string, string>;
    ownerReferences: JsonObject[];
  };
  spec: JsonObject;
  status: {
    phase: 'Running' | 'Succeeded' | 'Failed';
    startTime: string;
    conditions: JsonObject[];
    containerStatuses: JsonObject[];
  };
}

/** Kubernetes' name generator alphabet (as for generateName). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The pods of `jobs`, in the same order. */
export function podsOfJobs(jobs: KubeJob[]): KubePod[] {
  return jobs.flatMap((job) => {
    const pod = podOfJob(job);
    return pod ? [pod] : [];
  });
}

/** The pod of one Job; null while the Job is suspended (a suspended Job has no pods). */
export function podOfJob(job: KubeJob): KubePod | null {
  if (job.spec.suspend === true) return null;
  const digest = createHash('sha256').update(`pod:${job.metadata.uid}`).digest();
  const suffix = [...digest.subarray(0, 5)]
    .map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length])
    .join('');
  const template = isObject(job.spec.template) ? job.spec.template : {};
  const templateMetadata = isObject(template.metadata) ? template.metadata : {};
  const startTime = job.status.startTime ?? job.metadata.creationTimestamp;
  const phase = phaseOf(job);
  const finishedAt = job.status.completionTime ?? lastTransitionOf(job) ?? startTime;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${job.metadata.name}-${suffix}`,
      generateName: `${job.metadata.name}-`,
      namespace: job.metadata.namespace,
      uid: uuidFrom(digest),
      resourceVersion: job.metadata.resourceVersion,
      creationTimestamp: job.metadata.creationTimestamp,
      labels: { ...(templateMetadata.labels as Record<string, string> | undefined) },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: job.metadata.name,
          uid: job.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: isObject(template.spec) ? structuredClone(template.spec) : {},
    status: {
      phase,
      startTime,
      conditions: [
        { type: 'Ready', status: phase === 'Running' ? 'True' : 'False', lastTransitionTime: startTime },
      ],
      containerStatuses: containersOf(job).map((container) => ({
        name: container.name,
        image: container.image,
        imageID: '',
        ready: phase === 'Running',
        restartCount: 0,
        started: phase === 'Running',
        state:
          phase === 'Running'
            ? { running: { startedAt: startTime } }
            : {
                terminated: {
                  exitCode: phase === 'Succeeded' ? 0 : 1,
                  reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                  startedAt: startTime,
                  finishedAt,
                },
              },
      })),
    },
  };
}

function phaseOf(job: KubeJob): KubePod['status']['phase'] {
  const has = (type: string) =>
    (job.status.conditions ?? []).some((condition) => condition.type === type && condition.status === 'True');
  if (has('Complete')) return 'Succeeded';
  if (has('Failed')) return 'Failed';
  return 'Running';
}

function lastTransitionOf(job: KubeJob): string | undefined {
  return job.status.conditions?.at(-1)?.lastTransitionTime;
}

/** A UUID-shaped id from a digest, stable for the same Job. */
function uuidFrom(digest: Buffer): string {
  const hex = digest.subarray(8, 24).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

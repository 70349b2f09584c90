/**
 * What a Job's status looks like as it runs and ends, written the way the Job controller writes it.
 * Each function changes a stored Job in place, given the time `now` (RFC 3339); JobStore.updateStatus
 * applies them and bumps the resourceVersion.
 */
import type { KubeJob, KubeJobCondition } from './types.js';

/** The backoffLimit a Job gets when its spec has none. */
const DEFAULT_BACKOFF_LIMIT = 6;

/** True when the Job has a Complete or Failed condition that is "True". */
export function isFinished(job: KubeJob): boolean {
  return (job.status.conditions ?? []).some(
    (condition) =>
      (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
  );
}

/** startTime (kept if set) and, unless it has finished, active: 1. */
export function markStarted(job: KubeJob, now: string): void {
  job.status.startTime ??= now;
  if (!isFinished(job)) job.status.active = 1;
}

/** Condition Complete "True", completionTime, succeeded: 1; no longer active. */
export function markComplete(job: KubeJob, now: string): void {
  job.status.startTime ??= job.metadata.creationTimestamp;
  delete job.status.active;
  job.status.completionTime = now;
  job.status.succeeded = 1;
  job.status.conditions = [
    ...(job.status.conditions ?? []).filter((condition) => condition.type !== 'Complete'),
    terminalCondition('Complete', now),
  ];
}

/** Condition Failed "True" with `reason` and `message`, failed: backoffLimit + 1; no longer active. */
export function markFailed(job: KubeJob, now: string, message?: string, reason?: string): void {
  const backoffLimit =
    typeof job.spec.backoffLimit === 'number' ? job.spec.backoffLimit : DEFAULT_BACKOFF_LIMIT;
  job.status.startTime ??= job.metadata.creationTimestamp;
  delete job.status.active;
  job.status.failed = backoffLimit + 1;
  job.status.conditions = [
    ...(job.status.conditions ?? []).filter((condition) => condition.type !== 'Failed'),
    terminalCondition(
      'Failed',
      now,
      reason ?? 'BackoffLimitExceeded',
      message ?? 'Job has reached the specified backoff limit',
    ),
  ];
}

function terminalCondition(
  type: 'Complete' | 'Failed',
  now: string,
  reason?: string,
  message?: string,
): KubeJobCondition {
  const condition: KubeJobCondition = {
    type,
    status: 'True',
    lastProbeTime: now,
    lastTransitionTime: now,
  };
  if (reason !== undefined) condition.reason = reason;
  if (message !== undefined) condition.message = message;
  return condition;
}

/**
 * Drives Jobs' status the way a cluster would run them: the control API and the in-process
 * `startJob` / `completeJob` / `failJob` of the server both come here. Hands out copies.
 */
import { markComplete, markFailed, markStarted } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { KubeJob } from './types.js';

/** Starts, completes and fails stored Jobs. */
export class JobControl {
  constructor(private readonly store: JobStore) {}

  /** Marks the Job started (startTime, active: 1). */
  start(namespace: string, name: string): KubeJob {
    return structuredClone(this.store.updateStatus(namespace, name, markStarted));
  }

  /** Marks the Job complete: condition Complete "True", completionTime, succeeded: 1. */
  complete(namespace: string, name: string): KubeJob {
    return structuredClone(this.store.updateStatus(namespace, name, markComplete));
  }

  /** Marks the Job failed: condition Failed "True" with `reason` and `message`, failed: backoffLimit + 1. */
  fail(namespace: string, name: string, message?: string, reason?: string): KubeJob {
    return structuredClone(
      this.store.updateStatus(namespace, name, (job, now) => markFailed(job, now, message, reason)),
    );
  }
}

/**
 * Drives Jobs' status the way a cluster would run them: the control API, the in-process
 * `startJob` / `completeJob` / `failJob` of the server and the JobRunner all come here, and every
 * Job that finishes, however, is announced to the `onJobFinished` listeners. Hands out copies.
 */
import { isFinished, markComplete, markFailed, markStarted } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { JsonObject, KubeJob } from './types.js';

/** How a Job ended. */
export type JobOutcome = 'Complete' | 'Failed';

/**
 * Called once when a Job finishes (gets its Complete or Failed condition), with a copy of the Job.
 * Errors it throws or rejects with are logged, never passed to whoever finished the Job.
 */
export type JobFinishedListener = (job: KubeJob, outcome: JobOutcome) => void | Promise<void>;

/** Starts, completes and fails stored Jobs, and tells listeners when one finishes. */
export class JobControl {
  private readonly listeners = new Set<JobFinishedListener>();

  constructor(
    private readonly store: JobStore,
    private readonly log: (entry: JsonObject) => void,
  ) {}

  /** Marks the Job started (startTime, active: 1). */
  start(namespace: string, name: string): KubeJob {
    return structuredClone(this.store.updateStatus(namespace, name, markStarted));
  }

  /** Marks the Job complete: condition Complete "True", completionTime, succeeded: 1. */
  complete(namespace: string, name: string): KubeJob {
    return this.finish(namespace, name, 'Complete', markComplete);
  }

  /** Marks the Job failed: condition Failed "True" with `reason` and `message`, failed: backoffLimit + 1. */
  fail(namespace: string, name: string, message?: string, reason?: string): KubeJob {
    return this.finish(namespace, name, 'Failed', (job, now) => markFailed(job, now, message, reason));
  }

  /** Adds a listener; returns the function that removes it. */
  onJobFinished(listener: JobFinishedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private finish(
    namespace: string,
    name: string,
    outcome: JobOutcome,
    change: (job: KubeJob, now: string) => void,
  ): KubeJob {
    const wasFinished = isFinished(this.store.require(namespace, name));
    const job = structuredClone(this.store.updateStatus(namespace, name, change));
    // Completing a finished Job again changes its status but is not a second ending.
    if (!wasFinished) this.announce(job, outcome);
    return job;
  }

  private announce(job: KubeJob, outcome: JobOutcome): void {
    this.log({
      severity: 'INFO',
      message: 'job finished',
      namespace: job.metadata.namespace,
      job: job.metadata.name,
      outcome,
    });
    for (const listener of this.listeners) {
      const report = (error: unknown) =>
        this.log({
          severity: 'ERROR',
          message: 'a job-finished listener failed',
          job: job.metadata.name,
          error: error instanceof Error ? error.stack : String(error),
        });
      try {
        // Each listener gets its own copy: one cannot change what the next one sees.
        Promise.resolve(listener(structuredClone(job), outcome)).catch(report);
      } catch (error) {
        report(error);
      }
    }
  }
}

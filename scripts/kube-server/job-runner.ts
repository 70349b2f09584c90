/**
 * Runs Jobs as if a cluster did, for `npm start`: a Job is started when it is created and completes
 * by itself `jobSeconds` later (unless it was finished, deleted or replaced meanwhile). With
 * `jobSeconds` 0 it does nothing, and Jobs stay as created until driven through the control API
 * (what the tests want). Timers are injectable so tests need not wait.
 */
import type { JobControl } from './job-control.js';
import { isFinished } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { KubeJob } from './types.js';

/** The timer functions the runner uses (Node's by default; tests pass fakes to drive time). */
export interface JobTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: JobTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Starts Jobs and completes them after a delay. */
export class JobRunner {
  /** Pending completions by Job uid (a uid, not a name: a Job deleted and re-created is another Job). */
  private readonly pending = new Map<string, unknown>();

  constructor(
    private readonly store: JobStore,
    private readonly control: JobControl,
    private readonly jobSeconds: number,
    private readonly timers: JobTimers = nodeTimers,
  ) {}

  /** Starts a just-created Job and schedules its completion; nothing when jobSeconds is 0 or it is suspended. */
  run(job: KubeJob): void {
    if (this.jobSeconds === 0 || job.spec.suspend === true) return;
    const { namespace, name, uid } = job.metadata;
    this.control.start(namespace, name);
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(uid);
      const current = this.store.get(namespace, name);
      if (current && current.metadata.uid === uid && !isFinished(current))
        this.control.complete(namespace, name);
    }, this.jobSeconds * 1000);
    this.pending.set(uid, handle);
  }

  /** Cancels every pending completion (on reset and stop). */
  cancelAll(): void {
    for (const handle of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
  }
}

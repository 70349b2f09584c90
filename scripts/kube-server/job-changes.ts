/**
 * The Jobs' changes, for watches (`?watch=true`, watch.ts): each create, status change and
 * delete as a watch event with the Job as it was then, kept for the last `HISTORY` changes so that a
 * watch from a recent resourceVersion (kubectl lists, then watches from the list's) misses nothing; an
 * older one is 410 Gone ("too old resource version"), as the API server answers.
 */
import { StatusError } from './status-error.js';
import type { KubeJob } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One change: its type, the Job after it (a deleted one as it was, with the delete's resourceVersion),
 * and for a status change the Job before it (what the events it made are told apart by).
 */
export interface JobChange {
  type: WatchEventType;
  job: KubeJob;
  before?: KubeJob;
}

type Listener = (change: JobChange) => void;

/** How many changes are kept for watches that start from an earlier resourceVersion. */
const HISTORY = 1000;

export class JobChanges {
  private readonly history: JobChange[] = [];
  private readonly listeners = new Set<Listener>();

  /** Records a change (the Job is copied; `before`, a copy already, is kept) and tells every watch. */
  publish(type: WatchEventType, job: KubeJob, before?: KubeJob): void {
    const change: JobChange = { type, job: structuredClone(job), ...(before ? { before } : {}) };
    this.history.push(change);
    if (this.history.length > HISTORY) this.history.shift();
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Calls `listener` with every change after `resourceVersion` still kept (none when it is empty),
   * then with each new one; returns the unsubscribe. Throws 410 Gone when changes after
   * `resourceVersion` were dropped already.
   */
  subscribe(resourceVersion: string, listener: Listener): () => void {
    if (resourceVersion !== '' && resourceVersion !== '0') {
      const from = Number(resourceVersion);
      const oldest = this.history[0];
      if (!Number.isFinite(from))
        throw new StatusError(400, 'BadRequest', `invalid resourceVersion ${resourceVersion}`);
      if (
        oldest &&
        Number(oldest.job.metadata.resourceVersion) > from + 1 &&
        this.history.length >= HISTORY
      ) {
        throw new StatusError(410, 'Expired', `too old resource version: ${resourceVersion}`);
      }
      for (const change of this.history) {
        if (Number(change.job.metadata.resourceVersion) > from) listener(change);
      }
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listen now: the open watches and followed logs. */
  get listening(): number {
    return this.listeners.size;
  }

  /** Forgets the history (the store was cleared); open watches stay. */
  clear(): void {
    this.history.length = 0;
  }
}

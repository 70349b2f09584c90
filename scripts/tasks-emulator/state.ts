/** The emulator's in-memory records of queues, tasks and attempts. */
import type { RateSettings, RetrySettings } from './queue-settings.js';

/** One queue: its settings, its tasks, and the dispatcher's counters for it. */
export interface QueueState {
  name: string;
  /** The queue id, the last part of the name. */
  shortId: string;
  rate: RateSettings;
  retry: RetrySettings;
  appEngineRoutingOverride: unknown;
  stackdriverLoggingConfig: { samplingRatio?: number } | null;
  state: 'RUNNING' | 'PAUSED';
  tasks: Map<string, TaskState>;
  /** Attempts of this queue's tasks currently waiting for their HTTP answer. */
  inFlight: number;
  /** The token bucket of max_dispatches_per_second / max_burst_size. */
  tokens: number;
  tokensUpdatedMs: number;
}

/** One attempt as Task.last_attempt reports it. */
export interface AttemptState {
  scheduleMs: number;
  dispatchMs: number;
  responseMs: number | null;
  status: { code: number; message: string } | null;
}

/** One task and what happened to it so far. */
export interface TaskState {
  name: string;
  /** The task id, the last part of the name. */
  shortId: string;
  queue: QueueState;
  /** Creation order, the tie-break between tasks of the same schedule time. */
  sequence: number;
  scheduleTimeMs: number;
  createTimeMs: number;
  dispatchDeadlineMs: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  oidcToken: { serviceAccountEmail: string; audience: string } | null;
  oauthToken: { serviceAccountEmail: string; scope: string } | null;
  dispatchCount: number;
  responseCount: number;
  /** Handler responses other than 5xx, for X-CloudTasks-TaskExecutionCount. */
  executionCount: number;
  firstDispatchMs: number | null;
  lastAttempt: AttemptState | null;
  previousResponseCode: number | null;
  retryReason: string | null;
  /** An attempt is waiting for its HTTP answer (the dispatcher never runs two attempts of a task at once). */
  isInFlight: boolean;
  /** Completed, dropped or its queue deleted: an attempt still in flight must not touch it. */
  isRemoved: boolean;
}

/**
 * The dispatcher: delivers due tasks over HTTP within each running queue's limits (a token bucket for
 * max_dispatches_per_second / max_burst_size, max_concurrent_dispatches), retries failed attempts with
 * the queue's backoff, and drops a task once its retries are exhausted. One timer at a time: after each
 * pass it sleeps until the next task is due or the next token arrives.
 */
import type { LogEntry } from '../lib/grpc-emulator.js';
import { computeBackoffMs, hasExhaustedRetries } from './backoff.js';
import { buildDispatchHeaders } from './dispatch-headers.js';
import { DrainWaiters } from './drain-waiters.js';
import { type AttemptOutcome, describeOutcome, HttpAttempts } from './http-attempt.js';
import { burstSize } from './queue-settings.js';
import type { QueueStore } from './queue-store.js';
import type { AttemptState, QueueState, TaskState } from './state.js';

/** Upper bound of one dispatcher timer, so an injected or adjusted clock is re-read regularly. */
const MAX_TIMER_WAIT_MS = 1000;

function refillTokens(queue: QueueState, now: number): void {
  const elapsedMs = Math.max(0, now - queue.tokensUpdatedMs);
  queue.tokens = Math.min(
    burstSize(queue.rate),
    queue.tokens + (elapsedMs / 1000) * queue.rate.maxDispatchesPerSecond,
  );
  queue.tokensUpdatedMs = now;
}

function waitingInOrder(queue: QueueState): TaskState[] {
  return [...queue.tasks.values()]
    .filter((task) => !task.isInFlight)
    .sort((a, b) => a.scheduleTimeMs - b.scheduleTimeMs || a.sequence - b.sequence);
}

/** Delivers the tasks of a {@link QueueStore}. */
export class Dispatcher {
  private readonly attempts = new HttpAttempts();
  private readonly drainWaiters = new DrainWaiters();
  private timer: NodeJS.Timeout | undefined;
  private isStopped = false;
  private isPumpScheduled = false;

  constructor(
    private readonly store: QueueStore,
    private readonly now: () => number,
    private readonly log: (entry: LogEntry) => void,
  ) {}

  /** Dispatches every task that is due and allowed, then arms one timer for the next thing to do. */
  pump(): void {
    if (this.isStopped) return;
    const now = this.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const queue of this.store.allQueues()) {
      if (queue.state === 'RUNNING') wakeAt = Math.min(wakeAt, this.pumpQueue(queue, now));
    }
    this.store.pruneTombstones(now);
    this.armTimer(wakeAt, now);
    if (!this.drainWaiters.isEmpty && this.store.isIdle()) this.drainWaiters.resolveAll();
  }

  /** Runs pump() once on the next turn of the event loop, however many times it is asked for before. */
  schedulePump(): void {
    if (this.isPumpScheduled) return;
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      this.pump();
    });
  }

  /** Resolves once the store is idle (see {@link QueueStore.isIdle}); rejects after `timeoutMs` or on stop. */
  drain(timeoutMs: number): Promise<void> {
    if (this.store.isIdle()) return Promise.resolve();
    if (this.isStopped) return Promise.reject(new Error('Tasks emulator stopped: it will never drain.'));
    return this.drainWaiters.wait(timeoutMs, () => JSON.stringify(this.store.stats()));
  }

  /** Clears the timer, aborts attempts in progress and rejects pending drains. */
  stop(): void {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.attempts.abortAll();
    // A pending drain() would otherwise wait for its whole timeout.
    this.drainWaiters.rejectAll(new Error('Tasks emulator stopped before it drained.'));
  }

  /** Dispatches what `queue` allows now; returns when it next needs a pass (Infinity: only on a change). */
  private pumpQueue(queue: QueueState, now: number): number {
    refillTokens(queue, now);
    for (const task of waitingInOrder(queue)) {
      if (task.scheduleTimeMs > now) return task.scheduleTimeMs;
      // Completion of an attempt calls pump() again, so no timer is needed for concurrency.
      if (queue.inFlight >= queue.rate.maxConcurrentDispatches) break;
      if (queue.tokens < 1) return now + ((1 - queue.tokens) / queue.rate.maxDispatchesPerSecond) * 1000;
      queue.tokens -= 1;
      this.dispatch(task);
    }
    return Number.POSITIVE_INFINITY;
  }

  private armTimer(wakeAt: number, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!Number.isFinite(wakeAt)) return;
    const waitMs = Math.min(MAX_TIMER_WAIT_MS, Math.max(1, Math.ceil(wakeAt - now)));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, waitMs);
    this.timer.unref();
  }

  private dispatch(task: TaskState): void {
    const now = this.now();
    const retryCount = task.dispatchCount;
    task.dispatchCount += 1;
    task.firstDispatchMs ??= now;
    const attempt: AttemptState = {
      scheduleMs: task.scheduleTimeMs,
      dispatchMs: now,
      responseMs: null,
      status: null,
    };
    task.lastAttempt = attempt;
    task.isInFlight = true;
    task.queue.inFlight += 1;
    const headers = buildDispatchHeaders(task, retryCount, now);
    this.log({
      severity: 'DEBUG',
      message: 'dispatching task',
      task: task.name,
      url: task.url,
      attempt: task.dispatchCount,
    });
    void this.attempts.send(task, headers).then((outcome) => this.completeAttempt(task, attempt, outcome));
  }

  /** Records the outcome on the task and its attempt; returns the status (its message is the retry reason). */
  private recordOutcome(task: TaskState, attempt: AttemptState, outcome: AttemptOutcome, now: number) {
    const status = describeOutcome(outcome);
    attempt.status = status;
    if (outcome.kind === 'response') {
      task.responseCount += 1;
      // X-CloudTasks-TaskExecutionCount "does not include failures due to 5XX error codes".
      if (outcome.status < 500) task.executionCount += 1;
      task.previousResponseCode = outcome.status;
      attempt.responseMs = now;
    } else {
      task.previousResponseCode = null;
    }
    return {
      isSuccess: outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300,
      status,
    };
  }

  private completeAttempt(task: TaskState, attempt: AttemptState, outcome: AttemptOutcome): void {
    if (this.isStopped) return;
    const now = this.now();
    task.isInFlight = false;
    task.queue.inFlight -= 1;
    const { isSuccess, status } = this.recordOutcome(task, attempt, outcome, now);
    const context = { task: task.name, url: task.url, attempt: task.dispatchCount, outcome: status.message };
    if (task.isRemoved) {
      this.log({ severity: 'DEBUG', message: 'attempt finished for a removed task', ...context });
    } else if (isSuccess) {
      this.store.removeTask(task);
      this.log({ severity: 'INFO', message: 'task completed', ...context });
    } else if (hasExhaustedRetries(task.queue.retry, task, now)) {
      this.store.removeTask(task);
      this.log({ severity: 'WARNING', message: 'task dropped: retries exhausted', ...context });
    } else {
      const backoffMs = computeBackoffMs(task.queue.retry, task.dispatchCount);
      task.scheduleTimeMs = now + backoffMs;
      task.retryReason = status.message;
      this.log({ severity: 'INFO', message: 'attempt failed, will retry', ...context, backoffMs });
    }
    this.pump();
  }
}

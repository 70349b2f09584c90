/**
 * Queue state: the queues and their tasks, and the names of finished tasks that stay reserved for a
 * while (Cloud Tasks refuses to reuse a task name for about an hour). Knows nothing of dispatching:
 * callers tell the dispatcher when something changed.
 */
import { alreadyExists, invalidArgument, type LogEntry, notFound } from '../lib/grpc-emulator.js';
import { generateTaskId, LOCATION_NAME, QUEUE_NAME, TASK_NAME } from './names.js';
import { burstSize, readRateLimits, readRetryConfig } from './queue-settings.js';
import type { QueueState, TaskState } from './state.js';
import { readHeaders, readHttpTarget, readTiming } from './task-request.js';
import type { QueueMessage, TaskMessage } from './wire.js';

/** Counts, for tests and debugging. */
export interface TasksEmulatorStats {
  queues: number;
  tasks: number;
  inFlight: number;
  tombstones: number;
}

/** The queues and tasks of one emulator. */
export class QueueStore {
  private readonly queues = new Map<string, QueueState>();
  /** Full task name -> epoch ms until which the name cannot be reused. */
  private readonly tombstones = new Map<string, number>();
  private sequence = 0;

  constructor(
    private readonly now: () => number,
    private readonly log: (entry: LogEntry) => void,
    private readonly tombstoneMs: number,
  ) {}

  /** Every queue, in creation order. */
  allQueues(): IterableIterator<QueueState> {
    return this.queues.values();
  }

  /** CreateQueue: ALREADY_EXISTS for a taken name, INVALID_ARGUMENT for a bad name or setting. */
  createQueue(parent: string, message: QueueMessage | null | undefined): QueueState {
    if (!LOCATION_NAME.test(parent)) {
      throw invalidArgument(`parent must look like projects/PROJECT/locations/LOCATION, got "${parent}".`);
    }
    if (!message) throw invalidArgument('queue is required.');
    const name = message.name ?? '';
    const match = QUEUE_NAME.exec(name);
    if (!match || match[1] !== parent) {
      throw invalidArgument(
        `queue.name must look like ${parent}/queues/QUEUE_ID (letters, digits, hyphens), got "${name}".`,
      );
    }
    if (this.queues.has(name)) throw alreadyExists(`Queue ${name} already exists.`);
    const rate = readRateLimits(message.rateLimits);
    const retry = readRetryConfig(message.retryConfig);
    const queue: QueueState = {
      name,
      shortId: match[2] as string,
      rate,
      retry,
      appEngineRoutingOverride: message.appEngineRoutingOverride ?? null,
      stackdriverLoggingConfig: message.stackdriverLoggingConfig ?? null,
      state: 'RUNNING',
      tasks: new Map(),
      inFlight: 0,
      tokens: burstSize(rate),
      tokensUpdatedMs: this.now(),
    };
    this.queues.set(name, queue);
    this.log({
      severity: 'INFO',
      message: 'queue created',
      queue: name,
      rateLimits: rate,
      retryConfig: retry,
    });
    return queue;
  }

  /** The queue `name`: INVALID_ARGUMENT for a malformed name, NOT_FOUND for an unknown one. */
  getQueue(name: string): QueueState {
    if (!QUEUE_NAME.test(name)) {
      throw invalidArgument(
        `name must look like projects/PROJECT/locations/LOCATION/queues/QUEUE, got "${name}".`,
      );
    }
    const queue = this.queues.get(name);
    if (!queue) throw notFound(`Queue ${name} does not exist.`);
    return queue;
  }

  /** DeleteQueue: drops its tasks and frees their names (no queue tombstone is kept). */
  deleteQueue(name: string): void {
    const queue = this.getQueue(name);
    for (const task of queue.tasks.values()) task.isRemoved = true;
    queue.tasks.clear();
    this.queues.delete(name);
    for (const taskName of this.tombstones.keys()) {
      if (taskName.startsWith(`${name}/tasks/`)) this.tombstones.delete(taskName);
    }
    this.log({ severity: 'INFO', message: 'queue deleted', queue: name });
  }

  /** PauseQueue / ResumeQueue. */
  setQueueState(name: string, state: 'RUNNING' | 'PAUSED'): QueueState {
    const queue = this.getQueue(name);
    queue.state = state;
    this.log({
      severity: 'INFO',
      message: state === 'PAUSED' ? 'queue paused' : 'queue resumed',
      queue: name,
    });
    return queue;
  }

  /** CreateTask: validates the request, claims the name (or generates one) and stores the task. */
  createTask(parent: string, message: TaskMessage | null | undefined): TaskState {
    const queue = this.getQueue(parent);
    const target = readHttpTarget(message);
    const taskMessage = message as TaskMessage;
    const now = this.now();
    const { name, shortId } = this.claimTaskName(queue, taskMessage.name ?? '', now);
    const timing = readTiming(taskMessage, now);
    const headers = readHeaders(target.rawHeaders, (header) =>
      this.log({ severity: 'WARNING', message: 'reserved task header ignored', task: name, header }),
    );
    const task: TaskState = {
      name,
      shortId,
      queue,
      sequence: this.sequence++,
      scheduleTimeMs: timing.scheduleTimeMs,
      createTimeMs: now,
      dispatchDeadlineMs: timing.dispatchDeadlineMs,
      url: target.url,
      method: target.method,
      headers,
      body: target.body,
      oidcToken: target.oidcToken,
      oauthToken: target.oauthToken,
      dispatchCount: 0,
      responseCount: 0,
      executionCount: 0,
      firstDispatchMs: null,
      lastAttempt: null,
      previousResponseCode: null,
      retryReason: null,
      isInFlight: false,
      isRemoved: false,
    };
    queue.tasks.set(name, task);
    this.log({
      severity: 'DEBUG',
      message: 'task created',
      task: name,
      url: task.url,
      scheduleTimeMs: task.scheduleTimeMs,
    });
    return task;
  }

  /** The given name if it is well-formed and free (not queued, not reserved), else a generated one. */
  private claimTaskName(queue: QueueState, name: string, now: number): { name: string; shortId: string } {
    if (!name) {
      const shortId = generateTaskId();
      return { name: `${queue.name}/tasks/${shortId}`, shortId };
    }
    const match = TASK_NAME.exec(name);
    if (!match || match[1] !== queue.name) {
      throw invalidArgument(
        `task.name must look like ${queue.name}/tasks/TASK_ID (letters, digits, hyphens, underscores), got "${name}".`,
      );
    }
    if (queue.tasks.has(name)) throw alreadyExists(`Task ${name} already exists.`);
    const reservedUntil = this.tombstones.get(name);
    if (reservedUntil !== undefined && reservedUntil > now) {
      throw alreadyExists(
        `The task ${name} cannot be created because a task with this name existed too recently.`,
      );
    }
    return { name, shortId: match[2] as string };
  }

  /** GetTask: NOT_FOUND once the task completed, was dropped or its queue deleted. */
  getTask(name: string): TaskState {
    const match = TASK_NAME.exec(name);
    if (!match) {
      throw invalidArgument(
        `name must look like projects/P/locations/L/queues/Q/tasks/TASK_ID, got "${name}".`,
      );
    }
    const queue = this.queues.get(match[1] as string);
    if (!queue) throw notFound(`Queue ${match[1]} does not exist.`);
    const task = queue.tasks.get(name);
    if (!task) throw notFound(`Task ${name} does not exist (it may have completed or been deleted).`);
    return task;
  }

  /** ListTasks: the queue's tasks in schedule order (creation order between equal times). */
  listTasks(parent: string): TaskState[] {
    const queue = this.getQueue(parent);
    return [...queue.tasks.values()].sort(
      (a, b) => a.scheduleTimeMs - b.scheduleTimeMs || a.sequence - b.sequence,
    );
  }

  /** Forgets a completed or dropped task and reserves its name for the tombstone time. */
  removeTask(task: TaskState): void {
    task.isRemoved = true;
    task.queue.tasks.delete(task.name);
    this.tombstones.set(task.name, this.now() + this.tombstoneMs);
  }

  /** Frees the names whose reservation ended. */
  pruneTombstones(now: number): void {
    for (const [name, until] of this.tombstones) {
      if (until <= now) this.tombstones.delete(name);
    }
  }

  /** True when no attempt is in flight and every running queue is empty (paused queues may hold tasks). */
  isIdle(): boolean {
    for (const queue of this.queues.values()) {
      if (queue.inFlight > 0 || (queue.state === 'RUNNING' && queue.tasks.size > 0)) return false;
    }
    return true;
  }

  stats(): TasksEmulatorStats {
    let tasks = 0;
    let inFlight = 0;
    for (const queue of this.queues.values()) {
      tasks += queue.tasks.size;
      inFlight += queue.inFlight;
    }
    return { queues: this.queues.size, tasks, inFlight, tombstones: this.tombstones.size };
  }
}

/**
 * A small Cloud Tasks emulator for development and tests: a gRPC server implementing part of
 * `google.cloud.tasks.v2.CloudTasks` (from the protos `@google-cloud/tasks` ships) plus a dispatcher
 * that delivers HTTP tasks to their URLs with Cloud Tasks' rate limits, retries and headers.
 *
 * The real `CloudTasksClient` talks to it with
 * `{apiEndpoint: host, port, sslCreds: grpc.credentials.createInsecure(), projectId}`.
 * Never use it in production: the OIDC tokens it sends are unsigned (see {@link buildUnsignedOidcToken}).
 *
 * RPCs served, and who needs each:
 * - CreateTask: the product's deploy queue (functions/adapters/tasks-queue.ts).
 * - CreateQueue: the local stack creates its queue at start (scripts/lib/local-stack.ts `ensureQueue`,
 *   the e2e tests through it) and tests create theirs.
 * - PauseQueue / ResumeQueue: tests of the product hold tasks in a paused queue to inspect them
 *   (test/integration/tasks-queue.test.ts, scheduler-tick.test.ts).
 * - DeleteQueue: those tests drop each test's queue, so nothing leaks into the next test.
 * - GetTask / ListTasks: those tests read what the product enqueued (URL, body, OIDC token, deadline).
 * Every other RPC (GetQueue, ListQueues, UpdateQueue, PurgeQueue, RunTask, DeleteTask, the IAM ones)
 * answers UNIMPLEMENTED with a message that lists these: nothing in the project calls them.
 *
 * Parts: queue-store.ts (queues, tasks, reserved names), dispatcher.ts (rate limits, concurrency,
 * retries, schedule times), http-attempt.ts (the HTTP call and its deadline), dispatch-headers.ts,
 * task-request.ts / queue-settings.ts (reading requests), rpc-*.ts (the handlers), messages.ts / wire.ts.
 *
 * Deliberately more lenient than Cloud Tasks, so tests can run fast: `dispatch_deadline` may be under
 * the real 15 s minimum, and `rate_limits.max_burst_size` (output only in Cloud Tasks) is honoured
 * when given. Not emulated: App Engine tasks, queue tombstones after DeleteQueue.
 */
import {
  buildServiceImplementation,
  type LogEntry,
  shutdownGrpcServer,
  startGrpcServer,
  writeJsonLine,
} from '../lib/grpc-emulator.js';
import { loadGrpcService } from '../lib/grpc-protos.js';
import { Dispatcher } from './dispatcher.js';
import { QUEUE_NAME } from './names.js';
import { QueueStore, type TasksEmulatorStats } from './queue-store.js';
import { queueHandlers } from './rpc-queues.js';
import { taskHandlers } from './rpc-tasks.js';

export type { LogEntry } from '../lib/grpc-emulator.js';
export { computeBackoffMs } from './backoff.js';
export { buildUnsignedOidcToken, OAUTH_PLACEHOLDER_PREFIX } from './dispatch-headers.js';
export { QUEUE_DEFAULTS, type RetrySettings } from './queue-settings.js';
export type { TasksEmulatorStats } from './queue-store.js';

const DEFAULT_TOMBSTONE_MS = 3_600_000;

export interface TasksEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Receives every log entry; default: one JSON line per entry on stdout. */
  log?: (entry: LogEntry) => void;
  /** How long the name of a completed or dropped task stays reserved. Default 1 hour. */
  tombstoneMs?: number;
  /** Clock in epoch milliseconds. Default `Date.now`. Timers still run in real time. */
  now?: () => number;
}

export interface TasksEmulator {
  host: string;
  port: number;
  /** `host:port`, the value for `CLOUD_TASKS_EMULATOR_HOST`. */
  address: string;
  /** Stops the gRPC server, aborts in-flight HTTP attempts and clears every timer. */
  stop(): Promise<void>;
  /** Creates a queue with default settings without going through gRPC (used by the CLI's `--queue`). */
  createQueue(name: string): void;
  /** Resolves once every running queue is empty and no attempt is in flight; rejects after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void>;
  /** Counts, for tests and debugging. */
  stats(): TasksEmulatorStats;
  /**
   * Looks for due tasks now, e.g. after an injected clock jumped forward. Any attempt it starts is in
   * flight when it returns, so a `drain()` right after waits for it.
   */
  poke(): void;
}

/**
 * Starts the emulator: a gRPC CloudTasks server on `host:port` plus the HTTP dispatcher.
 * Use `address` as `CLOUD_TASKS_EMULATOR_HOST`; call `stop()` when done.
 */
export async function startTasksEmulator(options: TasksEmulatorOptions = {}): Promise<TasksEmulator> {
  const host = options.host ?? '127.0.0.1';
  const sink = options.log ?? writeJsonLine;
  const log = (entry: LogEntry) => sink({ component: 'tasks-emulator', ...entry });
  const now = options.now ?? Date.now;
  const store = new QueueStore(now, log, options.tombstoneMs ?? DEFAULT_TOMBSTONE_MS);
  const dispatcher = new Dispatcher(store, now, log);

  const service = loadGrpcService({
    packageName: '@google-cloud/tasks',
    protoFile: 'google/cloud/tasks/v2/cloudtasks.proto',
    serviceName: 'google.cloud.tasks.v2.CloudTasks',
  });
  const implementation = buildServiceImplementation({
    service,
    serviceLabel: 'CloudTasks',
    emulatorName: 'tasks emulator',
    handlers: { ...queueHandlers(store, dispatcher), ...taskHandlers(store, dispatcher) },
    log,
  });
  const { server, port, address } = await startGrpcServer({
    host,
    port: options.port ?? 0,
    service,
    implementation,
  });
  log({ severity: 'INFO', message: 'tasks emulator started', address });

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    address,
    stop() {
      stopping ??= (async () => {
        dispatcher.stop();
        await shutdownGrpcServer(server);
        log({ severity: 'INFO', message: 'tasks emulator stopped', address });
      })();
      return stopping;
    },
    createQueue(name: string) {
      const match = QUEUE_NAME.exec(name);
      if (!match)
        throw new Error(`Queue name must look like projects/P/locations/L/queues/Q, got "${name}".`);
      store.createQueue(match[1] as string, { name });
    },
    drain: (timeoutMs = 30_000) => dispatcher.drain(timeoutMs),
    stats: () => store.stats(),
    poke: () => dispatcher.pump(),
  };
}

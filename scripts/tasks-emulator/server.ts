/**
 * A small Cloud Tasks emulator for development and tests: a gRPC server implementing
 * `google.cloud.tasks.v2.CloudTasks` (from the protos `@google-cloud/tasks` ships) plus a dispatcher
 * that delivers HTTP tasks to their URLs with Cloud Tasks' rate limits, retries and headers.
 *
 * The real `CloudTasksClient` talks to it with
 * `{apiEndpoint: host, port, sslCreds: grpc.credentials.createInsecure(), projectId}`.
 * Never use it in production: the OIDC tokens it sends are unsigned (see {@link buildUnsignedOidcToken}).
 *
 * Deliberately more lenient than Cloud Tasks, so tests can run fast: `dispatch_deadline` may be under
 * the real 15 s minimum, and `rate_limits.max_burst_size` (output only in Cloud Tasks) is honoured
 * when given. Not emulated: App Engine tasks, IAM methods, queue tombstones after DeleteQueue.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { grpc } from 'google-gax';

/** Structured log entry; `severity` follows Cloud Logging. */
export type LogEntry = Record<string, unknown>;

export interface TasksEmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Receives every log entry; default: one JSON line per entry on stdout. */
  log?: (entry: LogEntry) => void;
  /** How long the name of a completed, dropped or deleted task stays reserved. Default 1 hour. */
  tombstoneMs?: number;
  /** Clock in epoch milliseconds. Default `Date.now`. Timers still run in real time. */
  now?: () => number;
}

export interface TasksEmulatorStats {
  queues: number;
  tasks: number;
  inFlight: number;
  tombstones: number;
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
  /** Looks for due tasks now, e.g. after an injected clock jumped forward. */
  poke(): void;
}

/** Retry settings of a queue, in milliseconds. */
export interface RetrySettings {
  /** -1 means unlimited. */
  maxAttempts: number;
  /** 0 means unlimited. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

interface RateSettings {
  maxDispatchesPerSecond: number;
  maxBurstSize: number;
  maxConcurrentDispatches: number;
}

/** Defaults Cloud Tasks documents for queues created through the API. */
export const QUEUE_DEFAULTS = {
  maxDispatchesPerSecond: 500,
  maxConcurrentDispatches: 1000,
  maxAttempts: 100,
  maxRetryDurationMs: 0,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
} as const;

const MAX_DISPATCHES_PER_SECOND = 500;
const MAX_CONCURRENT_DISPATCHES = 5000;
const MAX_BURST_SIZE_DEFAULT_CAP = 100;
const DEFAULT_DISPATCH_DEADLINE_MS = 10 * 60_000;
const MAX_DISPATCH_DEADLINE_MS = 30 * 60_000;
const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3_600_000;
const DEFAULT_TOMBSTONE_MS = 3_600_000;
/** Upper bound of one dispatcher timer, so an injected or adjusted clock is re-read regularly. */
const MAX_TIMER_WAIT_MS = 1000;
const MAX_URL_LENGTH = 2083;
const OIDC_TOKEN_LIFETIME_S = 3600;
/** Prefix of the fake OAuth bearer token sent for tasks with an oauth_token. */
export const OAUTH_PLACEHOLDER_PREFIX = 'tasks-emulator-unsigned-oauth-token-for-';

const PROJECT_RE = '[A-Za-z0-9\\-:.]+';
const LOCATION_RE = '[A-Za-z0-9-]+';
const QUEUE_ID_RE = '[A-Za-z0-9-]{1,100}';
const TASK_ID_RE = '[A-Za-z0-9_-]{1,500}';
const LOCATION_NAME = new RegExp(`^projects/${PROJECT_RE}/locations/${LOCATION_RE}$`);
const QUEUE_NAME = new RegExp(`^(projects/${PROJECT_RE}/locations/${LOCATION_RE})/queues/(${QUEUE_ID_RE})$`);
const TASK_NAME = new RegExp(
  `^(projects/${PROJECT_RE}/locations/${LOCATION_RE}/queues/${QUEUE_ID_RE})/tasks/(${TASK_ID_RE})$`,
);

/**
 * Delay before the next attempt after `failedAttempts` failures, per the documented Cloud Tasks rule:
 * the interval starts at min_backoff, doubles max_doublings times, then grows linearly by
 * `2^max_doublings * min_backoff` per retry, and never exceeds max_backoff
 * (10 s / 300 s / 3 doublings gives 10, 20, 40, 80, 160, 240, 300, 300 ... seconds).
 */
export function computeBackoffMs(retry: RetrySettings, failedAttempts: number): number {
  const retryIndex = Math.max(0, failedAttempts - 1);
  const doublings = Math.min(retryIndex, retry.maxDoublings);
  const doubled = retry.minBackoffMs * 2 ** doublings;
  const linearSteps = retryIndex - doublings;
  return Math.min(doubled * (1 + linearSteps), retry.maxBackoffMs);
}

/**
 * Builds an UNSIGNED, JWT-shaped string (`header.payload.` with an empty signature and `alg: none`).
 * This is NOT a real Google-signed OIDC token and proves nothing: it exists only so a local receiver
 * can read the claims Cloud Tasks would send (email, aud, iat, exp). Development and tests only.
 */
export function buildUnsignedOidcToken(serviceAccountEmail: string, audience: string, nowMs: number): string {
  const issuedAt = Math.floor(nowMs / 1000);
  const header = { alg: 'none', typ: 'JWT', kid: 'tasks-emulator-unsigned' };
  const payload = {
    iss: 'https://accounts.google.com',
    aud: audience,
    azp: serviceAccountEmail,
    sub: serviceAccountEmail,
    email: serviceAccountEmail,
    email_verified: true,
    iat: issuedAt,
    exp: issuedAt + OIDC_TOKEN_LIFETIME_S,
  };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.`;
}

// ---------------------------------------------------------------------------------------------------------
// Wire shapes (proto-loader with keepCase false: camelCase; defaults: true fills scalars, messages are null)

interface ProtoDuration {
  seconds: string | number;
  nanos: number;
}
type ProtoTimestamp = ProtoDuration;

interface RateLimitsMessage {
  maxDispatchesPerSecond?: number;
  maxBurstSize?: number;
  maxConcurrentDispatches?: number;
}

interface RetryConfigMessage {
  maxAttempts?: number;
  maxRetryDuration?: ProtoDuration | null;
  minBackoff?: ProtoDuration | null;
  maxBackoff?: ProtoDuration | null;
  maxDoublings?: number;
}

interface QueueMessage {
  name?: string;
  rateLimits?: RateLimitsMessage | null;
  retryConfig?: RetryConfigMessage | null;
  appEngineRoutingOverride?: unknown;
  stackdriverLoggingConfig?: { samplingRatio?: number } | null;
  state?: string;
  purgeTime?: ProtoTimestamp | null;
}

interface OidcTokenMessage {
  serviceAccountEmail?: string;
  audience?: string;
}

interface OAuthTokenMessage {
  serviceAccountEmail?: string;
  scope?: string;
}

interface HttpRequestMessage {
  url?: string;
  httpMethod?: string;
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array;
  oidcToken?: OidcTokenMessage | null;
  oauthToken?: OAuthTokenMessage | null;
}

interface TaskMessage {
  name?: string;
  httpRequest?: HttpRequestMessage | null;
  appEngineHttpRequest?: unknown;
  scheduleTime?: ProtoTimestamp | null;
  dispatchDeadline?: ProtoDuration | null;
}

type View = 'BASIC' | 'FULL';

// ---------------------------------------------------------------------------------------------------------
// State

interface QueueState {
  name: string;
  shortId: string;
  rate: RateSettings;
  retry: RetrySettings;
  appEngineRoutingOverride: unknown;
  stackdriverLoggingConfig: { samplingRatio?: number } | null;
  state: 'RUNNING' | 'PAUSED';
  purgeTimeMs: number | null;
  tasks: Map<string, TaskState>;
  inFlight: number;
  tokens: number;
  tokensUpdatedMs: number;
}

interface AttemptState {
  scheduleMs: number;
  dispatchMs: number;
  responseMs: number | null;
  status: { code: number; message: string } | null;
}

interface TaskState {
  name: string;
  shortId: string;
  queue: QueueState;
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
  inFlight: number;
  isRemoved: boolean;
}

type AttemptOutcome =
  | { kind: 'response'; status: number }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

class EmulatorError extends Error {
  override name = 'EmulatorError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new EmulatorError(grpc.status.INVALID_ARGUMENT, message);
const notFound = (message: string) => new EmulatorError(grpc.status.NOT_FOUND, message);

// ---------------------------------------------------------------------------------------------------------
// Conversions

function durationToMs(duration: ProtoDuration | null | undefined): number | null {
  if (!duration) return null;
  return Number(duration.seconds) * 1000 + (duration.nanos ?? 0) / 1e6;
}

function msToDuration(ms: number): ProtoDuration {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding a fraction just below a whole second gives 1e9 nanos, which is not a valid Duration.
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return { seconds: String(seconds), nanos };
}

const msToTimestamp = msToDuration;
const timestampToMs = durationToMs;

function toSnakeCase(fieldPath: string): string {
  return fieldPath.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function defaultBurstSize(maxDispatchesPerSecond: number): number {
  return Math.max(1, Math.min(MAX_BURST_SIZE_DEFAULT_CAP, Math.ceil(maxDispatchesPerSecond)));
}

/** Maps an HTTP status to the google.rpc.Code Cloud Tasks reports in `last_attempt.response_status`. */
function httpStatusToRpcCode(status: number): number {
  if (status >= 200 && status < 300) return grpc.status.OK;
  const known: Record<number, grpc.status> = {
    400: grpc.status.INVALID_ARGUMENT,
    401: grpc.status.UNAUTHENTICATED,
    403: grpc.status.PERMISSION_DENIED,
    404: grpc.status.NOT_FOUND,
    409: grpc.status.ABORTED,
    429: grpc.status.RESOURCE_EXHAUSTED,
    499: grpc.status.CANCELLED,
    500: grpc.status.INTERNAL,
    501: grpc.status.UNIMPLEMENTED,
    503: grpc.status.UNAVAILABLE,
    504: grpc.status.DEADLINE_EXCEEDED,
  };
  return known[status] ?? grpc.status.UNKNOWN;
}

function generateTaskId(): string {
  return randomBytes(8).readBigUInt64BE().toString().padStart(20, '0');
}

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match) throw invalid(`Invalid page_token "${token}": pass the next_page_token of the previous page.`);
  return Number(match[1]);
}

function paginate<T>(
  items: T[],
  pageSize: number | undefined,
  pageToken: string | undefined,
  maxPageSize: number,
) {
  if (pageSize !== undefined && pageSize < 0) throw invalid('page_size must not be negative.');
  const size = pageSize && pageSize > 0 ? Math.min(pageSize, maxPageSize) : maxPageSize;
  const offset = decodePageToken(pageToken);
  const page = items.slice(offset, offset + size);
  const nextOffset = offset + page.length;
  return { page, nextPageToken: nextOffset < items.length ? encodePageToken(nextOffset) : '' };
}

function readRateLimits(
  message: RateLimitsMessage | null | undefined,
  fields?: Set<string>,
): Partial<RateSettings> {
  const result: Partial<RateSettings> = {};
  const wants = (field: string) => !fields || fields.has(field);
  if (wants('max_dispatches_per_second')) {
    const value = message?.maxDispatchesPerSecond ?? 0;
    if (value < 0 || value > MAX_DISPATCHES_PER_SECOND) {
      throw invalid(
        `rate_limits.max_dispatches_per_second must be in (0, ${MAX_DISPATCHES_PER_SECOND}], got ${value}.`,
      );
    }
    result.maxDispatchesPerSecond = value || QUEUE_DEFAULTS.maxDispatchesPerSecond;
  }
  if (wants('max_burst_size')) {
    const value = message?.maxBurstSize ?? 0;
    if (value < 0) throw invalid(`rate_limits.max_burst_size must not be negative, got ${value}.`);
    // 0 means "derive from max_dispatches_per_second" (Cloud Tasks treats the field as output only).
    result.maxBurstSize = value;
  }
  if (wants('max_concurrent_dispatches')) {
    const value = message?.maxConcurrentDispatches ?? 0;
    if (value < 0 || value > MAX_CONCURRENT_DISPATCHES) {
      throw invalid(
        `rate_limits.max_concurrent_dispatches must be in [1, ${MAX_CONCURRENT_DISPATCHES}], got ${value}.`,
      );
    }
    result.maxConcurrentDispatches = value || QUEUE_DEFAULTS.maxConcurrentDispatches;
  }
  return result;
}

function readRetryConfig(
  message: RetryConfigMessage | null | undefined,
  fields?: Set<string>,
): Partial<RetrySettings> {
  const result: Partial<RetrySettings> = {};
  const wants = (field: string) => !fields || fields.has(field);
  const nonNegativeMs = (duration: ProtoDuration | null | undefined, field: string): number | null => {
    const ms = durationToMs(duration);
    if (ms !== null && ms < 0) throw invalid(`retry_config.${field} must not be negative.`);
    return ms;
  };
  if (wants('max_attempts')) {
    const value = message?.maxAttempts ?? 0;
    if (value < -1) throw invalid(`retry_config.max_attempts must be >= -1 (-1 = unlimited), got ${value}.`);
    result.maxAttempts = value || QUEUE_DEFAULTS.maxAttempts;
  }
  if (wants('max_retry_duration')) {
    result.maxRetryDurationMs = nonNegativeMs(message?.maxRetryDuration, 'max_retry_duration') ?? 0;
  }
  if (wants('min_backoff')) {
    result.minBackoffMs = nonNegativeMs(message?.minBackoff, 'min_backoff') || QUEUE_DEFAULTS.minBackoffMs;
  }
  if (wants('max_backoff')) {
    result.maxBackoffMs = nonNegativeMs(message?.maxBackoff, 'max_backoff') || QUEUE_DEFAULTS.maxBackoffMs;
  }
  if (wants('max_doublings')) {
    const value = message?.maxDoublings ?? 0;
    if (value < 0) throw invalid(`retry_config.max_doublings must not be negative, got ${value}.`);
    result.maxDoublings = value || QUEUE_DEFAULTS.maxDoublings;
  }
  return result;
}

function validateRetry(retry: RetrySettings): void {
  if (retry.maxBackoffMs < retry.minBackoffMs) {
    throw invalid(
      `retry_config.max_backoff (${retry.maxBackoffMs} ms) must be >= min_backoff (${retry.minBackoffMs} ms).`,
    );
  }
}

const RATE_FIELDS = ['max_dispatches_per_second', 'max_burst_size', 'max_concurrent_dispatches'];
const RETRY_FIELDS = ['max_attempts', 'max_retry_duration', 'min_backoff', 'max_backoff', 'max_doublings'];

/**
 * Headers Cloud Tasks computes itself or reserves; a task cannot set them (HttpRequest.headers docs:
 * Host, Content-Length, User-Agent "will be set to Google-Cloud-Tasks", X-Google-*, X-AppEngine-*, X-CloudTasks-*).
 */
function isReservedHeader(lowerName: string): boolean {
  return (
    lowerName === 'host' ||
    lowerName === 'content-length' ||
    lowerName === 'user-agent' ||
    lowerName.startsWith('x-google-') ||
    lowerName.startsWith('x-appengine-') ||
    lowerName.startsWith('x-cloudtasks-')
  );
}

// ---------------------------------------------------------------------------------------------------------
// Protos

function packageRoot(packageName: string): string {
  const require = createRequire(import.meta.url);
  let dir = path.dirname(require.resolve(packageName));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === packageName) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the package root of ${packageName}: is it installed?`);
    dir = parent;
  }
}

let cachedService: grpc.ServiceDefinition | undefined;

function loadCloudTasksService(): grpc.ServiceDefinition {
  if (cachedService) return cachedService;
  const definition = protoLoader.loadSync('google/cloud/tasks/v2/cloudtasks.proto', {
    includeDirs: [
      path.join(packageRoot('@google-cloud/tasks'), 'build', 'protos'),
      path.join(packageRoot('google-gax'), 'build', 'protos'),
    ],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  // biome-ignore lint/suspicious/noExplicitAny: loadPackageDefinition returns an untyped namespace tree.
  const loaded = grpc.loadPackageDefinition(definition) as any;
  cachedService = loaded.google.cloud.tasks.v2.CloudTasks.service as grpc.ServiceDefinition;
  return cachedService;
}

// ---------------------------------------------------------------------------------------------------------
// Emulator core: queues, tasks and the dispatcher

class TasksEmulatorCore {
  private readonly queues = new Map<string, QueueState>();
  /** Full task name -> epoch ms until which the name cannot be reused. */
  private readonly tombstones = new Map<string, number>();
  private readonly activeRequests = new Set<http.ClientRequest>();
  private readonly drainWaiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>();
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private isStopped = false;
  private isPumpScheduled = false;

  constructor(
    readonly now: () => number,
    private readonly log: (entry: LogEntry) => void,
    private readonly tombstoneMs: number,
  ) {}

  // --- queues ---

  createQueue(parent: string, message: QueueMessage | null | undefined): QueueState {
    if (!LOCATION_NAME.test(parent)) {
      throw invalid(`parent must look like projects/PROJECT/locations/LOCATION, got "${parent}".`);
    }
    if (!message) throw invalid('queue is required.');
    const name = message.name ?? '';
    const match = QUEUE_NAME.exec(name);
    if (!match || match[1] !== parent) {
      throw invalid(
        `queue.name must look like ${parent}/queues/QUEUE_ID (letters, digits, hyphens), got "${name}".`,
      );
    }
    if (this.queues.has(name)) {
      throw new EmulatorError(grpc.status.ALREADY_EXISTS, `Queue ${name} already exists.`);
    }
    return this.insertQueue(name, match[2] as string, message);
  }

  private insertQueue(name: string, shortId: string, message: QueueMessage): QueueState {
    const rate = readRateLimits(message.rateLimits) as RateSettings;
    const retry = readRetryConfig(message.retryConfig) as RetrySettings;
    validateRetry(retry);
    const queue: QueueState = {
      name,
      shortId,
      rate,
      retry,
      appEngineRoutingOverride: message.appEngineRoutingOverride ?? null,
      stackdriverLoggingConfig: message.stackdriverLoggingConfig ?? null,
      state: 'RUNNING',
      purgeTimeMs: null,
      tasks: new Map(),
      inFlight: 0,
      tokens: this.burstSize(rate),
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

  getQueue(name: string): QueueState {
    if (!QUEUE_NAME.test(name)) {
      throw invalid(`name must look like projects/PROJECT/locations/LOCATION/queues/QUEUE, got "${name}".`);
    }
    const queue = this.queues.get(name);
    if (!queue) throw notFound(`Queue ${name} does not exist.`);
    return queue;
  }

  listQueues(parent: string, filter: string): QueueState[] {
    if (!LOCATION_NAME.test(parent)) {
      throw invalid(`parent must look like projects/PROJECT/locations/LOCATION, got "${parent}".`);
    }
    let state: string | undefined;
    if (filter.trim()) {
      const match = /^\s*state\s*[:=]\s*(RUNNING|PAUSED|DISABLED)\s*$/.exec(filter);
      if (!match)
        throw invalid(`Unsupported filter "${filter}": this emulator supports only "state: PAUSED".`);
      state = match[1];
    }
    return [...this.queues.values()]
      .filter((queue) => queue.name.startsWith(`${parent}/queues/`) && (!state || queue.state === state))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  updateQueue(message: QueueMessage | null | undefined, maskPaths: string[]): QueueState {
    if (!message) throw invalid('queue is required.');
    const name = message.name ?? '';
    const match = QUEUE_NAME.exec(name);
    if (!match) throw invalid(`queue.name must look like projects/P/locations/L/queues/Q, got "${name}".`);
    const existing = this.queues.get(name);
    // Cloud Tasks' UpdateQueue creates the queue when it does not exist.
    if (!existing) return this.insertQueue(name, match[2] as string, message);

    const paths = maskPaths.map(toSnakeCase);
    const fullUpdate = paths.length === 0;
    const rateFields = new Set<string>();
    const retryFields = new Set<string>();
    let updatesLogging = fullUpdate;
    let updatesRouting = fullUpdate;
    for (const fieldPath of paths) {
      const [head, field, ...rest] = fieldPath.split('.');
      if (
        head === 'rate_limits' &&
        (field === undefined || (RATE_FIELDS.includes(field) && rest.length === 0))
      ) {
        for (const f of field ? [field] : RATE_FIELDS) rateFields.add(f);
      } else if (
        head === 'retry_config' &&
        (field === undefined || (RETRY_FIELDS.includes(field) && rest.length === 0))
      ) {
        for (const f of field ? [field] : RETRY_FIELDS) retryFields.add(f);
      } else if (head === 'stackdriver_logging_config') {
        updatesLogging = true;
      } else if (head === 'app_engine_routing_override') {
        updatesRouting = true;
      } else if (head !== 'name') {
        throw invalid(
          `update_mask path "${fieldPath}" cannot be updated (state: use PauseQueue/ResumeQueue; purge_time is output only).`,
        );
      }
    }
    const rate = {
      ...existing.rate,
      ...readRateLimits(message.rateLimits, fullUpdate ? undefined : rateFields),
    };
    const retry = {
      ...existing.retry,
      ...readRetryConfig(message.retryConfig, fullUpdate ? undefined : retryFields),
    };
    validateRetry(retry);
    existing.rate = rate;
    existing.retry = retry;
    existing.tokens = Math.min(existing.tokens, this.burstSize(rate));
    if (updatesLogging) existing.stackdriverLoggingConfig = message.stackdriverLoggingConfig ?? null;
    if (updatesRouting) existing.appEngineRoutingOverride = message.appEngineRoutingOverride ?? null;
    this.log({
      severity: 'INFO',
      message: 'queue updated',
      queue: name,
      rateLimits: rate,
      retryConfig: retry,
    });
    this.pump();
    return existing;
  }

  deleteQueue(name: string): void {
    const queue = this.getQueue(name);
    for (const task of queue.tasks.values()) task.isRemoved = true;
    queue.tasks.clear();
    this.queues.delete(name);
    for (const taskName of this.tombstones.keys()) {
      if (taskName.startsWith(`${name}/tasks/`)) this.tombstones.delete(taskName);
    }
    this.log({ severity: 'INFO', message: 'queue deleted', queue: name });
    this.pump();
  }

  setQueueState(name: string, state: 'RUNNING' | 'PAUSED'): QueueState {
    const queue = this.getQueue(name);
    queue.state = state;
    this.log({
      severity: 'INFO',
      message: state === 'PAUSED' ? 'queue paused' : 'queue resumed',
      queue: name,
    });
    this.pump();
    return queue;
  }

  purgeQueue(name: string): QueueState {
    const queue = this.getQueue(name);
    const count = queue.tasks.size;
    for (const task of [...queue.tasks.values()]) this.removeTask(task);
    queue.purgeTimeMs = this.now();
    this.log({ severity: 'INFO', message: 'queue purged', queue: name, tasks: count });
    this.pump();
    return queue;
  }

  queueToMessage(queue: QueueState): Record<string, unknown> {
    return {
      name: queue.name,
      appEngineRoutingOverride: queue.appEngineRoutingOverride,
      rateLimits: {
        maxDispatchesPerSecond: queue.rate.maxDispatchesPerSecond,
        maxBurstSize: this.burstSize(queue.rate),
        maxConcurrentDispatches: queue.rate.maxConcurrentDispatches,
      },
      retryConfig: {
        maxAttempts: queue.retry.maxAttempts,
        maxRetryDuration: msToDuration(queue.retry.maxRetryDurationMs),
        minBackoff: msToDuration(queue.retry.minBackoffMs),
        maxBackoff: msToDuration(queue.retry.maxBackoffMs),
        maxDoublings: queue.retry.maxDoublings,
      },
      state: queue.state,
      purgeTime: queue.purgeTimeMs === null ? null : msToTimestamp(queue.purgeTimeMs),
      stackdriverLoggingConfig: queue.stackdriverLoggingConfig,
    };
  }

  // --- tasks ---

  createTask(parent: string, message: TaskMessage | null | undefined): TaskState {
    const queue = this.getQueue(parent);
    if (!message) throw invalid('task is required.');
    if (message.appEngineHttpRequest) {
      throw new EmulatorError(
        grpc.status.UNIMPLEMENTED,
        'App Engine tasks are not supported by the emulator: use http_request.',
      );
    }
    const request = message.httpRequest;
    if (!request) throw invalid('task.http_request is required.');
    const url = request.url ?? '';
    if (!url) throw invalid('task.http_request.url is required.');
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      throw invalid(`task.http_request.url is not a valid URL: "${url}".`);
    }
    if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
      throw invalid(`task.http_request.url must start with http:// or https://, got "${url}".`);
    }
    if (url.length > MAX_URL_LENGTH) throw invalid(`task.http_request.url is longer than ${MAX_URL_LENGTH}.`);
    const method =
      !request.httpMethod || request.httpMethod === 'HTTP_METHOD_UNSPECIFIED' ? 'POST' : request.httpMethod;
    const body = Buffer.from(request.body ?? Buffer.alloc(0));
    if (body.length > 0 && !['POST', 'PUT', 'PATCH'].includes(method)) {
      throw invalid(`A body is allowed only with POST, PUT or PATCH, not ${method}.`);
    }
    const oidc = request.oidcToken;
    if (oidc && !oidc.serviceAccountEmail) throw invalid('oidc_token.service_account_email is required.');
    const oauth = request.oauthToken;
    if (oauth && !oauth.serviceAccountEmail) throw invalid('oauth_token.service_account_email is required.');

    const now = this.now();
    let name = message.name ?? '';
    let shortId: string;
    if (name) {
      const match = TASK_NAME.exec(name);
      if (!match || match[1] !== parent) {
        throw invalid(
          `task.name must look like ${parent}/tasks/TASK_ID (letters, digits, hyphens, underscores), got "${name}".`,
        );
      }
      shortId = match[2] as string;
      if (queue.tasks.has(name))
        throw new EmulatorError(grpc.status.ALREADY_EXISTS, `Task ${name} already exists.`);
      const reservedUntil = this.tombstones.get(name);
      if (reservedUntil !== undefined && reservedUntil > now) {
        throw new EmulatorError(
          grpc.status.ALREADY_EXISTS,
          `The task ${name} cannot be created because a task with this name existed too recently.`,
        );
      }
    } else {
      shortId = generateTaskId();
      name = `${parent}/tasks/${shortId}`;
    }
    const scheduleTimeMs = timestampToMs(message.scheduleTime) || now;
    if (scheduleTimeMs > now + MAX_SCHEDULE_AHEAD_MS)
      throw invalid('schedule_time is more than 30 days ahead.');
    const dispatchDeadlineMs = durationToMs(message.dispatchDeadline) || DEFAULT_DISPATCH_DEADLINE_MS;
    if (dispatchDeadlineMs < 0 || dispatchDeadlineMs > MAX_DISPATCH_DEADLINE_MS) {
      throw invalid('dispatch_deadline must be at most 30 minutes.');
    }

    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(request.headers ?? {})) {
      try {
        http.validateHeaderName(header);
        http.validateHeaderValue(header, value);
      } catch {
        // Caught here, not at dispatch: node:http would throw then and leave the task in flight forever.
        throw invalid(`task.http_request.headers: "${header}" is not a valid HTTP header name or value.`);
      }
      if (isReservedHeader(header.toLowerCase())) {
        this.log({ severity: 'WARNING', message: 'reserved task header ignored', task: name, header });
      } else {
        headers[header] = value;
      }
    }

    const task: TaskState = {
      name,
      shortId,
      queue,
      sequence: this.sequence++,
      scheduleTimeMs,
      createTimeMs: now,
      dispatchDeadlineMs,
      url,
      method,
      headers,
      body,
      oidcToken: oidc
        ? { serviceAccountEmail: oidc.serviceAccountEmail ?? '', audience: oidc.audience ?? '' }
        : null,
      oauthToken: oauth
        ? { serviceAccountEmail: oauth.serviceAccountEmail ?? '', scope: oauth.scope ?? '' }
        : null,
      dispatchCount: 0,
      responseCount: 0,
      executionCount: 0,
      firstDispatchMs: null,
      lastAttempt: null,
      previousResponseCode: null,
      retryReason: null,
      inFlight: 0,
      isRemoved: false,
    };
    queue.tasks.set(name, task);
    this.log({ severity: 'DEBUG', message: 'task created', task: name, url, scheduleTimeMs });
    // Deferred, so the CreateTask response shows the task as created (not yet dispatched), as Cloud Tasks does.
    this.schedulePump();
    return task;
  }

  getTask(name: string): TaskState {
    const match = TASK_NAME.exec(name);
    if (!match) {
      throw invalid(`name must look like projects/P/locations/L/queues/Q/tasks/TASK_ID, got "${name}".`);
    }
    const queue = this.queues.get(match[1] as string);
    if (!queue) throw notFound(`Queue ${match[1]} does not exist.`);
    const task = queue.tasks.get(name);
    if (!task) throw notFound(`Task ${name} does not exist (it may have completed or been deleted).`);
    return task;
  }

  listTasks(parent: string): TaskState[] {
    const queue = this.getQueue(parent);
    return [...queue.tasks.values()].sort(
      (a, b) => a.scheduleTimeMs - b.scheduleTimeMs || a.sequence - b.sequence,
    );
  }

  deleteTask(name: string): void {
    const task = this.getTask(name);
    this.removeTask(task);
    this.log({ severity: 'INFO', message: 'task deleted', task: name });
    this.pump();
  }

  /** Dispatches now, whatever the schedule, rate limits or queue state (Cloud Tasks' RunTask). */
  runTask(name: string): TaskState {
    const task = this.getTask(name);
    this.dispatch(task, true);
    return task;
  }

  taskToMessage(task: TaskState, view: View): Record<string, unknown> {
    const attempt = (value: AttemptState) => ({
      scheduleTime: msToTimestamp(value.scheduleMs),
      dispatchTime: msToTimestamp(value.dispatchMs),
      responseTime: value.responseMs === null ? null : msToTimestamp(value.responseMs),
      responseStatus: value.status,
    });
    const httpRequest: Record<string, unknown> = {
      url: task.url,
      httpMethod: task.method,
      headers: task.headers,
    };
    if (view === 'FULL') httpRequest.body = task.body;
    if (task.oidcToken) httpRequest.oidcToken = task.oidcToken;
    else if (task.oauthToken) httpRequest.oauthToken = task.oauthToken;
    return {
      name: task.name,
      httpRequest,
      scheduleTime: msToTimestamp(task.scheduleTimeMs),
      createTime: msToTimestamp(task.createTimeMs),
      dispatchDeadline: msToDuration(task.dispatchDeadlineMs),
      dispatchCount: task.dispatchCount,
      responseCount: task.responseCount,
      // Cloud Tasks keeps only the dispatch time of the first attempt.
      firstAttempt:
        task.firstDispatchMs === null ? null : { dispatchTime: msToTimestamp(task.firstDispatchMs) },
      lastAttempt: task.lastAttempt ? attempt(task.lastAttempt) : null,
      view,
    };
  }

  private removeTask(task: TaskState): void {
    task.isRemoved = true;
    task.queue.tasks.delete(task.name);
    this.tombstones.set(task.name, this.now() + this.tombstoneMs);
  }

  // --- dispatcher ---

  private burstSize(rate: RateSettings): number {
    return rate.maxBurstSize || defaultBurstSize(rate.maxDispatchesPerSecond);
  }

  private refillTokens(queue: QueueState, now: number): void {
    const elapsedMs = Math.max(0, now - queue.tokensUpdatedMs);
    queue.tokens = Math.min(
      this.burstSize(queue.rate),
      queue.tokens + (elapsedMs / 1000) * queue.rate.maxDispatchesPerSecond,
    );
    queue.tokensUpdatedMs = now;
  }

  /** Dispatches every task that is due and allowed, then arms one timer for the next thing to do. */
  pump(): void {
    if (this.isStopped) return;
    const now = this.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const queue of this.queues.values()) {
      if (queue.state !== 'RUNNING') continue;
      this.refillTokens(queue, now);
      const waiting = [...queue.tasks.values()]
        .filter((task) => task.inFlight === 0)
        .sort((a, b) => a.scheduleTimeMs - b.scheduleTimeMs || a.sequence - b.sequence);
      for (const task of waiting) {
        if (task.scheduleTimeMs > now) {
          wakeAt = Math.min(wakeAt, task.scheduleTimeMs);
          break;
        }
        // Completion of an attempt calls pump() again, so no timer is needed for concurrency.
        if (queue.inFlight >= queue.rate.maxConcurrentDispatches) break;
        if (queue.tokens < 1) {
          wakeAt = Math.min(wakeAt, now + ((1 - queue.tokens) / queue.rate.maxDispatchesPerSecond) * 1000);
          break;
        }
        queue.tokens -= 1;
        this.dispatch(task, false);
      }
    }
    this.pruneTombstones(now);
    this.armTimer(wakeAt, now);
    this.notifyDrainWaiters();
  }

  /** Runs pump() once on the next turn of the event loop, however many times it is asked for before. */
  private schedulePump(): void {
    if (this.isPumpScheduled) return;
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      this.pump();
    });
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

  private pruneTombstones(now: number): void {
    for (const [name, until] of this.tombstones) {
      if (until <= now) this.tombstones.delete(name);
    }
  }

  private dispatch(task: TaskState, isForced: boolean): void {
    const queue = task.queue;
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
    task.inFlight += 1;
    queue.inFlight += 1;

    const headers: Record<string, string> = { ...task.headers, 'User-Agent': 'Google-Cloud-Tasks' };
    if (task.body.length > 0 && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/octet-stream';
    }
    headers['Content-Length'] = String(task.body.length);
    headers['X-CloudTasks-QueueName'] = queue.shortId;
    headers['X-CloudTasks-TaskName'] = task.shortId;
    headers['X-CloudTasks-TaskRetryCount'] = String(retryCount);
    headers['X-CloudTasks-TaskExecutionCount'] = String(task.executionCount);
    headers['X-CloudTasks-TaskETA'] = (task.scheduleTimeMs / 1000).toFixed(6);
    if (retryCount > 0) {
      if (task.previousResponseCode !== null) {
        headers['X-CloudTasks-TaskPreviousResponse'] = String(task.previousResponseCode);
      }
      if (task.retryReason) headers['X-CloudTasks-TaskRetryReason'] = task.retryReason;
    }
    if (task.oidcToken || task.oauthToken) {
      // The token Cloud Tasks generates replaces any Authorization header of the task.
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === 'authorization') delete headers[existing];
      }
    }
    if (task.oidcToken) {
      const audience = task.oidcToken.audience || task.url;
      // Unsigned, dev-only stand-in for a Google-signed ID token: see buildUnsignedOidcToken.
      headers.Authorization = `Bearer ${buildUnsignedOidcToken(task.oidcToken.serviceAccountEmail, audience, now)}`;
    } else if (task.oauthToken) {
      // A placeholder, not an access token: it only shows the receiver that one would be sent.
      headers.Authorization = `Bearer ${OAUTH_PLACEHOLDER_PREFIX}${task.oauthToken.serviceAccountEmail}`;
    }

    this.log({
      severity: 'DEBUG',
      message: 'dispatching task',
      task: task.name,
      url: task.url,
      attempt: task.dispatchCount,
      isForced,
    });
    void this.sendAttempt(task, headers).then((outcome) => this.completeAttempt(task, attempt, outcome));
  }

  private sendAttempt(task: TaskState, headers: Record<string, string>): Promise<AttemptOutcome> {
    try {
      return this.startRequest(task, headers);
    } catch (error) {
      // node:http throws synchronously on some bad input; without this the task would stay in flight.
      return Promise.resolve({
        kind: 'error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Sends one attempt; throws synchronously when node:http rejects the request outright. */
  private startRequest(task: TaskState, headers: Record<string, string>): Promise<AttemptOutcome> {
    const transport = task.url.startsWith('https:') ? https : http;
    let settle: (outcome: AttemptOutcome) => void = () => {};
    const request = transport.request(
      task.url,
      { method: task.method, headers, agent: false },
      (response) => {
        response.resume();
        response.on('end', () => settle({ kind: 'response', status: response.statusCode ?? 0 }));
        response.on('error', (error) => settle({ kind: 'error', message: error.message }));
      },
    );
    const outcome = new Promise<AttemptOutcome>((resolve) => {
      let isSettled = false;
      const deadline = setTimeout(() => {
        settle({ kind: 'timeout' });
        request.destroy();
      }, task.dispatchDeadlineMs);
      settle = (value) => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(deadline);
        this.activeRequests.delete(request);
        resolve(value);
      };
    });
    this.activeRequests.add(request);
    request.on('error', (error) => settle({ kind: 'error', message: error.message }));
    request.on('close', () =>
      settle({ kind: 'error', message: 'connection closed before the response ended' }),
    );
    request.end(task.body);
    return outcome;
  }

  private completeAttempt(task: TaskState, attempt: AttemptState, outcome: AttemptOutcome): void {
    if (this.isStopped) return;
    const queue = task.queue;
    const now = this.now();
    task.inFlight -= 1;
    queue.inFlight -= 1;
    let retryReason: string;
    let isSuccess = false;
    if (outcome.kind === 'response') {
      task.responseCount += 1;
      // X-CloudTasks-TaskExecutionCount "does not include failures due to 5XX error codes".
      if (outcome.status < 500) task.executionCount += 1;
      task.previousResponseCode = outcome.status;
      isSuccess = outcome.status >= 200 && outcome.status < 300;
      retryReason = `HTTP status ${outcome.status}`;
      attempt.responseMs = now;
      attempt.status = { code: httpStatusToRpcCode(outcome.status), message: retryReason };
    } else if (outcome.kind === 'timeout') {
      task.previousResponseCode = null;
      retryReason = 'dispatch deadline exceeded';
      attempt.status = { code: grpc.status.DEADLINE_EXCEEDED, message: retryReason };
    } else {
      task.previousResponseCode = null;
      retryReason = `connection error: ${outcome.message}`;
      attempt.status = { code: grpc.status.UNAVAILABLE, message: retryReason };
    }
    const context = { task: task.name, url: task.url, attempt: task.dispatchCount, outcome: retryReason };

    if (task.isRemoved) {
      this.log({ severity: 'DEBUG', message: 'attempt finished for a removed task', ...context });
    } else if (isSuccess) {
      this.removeTask(task);
      this.log({ severity: 'INFO', message: 'task completed', ...context });
    } else if (task.inFlight === 0) {
      if (this.hasExhaustedRetries(task, now)) {
        this.removeTask(task);
        this.log({ severity: 'WARNING', message: 'task dropped: retries exhausted', ...context });
      } else {
        const backoffMs = computeBackoffMs(queue.retry, task.dispatchCount);
        task.scheduleTimeMs = now + backoffMs;
        task.retryReason = retryReason;
        this.log({ severity: 'INFO', message: 'attempt failed, will retry', ...context, backoffMs });
      }
    }
    this.pump();
  }

  /**
   * Cloud Tasks stops once max_retry_duration has passed AND max_attempts attempts were made; a limit that
   * is unlimited (max_attempts -1, max_retry_duration 0) is left out, and with both unlimited it never stops.
   */
  private hasExhaustedRetries(task: TaskState, now: number): boolean {
    const { maxAttempts, maxRetryDurationMs } = task.queue.retry;
    const limits: boolean[] = [];
    if (maxAttempts !== -1) limits.push(task.dispatchCount >= maxAttempts);
    if (maxRetryDurationMs > 0) limits.push(now - (task.firstDispatchMs ?? now) >= maxRetryDurationMs);
    return limits.length > 0 && limits.every(Boolean);
  }

  // --- lifecycle and introspection ---

  isIdle(): boolean {
    for (const queue of this.queues.values()) {
      if (queue.inFlight > 0 || (queue.state === 'RUNNING' && queue.tasks.size > 0)) return false;
    }
    return true;
  }

  drain(timeoutMs: number): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    if (this.isStopped) return Promise.reject(new Error('Tasks emulator stopped: it will never drain.'));
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.drainWaiters.delete(waiter);
        reject(new Error(`Tasks emulator not idle after ${timeoutMs} ms: ${JSON.stringify(this.stats())}`));
      }, timeoutMs);
      const waiter = {
        resolve: () => {
          clearTimeout(timeout);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timeout);
          reject(error);
        },
      };
      this.drainWaiters.add(waiter);
    });
  }

  private notifyDrainWaiters(): void {
    if (this.drainWaiters.size === 0 || !this.isIdle()) return;
    for (const waiter of this.drainWaiters) waiter.resolve();
    this.drainWaiters.clear();
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

  stop(): void {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const request of this.activeRequests) request.destroy();
    this.activeRequests.clear();
    // A pending drain() would otherwise wait for its whole timeout.
    for (const waiter of this.drainWaiters)
      waiter.reject(new Error('Tasks emulator stopped before it drained.'));
    this.drainWaiters.clear();
  }
}

// ---------------------------------------------------------------------------------------------------------
// gRPC wiring

function viewOf(value: string | undefined): View {
  return value === 'FULL' ? 'FULL' : 'BASIC';
}

// biome-ignore lint/suspicious/noExplicitAny: requests are untyped objects decoded by proto-loader.
type AnyRequest = any;

function buildHandlers(
  core: TasksEmulatorCore,
  log: (entry: LogEntry) => void,
): grpc.UntypedServiceImplementation {
  const unary =
    (method: string, handle: (request: AnyRequest) => unknown) =>
    (call: grpc.ServerUnaryCall<AnyRequest, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      try {
        callback(null, handle(call.request));
      } catch (error) {
        if (error instanceof EmulatorError) {
          log({
            severity: 'DEBUG',
            message: 'rpc rejected',
            method,
            code: grpc.status[error.code],
            error: error.message,
          });
          callback({ code: error.code, details: error.message, metadata: new grpc.Metadata() });
        } else {
          log({ severity: 'ERROR', message: 'rpc failed', method, error: String(error) });
          callback({ code: grpc.status.INTERNAL, details: String(error), metadata: new grpc.Metadata() });
        }
      }
    };
  const unimplemented = (method: string) =>
    unary(method, () => {
      throw new EmulatorError(
        grpc.status.UNIMPLEMENTED,
        `${method} is not implemented by the tasks emulator.`,
      );
    });
  return {
    ListQueues: unary('ListQueues', (request) => {
      const queues = core.listQueues(request.parent, request.filter ?? '');
      const { page, nextPageToken } = paginate(queues, request.pageSize, request.pageToken, 9800);
      return { queues: page.map((queue) => core.queueToMessage(queue)), nextPageToken };
    }),
    GetQueue: unary('GetQueue', (request) => core.queueToMessage(core.getQueue(request.name))),
    CreateQueue: unary('CreateQueue', (request) =>
      core.queueToMessage(core.createQueue(request.parent, request.queue)),
    ),
    UpdateQueue: unary('UpdateQueue', (request) =>
      core.queueToMessage(core.updateQueue(request.queue, request.updateMask?.paths ?? [])),
    ),
    DeleteQueue: unary('DeleteQueue', (request) => {
      core.deleteQueue(request.name);
      return {};
    }),
    PurgeQueue: unary('PurgeQueue', (request) => core.queueToMessage(core.purgeQueue(request.name))),
    PauseQueue: unary('PauseQueue', (request) =>
      core.queueToMessage(core.setQueueState(request.name, 'PAUSED')),
    ),
    ResumeQueue: unary('ResumeQueue', (request) =>
      core.queueToMessage(core.setQueueState(request.name, 'RUNNING')),
    ),
    GetIamPolicy: unimplemented('GetIamPolicy'),
    SetIamPolicy: unimplemented('SetIamPolicy'),
    TestIamPermissions: unimplemented('TestIamPermissions'),
    ListTasks: unary('ListTasks', (request) => {
      const view = viewOf(request.responseView);
      const tasks = core.listTasks(request.parent);
      const { page, nextPageToken } = paginate(tasks, request.pageSize, request.pageToken, 1000);
      return { tasks: page.map((task) => core.taskToMessage(task, view)), nextPageToken };
    }),
    GetTask: unary('GetTask', (request) =>
      core.taskToMessage(core.getTask(request.name), viewOf(request.responseView)),
    ),
    CreateTask: unary('CreateTask', (request) =>
      core.taskToMessage(core.createTask(request.parent, request.task), viewOf(request.responseView)),
    ),
    DeleteTask: unary('DeleteTask', (request) => {
      core.deleteTask(request.name);
      return {};
    }),
    RunTask: unary('RunTask', (request) =>
      core.taskToMessage(core.runTask(request.name), viewOf(request.responseView)),
    ),
  };
}

function writeJsonLine(entry: LogEntry): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

/**
 * Starts the emulator: a gRPC CloudTasks server on `host:port` plus the HTTP dispatcher.
 * Use `address` as `CLOUD_TASKS_EMULATOR_HOST`; call `stop()` when done.
 */
export async function startTasksEmulator(options: TasksEmulatorOptions = {}): Promise<TasksEmulator> {
  const host = options.host ?? '127.0.0.1';
  const sink = options.log ?? writeJsonLine;
  const log = (entry: LogEntry) => sink({ component: 'tasks-emulator', ...entry });
  const core = new TasksEmulatorCore(
    options.now ?? Date.now,
    log,
    options.tombstoneMs ?? DEFAULT_TOMBSTONE_MS,
  );

  const server = new grpc.Server();
  server.addService(loadCloudTasksService(), buildHandlers(core, log));
  const bindHost = host.includes(':') ? `[${host}]` : host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${bindHost}:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  const address = `${bindHost}:${port}`;
  log({ severity: 'INFO', message: 'tasks emulator started', address });

  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    address,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        core.stop();
        const force = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          log({ severity: 'INFO', message: 'tasks emulator stopped', address });
          resolve();
        });
      });
      return stopping;
    },
    createQueue(name: string) {
      const match = QUEUE_NAME.exec(name);
      if (!match)
        throw new Error(`Queue name must look like projects/P/locations/L/queues/Q, got "${name}".`);
      core.createQueue(match[1] as string, { name });
    },
    drain: (timeoutMs = 30_000) => core.drain(timeoutMs),
    stats: () => core.stats(),
    poke: () => core.pump(),
  };
}

/**
 * The deploy queue on Cloud Tasks: one HTTP task per deploy request, POSTed to the worker with
 * `{"requestId": ...}`. Task names are chosen by the caller (deterministic), so a repeat enqueue is
 * ALREADY_EXISTS, which means "already queued", not an error.
 *
 * Locally, `createTasksClient({emulatorHost: 'host:port', ...})` points the real client at
 * scripts/tasks-emulator (the value of `CLOUD_TASKS_EMULATOR_HOST`).
 */
import { CloudTasksClient, type protos } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import type { DeployQueue, EnqueueResult } from '../core/ports.js';
import { GRPC_ALREADY_EXISTS, grpcCodeOf } from './grpc-codes.js';

/** The worker's time limit per attempt when none is given: 10 minutes, the Cloud Tasks default. */
export const DEFAULT_DISPATCH_DEADLINE_SECONDS = 600;
/** Cloud Tasks accepts dispatch deadlines of 15 seconds to 30 minutes for HTTP tasks. */
const MIN_DISPATCH_DEADLINE_SECONDS = 15;
const MAX_DISPATCH_DEADLINE_SECONDS = 1800;
/** The client's own default deadline for CreateTask (cloud_tasks_client_config.json). */
export const DEFAULT_CALL_TIMEOUT_MS = 20_000;

const PROJECT_PART = /^[A-Za-z0-9\-:.]+$/;
const LOCATION_PART = /^[A-Za-z0-9-]+$/;
const QUEUE_ID_PART = /^[A-Za-z0-9-]{1,100}$/;
const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;
const QUEUE_PATH =
  /^projects\/([A-Za-z0-9\-:.]+)\/locations\/([A-Za-z0-9-]+)\/queues\/([A-Za-z0-9-]{1,100})$/;
const EMULATOR_HOST = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/** gRPC codes for which a later attempt may succeed. */
const TRANSIENT_CODES = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
]);

/**
 * A failed enqueue (anything but ALREADY_EXISTS). The deploy request stays pending and the next
 * evaluation retries it; `isTransient` says whether retrying as is can help.
 */
export class QueueError extends Error {
  override name = 'QueueError';
  constructor(
    message: string,
    /** The gRPC status code, or null when the call was never made (bad input). */
    readonly code: number | null,
    readonly isTransient: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What `CloudTasksQueue` needs of the client; a real `CloudTasksClient` is one. */
export type TasksClientLike = Pick<CloudTasksClient, 'createTask'>;

/** Options of {@link CloudTasksQueue}. */
export interface CloudTasksQueueOptions {
  /** Default: a real `CloudTasksClient` with application default credentials. */
  client?: TasksClientLike;
  /** `projects/P/locations/L/queues/Q` (see {@link parseQueuePath}). */
  queuePath: string;
  /** The deploy worker's URL: every task is an HTTP POST to it. */
  workerUrl: string;
  /**
   * When set, each request carries a Google-signed OIDC token of this service account with
   * audience `workerUrl` (the worker requires authentication); null sends none.
   */
  serviceAccountEmail: string | null;
  /** How long Cloud Tasks waits for the worker per attempt, 15 to 1800. Default 600. */
  dispatchDeadlineSeconds?: number;
  /** Deadline of the CreateTask call itself, in ms. Default 20 000 (the client's own default). */
  callTimeoutMs?: number;
}

/** Formats an error's gRPC code as `NOT_FOUND (5)`, or `no gRPC status` when it carries none. */
function describeCode(code: number | null): string {
  return code === null ? 'no gRPC status' : `${grpc.status[code] ?? 'code'} (${code})`;
}

function hintFor(code: number | null): string {
  switch (code) {
    case grpc.status.NOT_FOUND:
      return 'Check that the queue exists (terraform apply) and that TASKS_QUEUE names it.';
    case grpc.status.PERMISSION_DENIED:
      return 'Grant the function roles/cloudtasks.enqueuer on the queue and roles/iam.serviceAccountUser on the OIDC service account.';
    case grpc.status.INVALID_ARGUMENT:
      return 'The task was rejected as malformed; see the details above.';
    case grpc.status.FAILED_PRECONDITION:
      return 'The queue may be disabled or deleted; check its state in the console.';
    default:
      return 'The request stays pending and is enqueued again on the next evaluation.';
  }
}

function toTimestamp(date: Date): protos.google.protobuf.ITimestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

/** The deploy queue on Cloud Tasks (or the tasks emulator, through the client). */
export class CloudTasksQueue implements DeployQueue {
  private readonly client: TasksClientLike;
  private readonly queuePath: string;
  private readonly workerUrl: string;
  private readonly serviceAccountEmail: string | null;
  private readonly dispatchDeadlineSeconds: number;
  private readonly callTimeoutMs: number;

  /** Validates the options; throws a TypeError or RangeError that names the bad one. */
  constructor(options: CloudTasksQueueOptions) {
    if (!QUEUE_PATH.test(options.queuePath)) {
      throw new TypeError(
        `CloudTasksQueue: queuePath must be projects/PROJECT/locations/LOCATION/queues/QUEUE, got "${options.queuePath}".`,
      );
    }
    let url: URL;
    try {
      url = new URL(options.workerUrl);
    } catch {
      throw new TypeError(`CloudTasksQueue: workerUrl must be an http(s) URL, got "${options.workerUrl}".`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`CloudTasksQueue: workerUrl must be an http(s) URL, got "${options.workerUrl}".`);
    }
    const deadline = options.dispatchDeadlineSeconds ?? DEFAULT_DISPATCH_DEADLINE_SECONDS;
    if (
      !Number.isInteger(deadline) ||
      deadline < MIN_DISPATCH_DEADLINE_SECONDS ||
      deadline > MAX_DISPATCH_DEADLINE_SECONDS
    ) {
      throw new RangeError(
        `CloudTasksQueue: dispatchDeadlineSeconds must be a whole number from ${MIN_DISPATCH_DEADLINE_SECONDS} to ${MAX_DISPATCH_DEADLINE_SECONDS} (Cloud Tasks' limits), got ${deadline}.`,
      );
    }
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!(callTimeoutMs > 0)) {
      throw new RangeError(`CloudTasksQueue: callTimeoutMs must be positive, got ${callTimeoutMs}.`);
    }
    this.client = options.client ?? new CloudTasksClient();
    this.queuePath = options.queuePath;
    this.workerUrl = options.workerUrl;
    this.serviceAccountEmail = options.serviceAccountEmail;
    this.dispatchDeadlineSeconds = deadline;
    this.callTimeoutMs = callTimeoutMs;
  }

  /**
   * Creates the task `${queuePath}/tasks/${taskName}`: POST workerUrl, body `{"requestId": ...}`,
   * scheduled at `notBefore`. ALREADY_EXISTS (a task of that name is queued or ran recently) gives
   * `{isNew: false}`; any other failure throws a {@link QueueError}.
   */
  async enqueue(task: { requestId: string; taskName: string; notBefore: Date }): Promise<EnqueueResult> {
    const { requestId, taskName, notBefore } = task;
    if (!TASK_ID.test(taskName)) {
      throw new QueueError(
        `Cannot enqueue task "${taskName}" in ${this.queuePath}: a task name must be 1-500 letters, digits, '-' or '_'.`,
        null,
        false,
      );
    }
    if (Number.isNaN(notBefore.getTime())) {
      throw new QueueError(
        `Cannot enqueue task ${taskName} in ${this.queuePath}: notBefore is an invalid Date.`,
        null,
        false,
      );
    }
    const httpRequest: protos.google.cloud.tasks.v2.IHttpRequest = {
      url: this.workerUrl,
      httpMethod: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify({ requestId })),
    };
    if (this.serviceAccountEmail) {
      httpRequest.oidcToken = { serviceAccountEmail: this.serviceAccountEmail, audience: this.workerUrl };
    }
    try {
      await this.client.createTask(
        {
          parent: this.queuePath,
          task: {
            name: `${this.queuePath}/tasks/${taskName}`,
            httpRequest,
            scheduleTime: toTimestamp(notBefore),
            dispatchDeadline: { seconds: this.dispatchDeadlineSeconds },
          },
        },
        { timeout: this.callTimeoutMs },
      );
      return { taskName, isNew: true };
    } catch (error) {
      const code = grpcCodeOf(error);
      if (code === GRPC_ALREADY_EXISTS) return { taskName, isNew: false };
      // gRPC errors carry the server's text in `details`; their `message` repeats the code in front of it.
      const grpcDetails = (error as { details?: unknown } | null)?.details;
      const details =
        typeof grpcDetails === 'string' && grpcDetails
          ? grpcDetails
          : error instanceof Error
            ? error.message
            : String(error);
      throw new QueueError(
        `Cannot enqueue task ${taskName} (request ${requestId}) in ${this.queuePath}: ${describeCode(code)}: ${details}. ${hintFor(code)}`,
        code,
        code === null || TRANSIENT_CODES.has(code),
        { cause: error },
      );
    }
  }
}

/**
 * A `CloudTasksClient` for the real service (application default credentials), or, when
 * `emulatorHost` is `host:port` (`CLOUD_TASKS_EMULATOR_HOST`; IPv6 as `[::1]:8123`), one that talks
 * plaintext gRPC to the tasks emulator. Throws a TypeError for a malformed `emulatorHost`.
 */
export function createTasksClient(options: {
  emulatorHost: string | null;
  projectId: string;
}): CloudTasksClient {
  const { emulatorHost, projectId } = options;
  if (!emulatorHost) return new CloudTasksClient({ projectId });
  const match = EMULATOR_HOST.exec(emulatorHost.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(
      `CLOUD_TASKS_EMULATOR_HOST must be host:port (IPv6 as [::1]:8123), got "${emulatorHost}".`,
    );
  }
  return new CloudTasksClient({
    // The client joins apiEndpoint and port with ':', so an IPv6 host keeps its brackets.
    apiEndpoint: match[1],
    port,
    sslCreds: grpc.credentials.createInsecure(),
    projectId,
  });
}

/** The environment variables {@link parseQueuePath} reads. `process.env` is one. */
export interface QueueEnv {
  /** The full queue path, `projects/P/locations/L/queues/Q`. */
  TASKS_QUEUE?: string;
  /** Or the three parts: project, location (region) and queue id. */
  TASKS_PROJECT?: string;
  TASKS_LOCATION?: string;
  TASKS_QUEUE_ID?: string;
}

/** A queue path and its parts, or the problem that prevents one (to collect with other config problems). */
export type QueuePathResult =
  | { ok: true; queuePath: string; project: string; location: string; queueId: string }
  | { ok: false; problem: string };

/**
 * Finds the deploy queue in `env`: `TASKS_QUEUE` as the full path `projects/P/locations/L/queues/Q`,
 * or `TASKS_PROJECT`, `TASKS_LOCATION` and `TASKS_QUEUE_ID` together. Never throws: a missing or
 * malformed value gives `{ok: false, problem}` naming the variable, the bad value and the fix.
 */
export function parseQueuePath(env: QueueEnv): QueuePathResult {
  const full = env.TASKS_QUEUE?.trim() ?? '';
  const parts = {
    TASKS_PROJECT: env.TASKS_PROJECT?.trim() ?? '',
    TASKS_LOCATION: env.TASKS_LOCATION?.trim() ?? '',
    TASKS_QUEUE_ID: env.TASKS_QUEUE_ID?.trim() ?? '',
  };
  const hasParts = Object.values(parts).some((value) => value !== '');
  const shape = 'projects/PROJECT/locations/LOCATION/queues/QUEUE';

  if (full) {
    const match = QUEUE_PATH.exec(full);
    if (!match) {
      const hint = QUEUE_ID_PART.test(full)
        ? ` It looks like a bare queue id: give the full path, or set TASKS_QUEUE_ID=${full} with TASKS_PROJECT and TASKS_LOCATION.`
        : '';
      return { ok: false, problem: `TASKS_QUEUE: must be ${shape} (got ${JSON.stringify(full)}).${hint}` };
    }
    const [, project = '', location = '', queueId = ''] = match;
    const fromParts = `projects/${parts.TASKS_PROJECT}/locations/${parts.TASKS_LOCATION}/queues/${parts.TASKS_QUEUE_ID}`;
    if (hasParts && fromParts !== full) {
      return {
        ok: false,
        problem: `TASKS_QUEUE (${JSON.stringify(full)}) disagrees with TASKS_PROJECT/TASKS_LOCATION/TASKS_QUEUE_ID (${JSON.stringify(fromParts)}): set only TASKS_QUEUE, or only the three parts.`,
      };
    }
    return { ok: true, queuePath: full, project, location, queueId };
  }

  if (!hasParts) {
    return {
      ok: false,
      problem: `TASKS_QUEUE: must name the deploy queue as ${shape} (missing); or set TASKS_PROJECT, TASKS_LOCATION and TASKS_QUEUE_ID.`,
    };
  }
  const missing = Object.entries(parts)
    .filter(([, value]) => value === '')
    .map(([name]) => name);
  if (missing.length > 0) {
    return {
      ok: false,
      problem: `${missing.join(', ')}: missing; set all of TASKS_PROJECT, TASKS_LOCATION and TASKS_QUEUE_ID, or TASKS_QUEUE=${shape} instead.`,
    };
  }
  const checks: Array<[keyof typeof parts, RegExp, string]> = [
    ['TASKS_PROJECT', PROJECT_PART, 'a project id'],
    ['TASKS_LOCATION', LOCATION_PART, 'a location such as us-central1'],
    ['TASKS_QUEUE_ID', QUEUE_ID_PART, 'a queue id of 1-100 letters, digits and hyphens'],
  ];
  const bad = checks
    .filter(([name, pattern]) => !pattern.test(parts[name]))
    .map(([name, , what]) => `${name}: must be ${what} (got ${JSON.stringify(parts[name])})`);
  if (bad.length > 0) return { ok: false, problem: bad.join('; ') };
  const { TASKS_PROJECT: project, TASKS_LOCATION: location, TASKS_QUEUE_ID: queueId } = parts;
  return {
    ok: true,
    queuePath: `projects/${project}/locations/${location}/queues/${queueId}`,
    project,
    location,
    queueId,
  };
}

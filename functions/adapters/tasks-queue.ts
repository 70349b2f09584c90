/**
 * The deploy queue on Cloud Tasks: one HTTP task per deploy request, POSTed to the worker with
 * `{"requestId": ...}`, and the work handed over to the worker (`{"kind": "plan" | "poll", ...}`,
 * core/task-body.ts). Task names are chosen by the caller (deterministic), so a repeat enqueue is
 * ALREADY_EXISTS, which means "already queued", not an error.
 *
 * Locally, `createTasksClient({emulator: {host, port}, ...})` points the real client at
 * scripts/tasks-emulator (the value of `CLOUD_TASKS_EMULATOR_HOST`). The settings come validated from
 * the configuration (functions/config/environment.ts); this adapter does not check them again.
 */
import { CloudTasksClient, type protos } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import type { HostPort } from '../config/host-port.js';
import type { DeployQueue, EnqueueResult, WorkQueue } from '../core/ports.js';
import type { WorkTask } from '../core/task-body.js';
import { GRPC, GRPC_ALREADY_EXISTS, grpcCodeName, grpcCodeOf, isTransientGrpcCode } from './grpc-codes.js';

/** The client's own default deadline for CreateTask (cloud_tasks_client_config.json). */
export const DEFAULT_CALL_TIMEOUT_MS = 20_000;

const TASK_ID = /^[A-Za-z0-9_-]{1,500}$/;

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
  /** `projects/P/locations/L/queues/Q`, validated by the configuration. */
  queuePath: string;
  /** The deploy worker's URL: every task is an HTTP POST to it. */
  workerUrl: string;
  /**
   * When set, each request carries a Google-signed OIDC token of this service account with
   * audience `workerUrl` (the worker requires authentication); null sends none.
   */
  serviceAccountEmail: string | null;
  /** How long Cloud Tasks waits for the worker per attempt (15 to 1800, validated by the configuration). */
  dispatchDeadlineSeconds: number;
  /** Deadline of the CreateTask call itself, in ms. Default 20 000 (the client's own default). */
  callTimeoutMs?: number;
}

function hintFor(code: number | null): string {
  switch (code) {
    case GRPC.NOT_FOUND:
      return 'Check that the queue exists (terraform apply) and that TASKS_QUEUE names it.';
    case GRPC.PERMISSION_DENIED:
      return 'Grant the function roles/cloudtasks.enqueuer on the queue and roles/iam.serviceAccountUser on the OIDC service account.';
    case GRPC.INVALID_ARGUMENT:
      return 'The task was rejected as malformed; see the details above.';
    case GRPC.FAILED_PRECONDITION:
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
export class CloudTasksQueue implements DeployQueue, WorkQueue {
  private readonly client: TasksClientLike;
  private readonly queuePath: string;
  private readonly workerUrl: string;
  private readonly serviceAccountEmail: string | null;
  private readonly dispatchDeadlineSeconds: number;
  private readonly callTimeoutMs: number;

  constructor(options: CloudTasksQueueOptions) {
    this.client = options.client ?? new CloudTasksClient();
    this.queuePath = options.queuePath;
    this.workerUrl = options.workerUrl;
    this.serviceAccountEmail = options.serviceAccountEmail;
    this.dispatchDeadlineSeconds = options.dispatchDeadlineSeconds;
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /**
   * Creates the task `${queuePath}/tasks/${taskName}`: POST workerUrl, body `{"requestId": ...}`,
   * scheduled at `notBefore`. ALREADY_EXISTS (a task of that name is queued or ran recently) gives
   * `{isNew: false}`; any other failure throws a {@link QueueError}.
   */
  async enqueue(task: { requestId: string; taskName: string; notBefore: Date }): Promise<EnqueueResult> {
    const { requestId, taskName, notBefore } = task;
    return this.createTask(taskName, { requestId }, notBefore, `request ${requestId}`);
  }

  /** Creates the task `taskName` for a plan or poll task (core/task-body.ts), to run now; as {@link enqueue}. */
  async enqueueWork(task: WorkTask, taskName: string): Promise<EnqueueResult> {
    const body: Record<string, string> = Object.fromEntries(
      Object.entries(task).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
    return this.createTask(taskName, body, null, `${task.kind} task`);
  }

  private async createTask(
    taskName: string,
    body: Record<string, string>,
    notBefore: Date | null,
    what: string,
  ): Promise<EnqueueResult> {
    if (!TASK_ID.test(taskName)) {
      throw new QueueError(
        `Cannot enqueue task "${taskName}" in ${this.queuePath}: a task name must be 1-500 letters, digits, '-' or '_'.`,
        null,
        false,
      );
    }
    if (notBefore !== null && Number.isNaN(notBefore.getTime())) {
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
      body: Buffer.from(JSON.stringify(body)),
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
            ...(notBefore === null ? {} : { scheduleTime: toTimestamp(notBefore) }),
            dispatchDeadline: { seconds: this.dispatchDeadlineSeconds },
          },
        },
        { timeout: this.callTimeoutMs },
      );
      return { taskName, isNew: true };
    } catch (error) {
      const code = grpcCodeOf(error);
      if (code === GRPC_ALREADY_EXISTS) return { taskName, isNew: false };
      throw queueErrorOf(error, code, `Cannot enqueue task ${taskName} (${what}) in ${this.queuePath}`);
    }
  }
}

/** A failed CreateTask as a {@link QueueError}, with the server's text and a hint. */
function queueErrorOf(error: unknown, code: number | null, prefix: string): QueueError {
  // gRPC errors carry the server's text in `details`; their `message` repeats the code in front of it.
  const grpcDetails = (error as { details?: unknown } | null)?.details;
  const details =
    typeof grpcDetails === 'string' && grpcDetails
      ? grpcDetails
      : error instanceof Error
        ? error.message
        : String(error);
  return new QueueError(
    `${prefix}: ${grpcCodeName(code)}: ${details}. ${hintFor(code)}`,
    code,
    code === null || isTransientGrpcCode(code),
    { cause: error },
  );
}

/**
 * A `CloudTasksClient` for the real service (application default credentials), or, given an emulator
 * (`CLOUD_TASKS_EMULATOR_HOST`), one that talks plaintext gRPC to it.
 */
export function createTasksClient(options: {
  emulator: HostPort | null;
  projectId: string;
}): CloudTasksClient {
  const { emulator, projectId } = options;
  if (!emulator) return new CloudTasksClient({ projectId });
  return new CloudTasksClient({
    // The client joins apiEndpoint and port with ':', so an IPv6 host keeps its brackets.
    apiEndpoint: emulator.host,
    port: emulator.port,
    sslCreds: grpc.credentials.createInsecure(),
    projectId,
  });
}

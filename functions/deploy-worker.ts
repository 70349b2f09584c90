/**
 * `deployWorker`: Cloud Tasks calls it with `{"requestId": "..."}` for each deploy or teardown request,
 * `{"kind": "plan", "version", "head", "deliveryId"}` to plan a version after a push, and
 * `{"kind": "poll", "repo", "branch"}` to poll a branch for the tick (the bodies: core/task-body.ts,
 * read strictly).
 * Status codes follow Cloud Tasks' retry contract: 2xx when done (including permanent failures, which
 * are recorded on the deployment and the request), 503 when a retry can help (Kubernetes or Firestore
 * unavailable, a launch held by another delivery). A body that can never succeed (not JSON, not a task,
 * over 1 MiB, compressed) is logged as an ERROR and answered 200 to Cloud Tasks (the header
 * X-CloudTasks-TaskName) so that it does not loop, and 400 / 413 / 415 to anyone else.
 * With AUTH_MODE=required only the tasks' service account, from the configured queue, may call it:
 * 401 without a valid ID token, 403 for another caller or queue, before anything is read or written
 * (Cloud Tasks retries those, so a misconfiguration loses no task).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Guard } from './caller-check.js';
import type { WorkerOutcome } from './core/launch.js';
import { isValidDocumentId } from './core/names.js';
import { parseTaskBody, type TaskBody, type WorkTask } from './core/task-body.js';
import { MAX_WORKER_BODY_BYTES } from './http/body-limits.js';
import { type BodyRefusal, readJsonBody, refusalOf } from './http/json-body.js';
import { describeError, type Logger } from './log.js';

export interface DeployWorkerDeps {
  /** Carries out one request (use-cases/run-deploy-request.ts); throws only when a retry can help. */
  run: (requestId: string) => Promise<WorkerOutcome>;
  /**
   * Plans one version after a push, or polls one branch for the tick (use-cases/plan-tasks.ts);
   * throws only when a retry can help. Absent: such tasks are refused.
   */
  work?: (task: WorkTask) => Promise<WorkerOutcome>;
  logger: Logger;
  /** The caller check (caller-check.ts); none when AUTH_MODE=off. */
  guard?: Guard;
}

const EXPECTED_BODY =
  'the body must be JSON {"requestId": "<deployRequests id>"}, or a plan or poll task ({"kind": "plan" | "poll", ...})';

/**
 * The task the body asks for (read by http/json-body.ts: size limit, JSON, no compression; then
 * strictly, core/task-body.ts), or why the worker cannot carry it out.
 */
function readTask(deps: DeployWorkerDeps, req: Request): TaskBody | BodyRefusal {
  const body = readJsonBody(req, MAX_WORKER_BODY_BYTES);
  if (body.kind !== 'ok') {
    const refusal = refusalOf(body);
    return { status: refusal.status, error: `${refusal.error}; ${EXPECTED_BODY}` };
  }
  const task = parseTaskBody(body.value);
  if ('error' in task) return { status: 400, error: `${task.error}; ${EXPECTED_BODY}` };
  // Request ids are document ids (core/names.ts deployRequestId, teardownRequestId).
  if (task.kind === 'request' && !isValidDocumentId(task.requestId)) {
    return { status: 400, error: `requestId must be a deployRequests id; ${EXPECTED_BODY}` };
  }
  if (task.kind !== 'request' && !deps.work) {
    return { status: 400, error: `this worker does not run ${task.kind} tasks` };
  }
  return task;
}

/** What the logs and the answer call the task: the request id, `plan:<version>@<head>` or `poll:<repo>:<branch>`. */
function taskLabel(task: TaskBody): string {
  if (task.kind === 'request') return task.requestId;
  return task.kind === 'plan' ? `plan:${task.version}@${task.head}` : `poll:${task.repo}:${task.branch}`;
}

/** Carries the task out; throws only when a retry can help. */
function carryOut(deps: DeployWorkerDeps, task: TaskBody): Promise<WorkerOutcome> {
  if (task.kind === 'request') return deps.run(task.requestId);
  if (!deps.work) throw new Error(`this worker does not run ${task.kind} tasks`);
  return deps.work(task);
}

export function createDeployWorkerHandler(
  deps: DeployWorkerDeps,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const task = req.get('X-CloudTasks-TaskName');
    const log = deps.logger.child({
      task,
      retry: req.get('X-CloudTasks-TaskRetryCount'),
      queue: req.get('X-CloudTasks-QueueName'),
    });
    res.set('Cache-Control', 'no-store');
    if (deps.guard && !(await deps.guard(req, res))) return;
    if (req.method !== 'POST') {
      res.set('Allow', 'POST').status(405).json({ error: 'Cloud Tasks delivers POST requests' });
      return;
    }
    const body = readTask(deps, req);
    if ('status' in body) {
      // A retry cannot make it valid: a task gets a 2xx, or Cloud Tasks would retry it to maxAttempts.
      log.error('task body refused; dropped, a retry cannot help', {
        status: body.status,
        error: body.error,
      });
      res.status(task ? 200 : body.status).json({ error: body.error, dropped: Boolean(task) });
      return;
    }
    const requestId = taskLabel(body);
    try {
      const outcome = await carryOut(deps, body);
      const fields = { request: requestId, ...outcome };
      if (outcome.kind === 'retry') {
        log.warn('worker asks for a retry', fields);
        res.status(503).json(fields);
        return;
      }
      log.info('worker done', fields);
      res.status(200).json(fields);
    } catch (err) {
      log.error('worker failed; Cloud Tasks will retry', { request: requestId, ...describeError(err) });
      res
        .status(503)
        .json({ request: requestId, kind: 'retry', result: 'error', detail: (err as Error).message });
    }
  };
}

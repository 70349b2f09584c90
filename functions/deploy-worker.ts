/**
 * `deployWorker`: Cloud Tasks calls it with `{"requestId": "..."}` for each deploy or teardown request.
 * Status codes follow Cloud Tasks' retry contract: 2xx when done (including permanent failures, which
 * are recorded on the deployment and the request), 503 when a retry can help (Kubernetes or Firestore
 * unavailable, a launch held by another delivery). A body that can never succeed (not JSON, no valid
 * `requestId`, over 1 MiB, compressed) is logged as an ERROR and answered 200 to Cloud Tasks (the header
 * X-CloudTasks-TaskName) so that it does not loop, and 400 / 413 / 415 to anyone else.
 * With AUTH_MODE=required only the tasks' service account, from the configured queue, may call it:
 * 401 without a valid ID token, 403 for another caller or queue, before anything is read or written
 * (Cloud Tasks retries those, so a misconfiguration loses no task).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Guard } from './caller-check.js';
import type { WorkerOutcome } from './core/launch.js';
import { isValidDocumentId } from './core/names.js';
import { MAX_WORKER_BODY_BYTES } from './http/body-limits.js';
import { type BodyRefusal, readJsonBody, refusalOf } from './http/json-body.js';
import { describeError, type Logger } from './log.js';

export interface DeployWorkerDeps {
  /** Carries out one request (use-cases/run-deploy-request.ts); throws only when a retry can help. */
  run: (requestId: string) => Promise<WorkerOutcome>;
  logger: Logger;
  /** The caller check (caller-check.ts); none when AUTH_MODE=off. */
  guard?: Guard;
}

/** Request ids are document ids (core/names.ts deployRequestId, teardownRequestId). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,500}$/;

function requestIdOf(body: unknown): string | null {
  const id = (body as { requestId?: unknown } | null | undefined)?.requestId;
  return typeof id === 'string' && REQUEST_ID.test(id) && isValidDocumentId(id) ? id : null;
}

/** The request id of the task's body, or why there is none. */
function readRequestId(req: Request): { requestId: string } | BodyRefusal {
  const expected = 'the body must be JSON {"requestId": "<deployRequests id>"}';
  const body = readJsonBody(req, MAX_WORKER_BODY_BYTES);
  if (body.kind !== 'ok') {
    const refusal = refusalOf(body);
    return { status: refusal.status, error: `${refusal.error}; ${expected}` };
  }
  const requestId = requestIdOf(body.value);
  return requestId ? { requestId } : { status: 400, error: expected };
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
    const read = readRequestId(req);
    if (!('requestId' in read)) {
      // A retry cannot make it valid: a task gets a 2xx, or Cloud Tasks would retry it to maxAttempts.
      log.error('task body refused; dropped, a retry cannot help', {
        status: read.status,
        error: read.error,
      });
      res.status(task ? 200 : read.status).json({ error: read.error, dropped: Boolean(task) });
      return;
    }
    const { requestId } = read;
    try {
      const outcome = await deps.run(requestId);
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

/**
 * `deployWorker`: Cloud Tasks calls it with `{"requestId": "..."}` for each deploy or teardown request.
 * Status codes follow Cloud Tasks' retry contract: 2xx when done (including permanent failures, which
 * are recorded on the deployment and the request), 503 when a retry can help (Kubernetes or Firestore
 * unavailable, a launch held by another delivery). A malformed body is 400 for a person, but 200 for
 * Cloud Tasks (the header X-CloudTasks-TaskName) so that a task that can never succeed does not loop.
 * With AUTH_MODE=required only the tasks' service account, from the configured queue, may call it:
 * 401 without a valid ID token, 403 for another caller or queue, before anything is read or written
 * (Cloud Tasks retries those, so a misconfiguration loses no task).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Guard } from './caller-check.js';
import type { WorkerOutcome } from './core/launch.js';
import { describeError, type Logger } from './log.js';

export interface DeployWorkerDeps {
  /** Carries out one request (use-cases/run-deploy-request.ts); throws only when a retry can help. */
  run: (requestId: string) => Promise<WorkerOutcome>;
  logger: Logger;
  /** The caller check (caller-check.ts); none when AUTH_MODE=off. */
  guard?: Guard;
}

function requestIdOf(body: unknown): string | null {
  const parsed = Buffer.isBuffer(body)
    ? safeJson(body.toString('utf8'))
    : typeof body === 'string'
      ? safeJson(body)
      : body;
  const id = (parsed as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && /^[A-Za-z0-9._:-]{1,500}$/.test(id) ? id : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
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
    const requestId = requestIdOf(req.body);
    if (!requestId) {
      log.error('task body has no valid requestId; dropped');
      res.status(task ? 200 : 400).json({ error: 'body must be JSON {"requestId": "<deployRequests id>"}' });
      return;
    }
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

/**
 * `schedulerTick`: Cloud Scheduler calls it every 5 minutes (operators: `gcloud scheduler jobs run`).
 * Runs the tick's steps (poll, refresh, inventory, readiness, close expired leases, clean Jobs, plan and
 * enqueue, GitHub sync) and answers what each did (a TickReport): 200 when every step worked, 500 when
 * one failed (Cloud Scheduler then records the run as failed; the other steps still ran and the next
 * tick tries again).
 * With AUTH_MODE=required only Cloud Scheduler's service account may call it: 401 without a valid ID
 * token, 403 for another caller, before the tick reads anything. The body is ignored, but one over
 * 64 KiB or compressed is refused (413, 415), after the caller check.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Guard } from './caller-check.js';
import { MAX_TICK_BODY_BYTES } from './http/body-limits.js';
import { sizeOrEncodingRefusal } from './http/json-body.js';
import type { Logger } from './log.js';
import type { TickReport } from './use-cases/tick.js';

export interface SchedulerTickDeps {
  /** One tick (use-cases/tick.ts). */
  tick: () => Promise<TickReport>;
  logger: Logger;
  /** The caller check (caller-check.ts); none when AUTH_MODE=off. */
  guard?: Guard;
}

export function createSchedulerTickHandler(
  deps: SchedulerTickDeps,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (deps.guard && !(await deps.guard(req, res))) return;
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.set('Allow', 'GET, POST').status(405).json({ error: 'use POST (Cloud Scheduler) or GET' });
      return;
    }
    const refusal = sizeOrEncodingRefusal(req, MAX_TICK_BODY_BYTES);
    if (refusal) {
      deps.logger.warn('tick request body refused', { ...refusal });
      res.status(refusal.status).set('Cache-Control', 'no-store').json({ error: refusal.error });
      return;
    }
    const report = await deps.tick();
    deps.logger[report.ok ? 'info' : 'error']('tick finished', { ...report });
    res
      .status(report.ok ? 200 : 500)
      .set('Cache-Control', 'no-store')
      .json(report);
  };
}

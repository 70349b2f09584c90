/**
 * `schedulerTick`: Cloud Scheduler calls it every 5 minutes (operators: `gcloud scheduler jobs run`).
 * Runs the planner's three steps (poll, refresh, plan and enqueue) and answers what each did:
 * 200 when every step worked, 500 when one failed (Cloud Scheduler then records the run as failed;
 * the other steps still ran and the next tick tries again).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { DeployPlanner } from './deploy-planner.js';
import type { Logger } from './log.js';

export interface SchedulerTickDeps {
  planner: Pick<DeployPlanner, 'tick'>;
  logger: Logger;
}

export function createSchedulerTickHandler(
  deps: SchedulerTickDeps,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.set('Allow', 'GET, POST').status(405).json({ error: 'use POST (Cloud Scheduler) or GET' });
      return;
    }
    const report = await deps.planner.tick();
    const ok = report.poll.ok && report.refresh.ok && report.plan.ok;
    deps.logger[ok ? 'info' : 'error']('tick finished', { ...report });
    res
      .status(ok ? 200 : 500)
      .set('Cache-Control', 'no-store')
      .json({ ok, ...report });
  };
}

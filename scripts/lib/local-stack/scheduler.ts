/** The local stack's Cloud Scheduler: a timer that calls /schedulerTick every TICK_INTERVAL_SECONDS. */
import { describeError, type Logger } from '../../../functions/log.js';
import type { Started } from './running-components.js';

export type Tick = () => Promise<{ status: number; body: unknown }>;

/** Calls /schedulerTick of the gateway at `url` once over HTTP, as Cloud Scheduler does. */
export function tickThrough(url: string): Tick {
  return async () => {
    const response = await fetch(`${url}/schedulerTick`, { method: 'POST' });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
}

/** Calls `tick` every TICK_INTERVAL_SECONDS (default 300; 0: never); throws for a bad value. */
export function startLocalScheduler(env: NodeJS.ProcessEnv, tick: Tick, logger: Logger): Started {
  const intervalSeconds = Number(env.TICK_INTERVAL_SECONDS ?? 300);
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
    throw new Error(
      `TICK_INTERVAL_SECONDS: must be a number of seconds, 0 to disable (got ${env.TICK_INTERVAL_SECONDS})`,
    );
  }
  if (intervalSeconds === 0) return {};
  const timer = setInterval(() => {
    tick().catch((err: unknown) => logger.warn('local scheduler: tick failed', describeError(err)));
  }, intervalSeconds * 1000);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}

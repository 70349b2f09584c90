/**
 * The pipeline's health as a reader sees it at `now`: the last tick's record (tick-health.ts), or
 * "no tick recorded yet", and stale when the last tick is older than a few tick intervals (Cloud
 * Scheduler stopped, the tick failing before it could record anything, the function not deployed).
 * Shared by the status page's banner (health-banner.ts) and `api/health`. Pure.
 */
import type { HealthProblem, TickHealth } from './tick-health.js';
import { spanWords } from './time.js';

/** Cloud Scheduler runs the tick every 5 minutes: infra/scheduler.tf `schedule = "*\/5 * * * *"`. */
export const TICK_INTERVAL_MINUTES = 5;
/** Ticks that may be missed before the health is stale: one late run is not a problem yet. */
export const STALE_AFTER_TICKS = 3;
/** The last tick is stale when older than this (15 min). */
export const STALE_AFTER_MINUTES = TICK_INTERVAL_MINUTES * STALE_AFTER_TICKS;
/**
 * How an operator runs a tick at once, when the deployment does not say (TICK_COMMAND, which Terraform
 * sets to the exact command): the default `name_prefix`, the region left to fill in.
 */
export const RUN_TICK_COMMAND = 'gcloud scheduler jobs run auto-deploy-tick --location=<region>';

/**
 * `unknown`: no tick recorded; `stale`: none for `STALE_AFTER_MINUTES`; `failing`: the last tick failed
 * a step (or part of one); `warning`: it worked and recovered something (heads only the poll saw); `ok`.
 */
export type HealthState = 'unknown' | 'stale' | 'failing' | 'warning' | 'ok';

export interface HealthView {
  state: HealthState;
  /** One line: `ok`, `2 problems`, `no tick for 42 min`, `no tick recorded yet`. */
  summary: string;
  /** The last tick's record, when there is one (a stale one keeps its problems). */
  last: TickHealth | null;
  /** Whole minutes since the last tick (0 when its time is ahead of `now`). */
  minutesSince: number | null;
  /** The command that runs a tick now, shown when none ran lately. */
  runTick: string;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function stateOf(problems: readonly HealthProblem[], ok: boolean): HealthState {
  if (!ok || problems.some((problem) => problem.severity === 'error')) return 'failing';
  return problems.length > 0 ? 'warning' : 'ok';
}

function summaryOf(state: HealthState, problems: readonly HealthProblem[], minutesSince: number): string {
  if (state === 'stale')
    return `no tick for ${spanWords(minutesSince)} (expected every ${TICK_INTERVAL_MINUTES} min)`;
  if (state === 'ok') return 'ok';
  if (state === 'warning') return `ok, ${plural(problems.length, 'warning')}`;
  return problems.length > 0 ? plural(problems.length, 'problem') : 'the tick failed';
}

/** The health a reader at `now` sees; `runTick`: how to run a tick (TICK_COMMAND), else the generic command. */
export function viewTickHealth(
  last: TickHealth | null,
  now: Date,
  runTick: string = RUN_TICK_COMMAND,
): HealthView {
  if (last === null) {
    return { state: 'unknown', summary: 'no tick recorded yet', last, minutesSince: null, runTick };
  }
  const minutesSince = Math.max(0, Math.floor((now.getTime() - last.ranAt.getTime()) / 60_000));
  const state = minutesSince > STALE_AFTER_MINUTES ? 'stale' : stateOf(last.problems, last.ok);
  return { state, summary: summaryOf(state, last.problems, minutesSince), last, minutesSince, runTick };
}

/** `api/health`: the view with ISO times, the interval it is judged by, and how to run a tick. */
export function healthToJson(view: HealthView): Record<string, unknown> {
  return {
    state: view.state,
    summary: view.summary,
    lastTick: view.last
      ? { ranAt: view.last.ranAt.toISOString(), ok: view.last.ok, problems: view.last.problems }
      : null,
    minutesSinceLastTick: view.minutesSince,
    tickIntervalMinutes: TICK_INTERVAL_MINUTES,
    staleAfterMinutes: STALE_AFTER_MINUTES,
    runTick: view.runTick,
  };
}

/**
 * The pipeline's health, as the last tick saw it: when it ran, whether every step worked, and each
 * problem in words with the step it concerns (a GitHub poll that failed, heads only the poll recorded,
 * requests the queue refused, a step that threw). The tick stores one such record per run
 * (`health/tick`), so the status page can show what was until now only in the logs and in the tick's
 * answer. Pure: the tick's report and `now` in, the record out.
 */

/** A problem of one tick: the step it concerns and what happened, in words an operator can act on. */
export interface HealthProblem {
  /** The tick step (`poll`, `plan`, ...), or `tick` for the summary of problems left out. */
  step: string;
  /** `error`: something failed (the tick answered 500, or a part of a step did); `warning`: it recovered. */
  severity: 'error' | 'warning';
  message: string;
}

/** The record the tick stores after its steps (document `health/tick`). */
export interface TickHealth {
  /** When the tick ran (its clock after the steps). */
  ranAt: Date;
  /** The tick's own verdict: every step worked (it answered 200). */
  ok: boolean;
  /** What went wrong or was recovered, at most `MAX_HEALTH_PROBLEMS`, each at most `MAX_PROBLEM_CHARS`. */
  problems: HealthProblem[];
}

/** Where the tick stores its health (adapters/firestore/health-store.ts). */
export interface TickHealthStore {
  /** Replaces the one health record. */
  writeTickHealth(health: TickHealth): Promise<void>;
}

/** What the status function reads of it. */
export interface TickHealthReader {
  /** The last tick's health; null when no tick has recorded one yet. */
  readTickHealth(): Promise<TickHealth | null>;
}

/** One step's outcome as the health reads it: the step reports, or a step that threw (`StepFailure`). */
export interface StepOutcome {
  ok: boolean;
  error?: string;
  /** Parts of the step that failed (branches, Jobs, instances), when the step reports them. */
  failed?: readonly string[];
}

/** The parts of the tick's report (use-cases/tick.ts `TickReport`) the health is made from. */
export interface TickOutcome {
  ok: boolean;
  poll: StepOutcome & {
    recorded?: readonly string[];
    fannedOut?: number;
    taskFailures?: ReadonlyArray<{ key: string; error: string }>;
    /** Fanned out: why the poll tasks in `failed` could not be queued (the queue's first error). */
    queueError?: string;
  };
  refresh: StepOutcome;
  inventory: StepOutcome;
  verify: StepOutcome;
  leases: StepOutcome;
  cleanJobs: StepOutcome;
  plan: StepOutcome & { enqueueFailed?: readonly string[] };
  github: StepOutcome;
}

/** Problems kept per record: a tick with GitHub down at 200 branches stores a few lines, not 200. */
export const MAX_HEALTH_PROBLEMS = 10;
/** Characters kept per problem (an error message can hold a whole answer body). */
export const MAX_PROBLEM_CHARS = 300;
/** Branches named one by one in the poll's problems; the rest are counted. */
export const MAX_LISTED_BRANCHES = 3;

const STEPS = ['poll', 'refresh', 'inventory', 'verify', 'leases', 'cleanJobs', 'plan', 'github'] as const;

/** `count word(s)`. */
function counted(count: number, word: string, plural = `${word}s`): string {
  return `${count} ${count === 1 ? word : plural}`;
}

/** Text cut to `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `owner:repo:branch` (core/names.ts `branchDocId`) as people write it: `owner/repo@branch`. */
export function branchOfKey(key: string): string {
  const [owner, repo, ...rest] = key.split(':');
  if (repo === undefined || rest.length === 0) return key;
  const branch = rest.join(':').replace(/%2F/g, '/').replace(/%25/g, '%');
  return `${owner}/${repo}@${branch}`;
}

/**
 * A branch's own message in the poll's error (`poll failed for 2 of 3 branches: k1: m1; k2: m2`): from
 * after `key: ` to the next failed branch's key, or the end. Null when the error does not name it.
 */
export function branchDetail(
  error: string | undefined,
  key: string,
  failed: readonly string[],
): string | null {
  if (!error) return null;
  const start = error.indexOf(`${key}: `);
  if (start < 0) return null;
  const from = start + key.length + 2;
  const ends = failed.map((other) => error.indexOf(`; ${other}: `, from)).filter((index) => index >= 0);
  return error.slice(from, ends.length > 0 ? Math.min(...ends) : undefined).trim();
}

/** A step that threw: a `StepFailure` (no report of its own, only the error). */
function hasThrown(outcome: StepOutcome): boolean {
  return !outcome.ok && outcome.failed === undefined;
}

/** The fanned-out poll tasks (since the last tick) that could not ask GitHub, a line per branch. */
function pollTaskFailures(poll: TickOutcome['poll']): HealthProblem[] {
  const failures = poll.taskFailures ?? [];
  const listed = failures.slice(0, MAX_LISTED_BRANCHES).map(
    ({ key, error }): HealthProblem => ({
      step: 'poll',
      severity: 'error',
      message: `the poll task of ${branchOfKey(key)} could not ask GitHub (${clip(error, MAX_PROBLEM_CHARS - 100)}); the recorded heads are kept`,
    }),
  );
  const rest = failures.length - listed.length;
  if (rest === 0) return listed;
  const message = `the poll tasks of ${counted(rest, 'more branch', 'more branches')} could not ask GitHub; the recorded heads are kept`;
  return [...listed, { step: 'poll', severity: 'error', message }];
}

function pollFailures(poll: TickOutcome['poll']): HealthProblem[] {
  const failed = poll.failed ?? [];
  if (poll.fannedOut !== undefined) {
    const queued =
      failed.length === 0
        ? []
        : [
            {
              step: 'poll',
              severity: 'error' as const,
              message: `could not queue the poll of ${counted(failed.length, 'branch', 'branches')} (${poll.queueError ?? poll.error ?? 'no error given'}); the next tick retries`,
            },
          ];
    return [...queued, ...pollTaskFailures(poll)];
  }
  if (failed.length === 0) return [];
  const listed = failed.slice(0, MAX_LISTED_BRANCHES).map((key): HealthProblem => {
    const detail = branchDetail(poll.error, key, failed);
    const why = detail ? ` (${clip(detail, MAX_PROBLEM_CHARS - 100)})` : '';
    const message = `GitHub could not tell about ${branchOfKey(key)}${why}; the recorded heads are kept`;
    return { step: 'poll', severity: 'error', message };
  });
  const rest = failed.length - listed.length;
  if (rest === 0) return listed;
  const message = `GitHub could not tell about ${counted(rest, 'more branch', 'more branches')}; the recorded heads are kept`;
  return [...listed, { step: 'poll', severity: 'error', message }];
}

/** Heads the poll recorded are heads no webhook delivery had: a delivery was lost, refused or never sent. */
function pollRecoveries(poll: TickOutcome['poll']): HealthProblem[] {
  const recorded = poll.recorded ?? [];
  if (recorded.length === 0) return [];
  const names = recorded.slice(0, MAX_LISTED_BRANCHES).map(branchOfKey).join(', ');
  const more =
    recorded.length > MAX_LISTED_BRANCHES ? ` and ${recorded.length - MAX_LISTED_BRANCHES} more` : '';
  const message =
    `recorded heads of ${counted(recorded.length, 'branch', 'branches')} that no webhook delivery had recorded ` +
    `(${names}${more}): a delivery was lost or refused, or the branch had no push since it was followed`;
  return [{ step: 'poll', severity: 'warning', message }];
}

function planProblems(plan: TickOutcome['plan']): HealthProblem[] {
  const refused = plan.enqueueFailed ?? [];
  if (refused.length === 0) return [];
  const message = `could not queue ${counted(refused.length, 'request')}; they stay pending and the next tick retries`;
  return [{ step: 'plan', severity: 'error', message }];
}

/** The parts a step reports as failed while the step itself ran (Jobs not deleted, statuses not posted). */
function partialFailures(step: 'cleanJobs' | 'github', outcome: StepOutcome): HealthProblem[] {
  const failed = outcome.failed ?? [];
  if (failed.length === 0) return [];
  const what = step === 'cleanJobs' ? 'delete' : 'tell GitHub about';
  const noun = step === 'cleanJobs' ? counted(failed.length, 'Job') : counted(failed.length, 'deployment');
  const why = outcome.error ? `: ${outcome.error}` : '';
  const message = `could not ${what} ${noun}${why}; the next tick retries`;
  return [{ step, severity: step === 'cleanJobs' ? 'error' : 'warning', message }];
}

function stepProblems(report: TickOutcome, step: (typeof STEPS)[number]): HealthProblem[] {
  const outcome = report[step];
  if (hasThrown(outcome))
    return [{ step, severity: 'error', message: `failed: ${outcome.error ?? 'no error given'}` }];
  if (step === 'poll') return [...pollFailures(report.poll), ...pollRecoveries(report.poll)];
  if (step === 'plan') return planProblems(report.plan);
  if (step === 'cleanJobs' || step === 'github') return partialFailures(step, outcome);
  return [];
}

/** At most `MAX_HEALTH_PROBLEMS`, each clipped; the ones left out are counted in the last line. */
function bounded(problems: HealthProblem[]): HealthProblem[] {
  const clipped = problems.map((problem) => ({
    ...problem,
    message: clip(problem.message, MAX_PROBLEM_CHARS),
  }));
  if (clipped.length <= MAX_HEALTH_PROBLEMS) return clipped;
  const kept = clipped.slice(0, MAX_HEALTH_PROBLEMS - 1);
  const left = clipped.length - kept.length;
  const severity = clipped.slice(kept.length).some((problem) => problem.severity === 'error')
    ? 'error'
    : 'warning';
  return [
    ...kept,
    { step: 'tick', severity, message: `and ${counted(left, 'more problem')} (see the tick's log)` },
  ];
}

/** The record to store for a tick that ran at `now`: its verdict and its problems, in step order. */
export function tickHealthOf(report: TickOutcome, now: Date): TickHealth {
  return {
    ranAt: now,
    ok: report.ok,
    problems: bounded(STEPS.flatMap((step) => stepProblems(report, step))),
  };
}

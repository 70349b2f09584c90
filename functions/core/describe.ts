/**
 * Planner decisions in words, for the status page and the logs. Pure: `now` is a parameter.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, pad2 } from './time.js';
import type { DeployReason, VersionDecision } from './types.js';

/** How many characters of a commit sha people see. */
export const SHORT_SHA_LENGTH = 7;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const REASON_WORDS: Record<DeployReason, string> = {
  'new-commit': 'new commit',
  periodic: 'periodic redeploy',
  manual: 'manual redeploy',
  retry: 'retry after a failure',
};

/** The first 7 characters of a sha. */
export function shortSha(sha: string): string {
  return sha.slice(0, SHORT_SHA_LENGTH);
}

/**
 * A duration the way people read an age, rounded down to whole minutes:
 * `12m` under an hour, `3h 05m` under a day, `2d 4h` from a day on. Negative durations (clock skew) read `0m`.
 */
export function formatAge(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < HOUR_MS) return `${Math.floor(safe / MINUTE_MS)}m`;
  if (safe < DAY_MS)
    return `${Math.floor(safe / HOUR_MS)}h ${pad2(Math.floor((safe % HOUR_MS) / MINUTE_MS))}m`;
  return `${Math.floor(safe / DAY_MS)}d ${Math.floor((safe % DAY_MS) / HOUR_MS)}h`;
}

/** `14:05 UTC`, or `Nov 30 14:05 UTC` when `at` is not on the same UTC day as `now`. */
export function formatUtcTime(at: Date, now: Date): string {
  const time = `${pad2(at.getUTCHours())}:${pad2(at.getUTCMinutes())} UTC`;
  const sameDay =
    at.getUTCFullYear() === now.getUTCFullYear() &&
    at.getUTCMonth() === now.getUTCMonth() &&
    at.getUTCDate() === now.getUTCDate();
  return sameDay ? time : `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()} ${time}`;
}

/** One planner decision in words, e.g. `rate-limited until 14:05 UTC` or `up to date with abc1234`. */
export function describeDecision(decision: VersionDecision, now: Date): string {
  if (decision.kind === 'deploy') return deployWords(decision, now);
  const commit = decision.commit === undefined ? '' : ` ${shortSha(decision.commit)}`;
  switch (decision.reason) {
    case 'paused':
      return 'paused';
    case 'drained':
      return 'drained: every version is paused';
    case 'no-commit':
      return 'no commit recorded yet';
    case 'up-to-date':
      return decision.commit === undefined ? 'up to date' : `up to date with${commit}`;
    case 'in-progress':
      return `deploying${commit}`;
    case 'not-queued':
      return notQueuedWords(decision);
    case 'rate-limited':
      return decision.until === undefined
        ? 'rate-limited'
        : `rate-limited until ${formatUtcTime(decision.until, now)}`;
    case 'at-capacity':
      return decision.active === undefined ? 'at capacity' : `at capacity: ${decision.active} active`;
    case 'failed':
      return `failed ${decision.attempts ?? 'too many'} times; waiting for a new commit, the periodic redeploy, or a forced redeploy`;
  }
}

/** `deploy abc1234 queued (new commit)`, `... launched (...)` or, due later, when. */
function deployWords(decision: Extract<VersionDecision, { kind: 'deploy' }>, now: Date): string {
  const commit = shortSha(decision.commit);
  if (decision.notBefore.getTime() > now.getTime()) {
    if (decision.reason === 'retry') return retryWords(decision, now);
    return `deploy ${commit} at ${formatUtcTime(decision.notBefore, now)} (rate-limited until then)`;
  }
  return `deploy ${commit} ${decision.launched ? 'launched' : 'queued'} (${REASON_WORDS[decision.reason]})`;
}

/** `abc1234 not queued (enqueue failed: ...); the next tick tries again`. */
function notQueuedWords(decision: Extract<VersionDecision, { kind: 'wait' }>): string {
  const what = decision.commit === undefined ? 'the deploy' : shortSha(decision.commit);
  return `${what} not queued (${decision.error ?? 'the queue is unavailable'}); the next tick tries again`;
}

/** `failed (attempt 2 of 3), retrying at 14:05 UTC`: the attempt that failed last, and when the next starts. */
function retryWords(decision: Extract<VersionDecision, { kind: 'deploy' }>, now: Date): string {
  const failed = (decision.attempt ?? 2) - 1;
  const of = decision.maxAttempts === undefined ? '' : ` of ${decision.maxAttempts}`;
  return `failed (attempt ${failed}${of}), retrying at ${formatUtcTime(decision.notBefore, now)}`;
}

/**
 * The decision as people should read it once it was acted on: a deploy queued for later (its
 * `notBefore` still ahead) is, for now, a wait: rate-limited until then.
 */
export function shownDecision(decision: VersionDecision, now: Date): VersionDecision {
  if (decision.kind !== 'deploy' || decision.notBefore.getTime() <= now.getTime()) return decision;
  // A retry waiting for its backoff keeps its own words ("failed (attempt 1 of 3), retrying at ...").
  if (decision.reason === 'retry') return decision;
  return {
    kind: 'wait',
    version: decision.version,
    reason: 'rate-limited',
    until: decision.notBefore,
    commit: decision.commit,
  };
}

/** Why GC keeps an instance, in words, for the dry run (`GET /api/plan`). Pure: `now` is a parameter. */
import { formatUtcTime } from './describe.js';
import type { KeepVerdict } from './gc.js';
import type { Lease } from './leases.js';
import type { Deployment } from './types.js';

/** `until 14:05 UTC`, or nothing when the rule has no end in time. */
function untilWords(verdict: KeepVerdict, now: Date): string {
  return verdict.until === undefined ? '' : ` until ${formatUtcTime(verdict.until, now)}`;
}

/** The rule that keeps `deployment`, in words, e.g. `younger than minLifetimeHours until 14:05 UTC`. */
export function keepWords(
  verdict: KeepVerdict,
  deployment: Pick<Deployment, 'status' | 'version'>,
  leases: readonly Lease[],
  now: Date,
): string {
  const until = untilWords(verdict, now);
  switch (verdict.rule) {
    case 'leased': {
      const longest = leases.at(-1);
      return longest ? `leased by ${longest.owner} until ${formatUtcTime(longest.expiresAt, now)}` : 'leased';
    }
    case 'in-progress':
      return `${deployment.status}: its Job is at work`;
    case 'being-deleted':
      return 'being torn down';
    case 'deleted':
      return 'deleted';
    case 'teardown-failed':
      return 'teardown failed: left to an operator';
    case 'newest-ready':
      return `the newest ready instance of ${deployment.version}`;
    case 'min-lifetime':
      return `younger than minLifetimeHours${until}`;
    case 'grace-period':
      return `${verdict.newer ?? 'the next newer ready instance'} is younger than gracePeriodHours${until}`;
    case 'failed-retention':
      return `${deployment.status}: kept for people to look at (failedRetentionHours)${until}`;
    case 'teardown-backoff':
      return `a teardown left its cluster behind; the next attempt waits${until}`;
    case 'unconfigured':
      return 'its version is no longer configured (and no global policy applies)';
  }
}

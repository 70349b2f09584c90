/** Cloud Tasks' retry rules: the delay before the next attempt, and when a task has had enough. */
import type { RetrySettings } from './queue-settings.js';

/**
 * Delay before the next attempt after `failedAttempts` failures, per the documented Cloud Tasks rule:
 * the interval starts at min_backoff, doubles max_doublings times, then grows linearly by
 * `2^max_doublings * min_backoff` per retry, and never exceeds max_backoff
 * (10 s / 300 s / 3 doublings gives 10, 20, 40, 80, 160, 240, 300, 300 ... seconds).
 */
export function computeBackoffMs(retry: RetrySettings, failedAttempts: number): number {
  const retryIndex = Math.max(0, failedAttempts - 1);
  const doublings = Math.min(retryIndex, retry.maxDoublings);
  const doubled = retry.minBackoffMs * 2 ** doublings;
  const linearSteps = retryIndex - doublings;
  return Math.min(doubled * (1 + linearSteps), retry.maxBackoffMs);
}

/**
 * Cloud Tasks stops once max_retry_duration has passed AND max_attempts attempts were made; a limit that
 * is unlimited (max_attempts -1, max_retry_duration 0) is left out, and with both unlimited it never stops.
 */
export function hasExhaustedRetries(
  retry: RetrySettings,
  attempts: { dispatchCount: number; firstDispatchMs: number | null },
  now: number,
): boolean {
  const { maxAttempts, maxRetryDurationMs } = retry;
  const limits: boolean[] = [];
  if (maxAttempts !== -1) limits.push(attempts.dispatchCount >= maxAttempts);
  if (maxRetryDurationMs > 0) limits.push(now - (attempts.firstDispatchMs ?? now) >= maxRetryDurationMs);
  return limits.length > 0 && limits.every(Boolean);
}

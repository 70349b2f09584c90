/**
 * A queue's rate limits and retry settings: Cloud Tasks' defaults and limits, and reading them from a
 * CreateQueue request (0 or unset means "the default", as in Cloud Tasks).
 */
import { invalidArgument } from '../lib/grpc-emulator.js';
import { durationToMs, type ProtoDuration, type RateLimitsMessage, type RetryConfigMessage } from './wire.js';

/** Retry settings of a queue, in milliseconds. */
export interface RetrySettings {
  /** -1 means unlimited. */
  maxAttempts: number;
  /** 0 means unlimited. */
  maxRetryDurationMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  maxDoublings: number;
}

/** Rate limits of a queue. */
export interface RateSettings {
  maxDispatchesPerSecond: number;
  /** 0 means "derived from maxDispatchesPerSecond" (see {@link burstSize}). */
  maxBurstSize: number;
  maxConcurrentDispatches: number;
}

/** Defaults Cloud Tasks documents for queues created through the API. */
export const QUEUE_DEFAULTS = {
  maxDispatchesPerSecond: 500,
  maxConcurrentDispatches: 1000,
  maxAttempts: 100,
  maxRetryDurationMs: 0,
  minBackoffMs: 100,
  maxBackoffMs: 3_600_000,
  maxDoublings: 16,
} as const;

const MAX_DISPATCHES_PER_SECOND = 500;
const MAX_CONCURRENT_DISPATCHES = 5000;
const MAX_BURST_SIZE_DEFAULT_CAP = 100;

/** The token bucket's size: the given max_burst_size, else derived from the rate as Cloud Tasks does. */
export function burstSize(rate: RateSettings): number {
  return (
    rate.maxBurstSize ||
    Math.max(1, Math.min(MAX_BURST_SIZE_DEFAULT_CAP, Math.ceil(rate.maxDispatchesPerSecond)))
  );
}

/** Reads `rate_limits`; throws INVALID_ARGUMENT for a value outside Cloud Tasks' limits. */
export function readRateLimits(message: RateLimitsMessage | null | undefined): RateSettings {
  const perSecond = message?.maxDispatchesPerSecond ?? 0;
  if (perSecond < 0 || perSecond > MAX_DISPATCHES_PER_SECOND) {
    throw invalidArgument(
      `rate_limits.max_dispatches_per_second must be in (0, ${MAX_DISPATCHES_PER_SECOND}], got ${perSecond}.`,
    );
  }
  const burst = message?.maxBurstSize ?? 0;
  if (burst < 0) throw invalidArgument(`rate_limits.max_burst_size must not be negative, got ${burst}.`);
  const concurrent = message?.maxConcurrentDispatches ?? 0;
  if (concurrent < 0 || concurrent > MAX_CONCURRENT_DISPATCHES) {
    throw invalidArgument(
      `rate_limits.max_concurrent_dispatches must be in [1, ${MAX_CONCURRENT_DISPATCHES}], got ${concurrent}.`,
    );
  }
  return {
    maxDispatchesPerSecond: perSecond || QUEUE_DEFAULTS.maxDispatchesPerSecond,
    // 0 means "derive from max_dispatches_per_second" (Cloud Tasks treats the field as output only).
    maxBurstSize: burst,
    maxConcurrentDispatches: concurrent || QUEUE_DEFAULTS.maxConcurrentDispatches,
  };
}

function nonNegativeMs(duration: ProtoDuration | null | undefined, field: string): number | null {
  const ms = durationToMs(duration);
  if (ms !== null && ms < 0) throw invalidArgument(`retry_config.${field} must not be negative.`);
  return ms;
}

/** Reads `retry_config`; throws INVALID_ARGUMENT for a negative value or max_backoff < min_backoff. */
export function readRetryConfig(message: RetryConfigMessage | null | undefined): RetrySettings {
  const maxAttempts = message?.maxAttempts ?? 0;
  if (maxAttempts < -1) {
    throw invalidArgument(`retry_config.max_attempts must be >= -1 (-1 = unlimited), got ${maxAttempts}.`);
  }
  const maxRetryDurationMs = nonNegativeMs(message?.maxRetryDuration, 'max_retry_duration') ?? 0;
  const minBackoffMs = nonNegativeMs(message?.minBackoff, 'min_backoff') || QUEUE_DEFAULTS.minBackoffMs;
  const maxBackoffMs = nonNegativeMs(message?.maxBackoff, 'max_backoff') || QUEUE_DEFAULTS.maxBackoffMs;
  const maxDoublings = message?.maxDoublings ?? 0;
  if (maxDoublings < 0) {
    throw invalidArgument(`retry_config.max_doublings must not be negative, got ${maxDoublings}.`);
  }
  if (maxBackoffMs < minBackoffMs) {
    throw invalidArgument(
      `retry_config.max_backoff (${maxBackoffMs} ms) must be >= min_backoff (${minBackoffMs} ms).`,
    );
  }
  return {
    maxAttempts: maxAttempts || QUEUE_DEFAULTS.maxAttempts,
    maxRetryDurationMs,
    minBackoffMs,
    maxBackoffMs,
    maxDoublings: maxDoublings || QUEUE_DEFAULTS.maxDoublings,
  };
}

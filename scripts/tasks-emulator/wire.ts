/**
 * Wire shapes of the CloudTasks messages the emulator reads (proto-loader with keepCase false:
 * camelCase; `defaults: true` fills scalars, unset messages are null) and the Duration/Timestamp
 * conversions.
 */

export interface ProtoDuration {
  seconds: string | number;
  nanos: number;
}
export type ProtoTimestamp = ProtoDuration;

export interface RateLimitsMessage {
  maxDispatchesPerSecond?: number;
  maxBurstSize?: number;
  maxConcurrentDispatches?: number;
}

export interface RetryConfigMessage {
  maxAttempts?: number;
  maxRetryDuration?: ProtoDuration | null;
  minBackoff?: ProtoDuration | null;
  maxBackoff?: ProtoDuration | null;
  maxDoublings?: number;
}

export interface QueueMessage {
  name?: string;
  rateLimits?: RateLimitsMessage | null;
  retryConfig?: RetryConfigMessage | null;
  appEngineRoutingOverride?: unknown;
  stackdriverLoggingConfig?: { samplingRatio?: number } | null;
}

export interface HttpRequestMessage {
  url?: string;
  httpMethod?: string;
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array;
  oidcToken?: { serviceAccountEmail?: string; audience?: string } | null;
  oauthToken?: { serviceAccountEmail?: string; scope?: string } | null;
}

export interface TaskMessage {
  name?: string;
  httpRequest?: HttpRequestMessage | null;
  appEngineHttpRequest?: unknown;
  scheduleTime?: ProtoTimestamp | null;
  dispatchDeadline?: ProtoDuration | null;
}

/** Task.View: BASIC leaves the body out. */
export type View = 'BASIC' | 'FULL';

/** The view a request asks for; anything but FULL is BASIC, as in Cloud Tasks. */
export function viewOf(value: string | undefined): View {
  return value === 'FULL' ? 'FULL' : 'BASIC';
}

/** Milliseconds of a Duration, null when unset. */
export function durationToMs(duration: ProtoDuration | null | undefined): number | null {
  if (!duration) return null;
  return Number(duration.seconds) * 1000 + (duration.nanos ?? 0) / 1e6;
}

/** A Duration of `ms` milliseconds. */
export function msToDuration(ms: number): ProtoDuration {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding a fraction just below a whole second gives 1e9 nanos, which is not a valid Duration.
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return { seconds: String(seconds), nanos };
}

/** A Timestamp of epoch milliseconds (same shape as a Duration). */
export const msToTimestamp = msToDuration;
/** Epoch milliseconds of a Timestamp, null when unset. */
export const timestampToMs = durationToMs;

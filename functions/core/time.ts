/**
 * Time arithmetic for the pure core: units, and dates as plain values. Nothing here reads the clock;
 * `now` is always a parameter.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** `at` plus `minutes` (may be fractional or negative). */
export function addMinutes(at: Date, minutes: number): Date {
  return new Date(at.getTime() + minutes * MINUTE_MS);
}

/** `at` plus `hours`. */
export function addHours(at: Date, hours: number): Date {
  return new Date(at.getTime() + hours * HOUR_MS);
}

/** `at` plus `seconds`. */
export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * SECOND_MS);
}

/** The later of two dates (`a` on a tie). */
export function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

/** True when `a` is strictly after `b`. */
export function isAfter(a: Date, b: Date): boolean {
  return a.getTime() > b.getTime();
}

/** Two digits, zero-padded: `5` -> `05`. */
export function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * A date from an ISO 8601 string or from epoch seconds (GitHub sends both shapes), or null for
 * null, undefined and anything that is not a valid date.
 */
export function parseTimestamp(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = typeof value === 'number' ? new Date(value * SECOND_MS) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * How long ago (or how far ahead) `at` is from `now`, the way the pages say it everywhere:
 * `just now` (under a minute), `12 min ago`, `3 h 5 min ago`, `2 d 4 h ago`; ahead: `in 12 min`,
 * `in under a minute`. Rounded down to whole minutes.
 */
export function formatRelative(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  const isAhead = ms < 0;
  const minutes = Math.floor(Math.abs(ms) / MINUTE_MS);
  if (minutes === 0) return isAhead ? 'in under a minute' : 'just now';
  const span = spanWords(minutes);
  return isAhead ? `in ${span}` : `${span} ago`;
}

/** `12 min`, `3 h 5 min`, `3 h`, `2 d 4 h`, `2 d`: whole minutes in the largest two units. */
export function spanWords(minutes: number): string {
  const total = Math.max(0, Math.floor(minutes));
  if (total < 60) return `${total} min`;
  const days = Math.floor(total / (24 * 60));
  const hours = Math.floor((total % (24 * 60)) / 60);
  if (days > 0) return hours === 0 ? `${days} d` : `${days} d ${hours} h`;
  const rest = total % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** `2026-11-30 14:05:09 UTC`: the full instant, for tooltips. */
export function formatUtcDateTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

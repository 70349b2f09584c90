/**
 * Durations the way kubectl's columns print them (k8s.io/apimachinery/pkg/util/duration.HumanDuration):
 * "45s", "2m30s", "15m", "3h20m", "2d5h", "1y30d".
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** `ms` as kubectl prints an age or a duration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND_MS);
  // Up to a second in the future is clock skew between machines: "0s", like Kubernetes.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE_MS);
  if (minutes < 10) return withRest(minutes, 'm', seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR_MS);
  if (hours < 8) return withRest(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return withRest(days, 'd', hours % 24, 'h');
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) return withRest(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function withRest(whole: number, unit: string, rest: number, restUnit: string): string {
  return rest === 0 ? `${whole}${unit}` : `${whole}${unit}${rest}${restUnit}`;
}

/** The time since an RFC 3339 timestamp, or "<unknown>" without one (kubectl's AGE column). */
export function ageOf(timestamp: string | undefined, now: Date): string {
  if (timestamp === undefined) return '<unknown>';
  return humanDuration(now.getTime() - Date.parse(timestamp));
}

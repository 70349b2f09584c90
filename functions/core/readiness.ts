/**
 * Readiness: a completed deploy Job means kfctl finished, not that Kubeflow answers. What a probe of an
 * instance's endpoint means for its status. Pure: the probe's answer and `now` in, the change out.
 *
 * - verifying: an expected status -> ready; no expected status within `verifyTimeoutMinutes` of the Job's
 *   completion -> failed (a failed attempt: the planner retries it);
 * - ready: `failuresToUnhealthy` failed probes in a row -> unhealthy (not served by /latest or leases);
 * - unhealthy: an expected status -> ready again.
 * Redirects are not followed: IAP's 302 to its login page means the instance is up.
 */
import { addMinutes } from './time.js';
import type { Deployment, ProbeRecord, ReadinessConfig } from './types.js';

/** What one probe got: the HTTP status, or the error when no answer came. */
export interface ProbeResult {
  status: number | null;
  error: string | null;
}

/** Statuses whose endpoint the tick probes. */
export const PROBED_STATUSES = ['verifying', 'ready', 'unhealthy'] as const;

/** The URL to probe: the template with `{instance}`, `{version}`, `{project}` and `{zone}` filled in. */
export function readinessUrl(
  template: string,
  values: { instance: string; version: string; project: string; zone: string },
): string {
  return template.replace(/\{(instance|version|project|zone)\}/g, (_, name: keyof typeof values) =>
    encodeURIComponent(values[name]),
  );
}

function probeRecord(
  previous: ProbeRecord | null | undefined,
  result: ProbeResult,
  ok: boolean,
  now: Date,
): ProbeRecord {
  const error = ok
    ? null
    : (result.error ?? `answered ${result.status}, expected one of the readiness statuses`);
  return {
    at: now,
    status: result.status,
    ok,
    error,
    consecutiveFailures: ok ? 0 : (previous?.consecutiveFailures ?? 0) + 1,
  };
}

function probeWords(probe: ProbeRecord): string {
  return probe.status === null ? (probe.error ?? 'no answer') : `HTTP ${probe.status}`;
}

/** The change a probe's answer makes to a verifying, ready or unhealthy deployment (always a change: the probe is recorded). */
export function afterProbe(
  d: Deployment,
  result: ProbeResult,
  readiness: ReadinessConfig,
  now: Date,
): Partial<Deployment> {
  const ok = result.status !== null && readiness.expectStatus.includes(result.status);
  const probe = probeRecord(d.probe, result, ok, now);
  if (d.status === 'verifying') return afterVerifyingProbe(d, probe, readiness, now);
  if (ok) {
    return d.status === 'unhealthy' ? { probe, status: 'ready', error: null, updatedAt: now } : { probe };
  }
  if (d.status === 'ready' && probe.consecutiveFailures >= readiness.failuresToUnhealthy) {
    const error = `endpoint failed ${probe.consecutiveFailures} probes in a row (last: ${probeWords(probe)})`;
    return { probe, status: 'unhealthy', error, updatedAt: now };
  }
  return { probe };
}

function afterVerifyingProbe(
  d: Deployment,
  probe: ProbeRecord,
  readiness: ReadinessConfig,
  now: Date,
): Partial<Deployment> {
  if (probe.ok) return { probe, status: 'ready', readyAt: now, error: null, updatedAt: now };
  const since = d.verifyingAt ?? d.updatedAt;
  if (addMinutes(since, readiness.verifyTimeoutMinutes).getTime() >= now.getTime()) return { probe };
  const error = `the endpoint did not answer within ${readiness.verifyTimeoutMinutes} min of the deploy (last: ${probeWords(probe)})`;
  return { probe, status: 'failed', finishedAt: now, error, updatedAt: now };
}

/** A verifying deployment whose version no longer checks readiness: ready at once. */
export function readinessTurnedOff(d: Deployment, now: Date): Partial<Deployment> | null {
  return d.status === 'verifying' ? { status: 'ready', readyAt: now, error: null, updatedAt: now } : null;
}

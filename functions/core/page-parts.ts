/**
 * Pieces both pages draw the same way: a status badge, a commit link, a probe, a lease, an instance's
 * details. Every value goes in through the `html` tag, which escapes it; every time through `whenHtml`.
 * Pure.
 */
import { shortSha } from './describe.js';
import { html, link, type SafeHtml, whenHtml } from './html.js';
import type { Lease } from './leases.js';
import { githubCommitUrl } from './status-json.js';
import type { Deployment, DeploymentStatus, ProbeRecord } from './types.js';

const STATUS_TONES: Record<DeploymentStatus, string> = {
  launching: 'busy',
  deploying: 'busy',
  verifying: 'busy',
  ready: 'good',
  unhealthy: 'bad',
  failed: 'bad',
  lost: 'bad',
  adopted: 'paused',
  deleting: 'gone',
  'teardown-failed': 'bad',
  deleted: 'gone',
};

export function statusBadge(status: DeploymentStatus): SafeHtml {
  return html`<span class="status tone-${STATUS_TONES[status] ?? 'gone'}">${status}</span>`;
}

export function commitLink(repo: string, sha: string): SafeHtml {
  return link(githubCommitUrl(repo, sha), html`<code>${shortSha(sha)}</code>`, sha);
}

/** `probe ok (HTTP 302) 14:05 UTC (2 min ago)`, red when it failed. */
export function probeLine(probe: ProbeRecord, now: Date): SafeHtml {
  const status = probe.status === null ? '' : html` (HTTP ${probe.status})`;
  const error = !probe.ok && probe.error ? html`: ${probe.error}` : '';
  const streak = probe.consecutiveFailures > 1 ? html`, ${probe.consecutiveFailures} failures in a row` : '';
  return html`<div class="${probe.ok ? 'muted' : 'error'}">probe ${probe.ok ? 'ok' : 'failed'}${status} ${whenHtml(probe.at, now)}${error}${streak}</div>`;
}

/** The attempt and the last probe, when there is something to say. */
export function detailsOf(d: Deployment, now: Date): SafeHtml {
  const attempt = (d.attempt ?? 1) > 1 ? html`<div class="muted">attempt ${d.attempt}</div>` : '';
  const probe = d.probe ? probeLine(d.probe, now) : '';
  const origin =
    d.origin === 'adopted' ? html`<div class="muted">adopted: not launched by this system</div>` : '';
  return html`${attempt}${probe}${origin}`;
}

/** A live lease: who holds it, until when. */
export function liveLeaseItem(lease: Lease, now: Date): SafeHtml {
  return html`<li title="${lease.leaseId}">${lease.owner} <span class="muted">until ${whenHtml(lease.expiresAt, now)}</span></li>`;
}

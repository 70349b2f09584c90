/**
 * The status page, rendered from plain data. Pure: no I/O, `now` is a parameter. Every value goes in
 * through the `html` tag (html.ts), which escapes it.
 */
import { describeDecision, formatAge, formatUtcTime, shortSha } from './describe.js';
import { html, link, SafeHtml } from './html.js';
import { type Lease, liveLeasesByInstance } from './leases.js';
import { kfctlVersion } from './names.js';
import { countActive } from './policy.js';
import type { VersionView } from './ports.js';
import { deploymentsNewestFirst, githubBranchUrl, githubCommitUrl } from './status-json.js';
import type { Deployment, DeploymentStatus } from './types.js';

export interface StatusPageInput {
  versions: readonly VersionView[];
  deployments: readonly Deployment[];
  /** The live leases; each instance shows its own (owner, until when). */
  leases: readonly Lease[];
  now: Date;
  project: string;
  zone: string;
}

/** The live leases of each instance, read once per page. */
type LeasesOf = (instance: string) => readonly Lease[];

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

/** The attempt and the last probe, when there is something to say. */
function detailsOf(d: Deployment, now: Date): SafeHtml {
  const attempt = (d.attempt ?? 1) > 1 ? html`<div class="muted">attempt ${d.attempt}</div>` : '';
  const probe = d.probe
    ? html`<div class="${d.probe.ok ? 'muted' : 'error'}">probe ${d.probe.ok ? 'ok' : 'failed'}${d.probe.status === null ? '' : html` (HTTP ${d.probe.status})`} ${ago(d.probe.at, now)}</div>`
    : '';
  const origin =
    d.origin === 'adopted' ? html`<div class="muted">adopted: not launched by this system</div>` : '';
  return html`${attempt}${probe}${origin}`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; }
.meta, .muted { color: var(--muted); }
section { margin: 1.25rem 0; padding: 1rem; border: 1px solid var(--line); border-radius: 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .75rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-top: 1px solid var(--line); }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding-bottom: .25rem; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
code { font: .85em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); padding: .1em .3em; border-radius: 4px; overflow-wrap: anywhere; }
a { color: #0969da; }
.status { display: inline-block; padding: 0 .5em; border-radius: 999px; font-weight: 600; font-size: .85rem; border: 1px solid; white-space: nowrap; }
.status::before { content: "\\25CF\\00A0"; }
.tone-good { color: #1a7f37; background: #dafbe1; border-color: #1a7f37; }
.tone-busy { color: #9a6700; background: #fff8c5; border-color: #9a6700; }
.tone-bad { color: #cf222e; background: #ffebe9; border-color: #cf222e; }
.tone-gone { color: #59636e; background: #f6f8fa; border-color: #818b98; }
.tone-paused { color: #8250df; background: #fbefff; border-color: #8250df; }
.error { color: #cf222e; font-size: .85rem; margin-top: .2rem; overflow-wrap: anywhere; }
.empty { color: var(--muted); font-style: italic; margin: 0; }
ul.leases { margin: 0; padding-left: 1rem; }
footer { padding-bottom: 2rem; font-size: .85rem; }
`;

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
${body}
</body>
</html>
`.value;
}

function timeTag(at: Date, text: string): SafeHtml {
  return html`<time datetime="${at.toISOString()}" title="${at.toISOString()}">${text}</time>`;
}

function ago(at: Date, now: Date): SafeHtml {
  return timeTag(at, `${formatAge(now.getTime() - at.getTime())} ago`);
}

function statusBadge(status: DeploymentStatus): SafeHtml {
  return html`<span class="status tone-${STATUS_TONES[status] ?? 'gone'}">${status}</span>`;
}

function commitLink(repo: string, sha: string): SafeHtml {
  return link(githubCommitUrl(repo, sha), html`<code>${shortSha(sha)}</code>`, sha);
}

function decisionText(view: VersionView, now: Date): SafeHtml {
  if (view.decision === null) return html`<span class="muted">not planned yet</span>`;
  const when = view.decidedAt ? html` <span class="muted">(decided ${ago(view.decidedAt, now)})</span>` : '';
  return html`${describeDecision(view.decision, now)}${when}`;
}

function headText(view: VersionView, now: Date): SafeHtml {
  if (view.head === null) return html`<span class="muted">no commit recorded yet</span>`;
  const deleted = view.head.deleted ? html` <strong>branch deleted</strong>;` : '';
  return html`${commitLink(view.repo, view.head.sha)}${deleted} <span class="muted">(recorded ${ago(view.head.updatedAt, now)})</span>`;
}

function leaseList(leases: readonly Lease[], now: Date): SafeHtml {
  if (leases.length === 0) return html``;
  const items = leases.map(
    (lease) =>
      html`<li title="${lease.leaseId}">${lease.owner} <span class="muted">until ${timeTag(lease.expiresAt, formatUtcTime(lease.expiresAt, now))}</span></li>`,
  );
  return html`<ul class="leases">${items}</ul>`;
}

function deploymentRow(d: Deployment, now: Date, leasesOf: LeasesOf): SafeHtml {
  const isGone = d.status === 'deleted';
  const instance = isGone
    ? html`<code>${d.instance}</code>`
    : link(d.endpoint, html`<code>${d.instance}</code>`);
  const error = d.error ? html`<div class="error">${d.error}</div>` : '';
  const githubError = d.github?.error ? html`<div class="error">GitHub: ${d.github.error}</div>` : '';
  const job = d.jobName ? html`<code>${d.jobName}</code>` : html`<span class="muted">none yet</span>`;
  const credentials = isGone
    ? html`<span class="muted">cluster deleted</span>`
    : html`<code>${d.credentialsCommand}</code>`;
  return html`<tr>
<td>${instance}</td>
<td>${statusBadge(d.status)}${error}${detailsOf(d, now)}${githubError}</td>
<td class="nowrap">${timeTag(d.createdAt, formatAge(now.getTime() - d.createdAt.getTime()))}</td>
<td>${commitLink(d.repo, d.commit)}</td>
<td title="${d.kfctlUrl}">${kfctlVersion(d.kfctlUrl)}</td>
<td>${job}</td>
<td>${credentials}</td>
<td>${leaseList(leasesOf(d.instance), now)}</td>
</tr>
`;
}

function deploymentsTable(
  deployments: readonly Deployment[],
  now: Date,
  leasesOf: LeasesOf,
  caption: string,
): SafeHtml {
  if (deployments.length === 0) return html`<p class="empty">No deployments.</p>`;
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th>Instance</th><th>Status</th><th>Age</th><th>Commit</th><th>kfctl</th><th>Job</th><th>Get credentials</th><th>Leased by</th></tr></thead>
<tbody>
${deployments.map((d) => deploymentRow(d, now, leasesOf))}</tbody>
</table>`;
}

function versionSection(
  view: VersionView,
  deployments: readonly Deployment[],
  now: Date,
  leasesOf: LeasesOf,
): SafeHtml {
  const paused = view.paused ? html` <span class="status tone-paused">paused</span>` : '';
  return html`<section id="version-${view.name}">
<h2>${view.name}${paused}</h2>
<dl>
<dt>Branch</dt><dd>${link(githubBranchUrl(view.repo, view.branch), html`<code>${view.repo}@${view.branch}</code>`)}</dd>
<dt>Head</dt><dd>${headText(view, now)}</dd>
<dt>Decision</dt><dd>${decisionText(view, now)}</dd>
<dt>kfctl</dt><dd title="${view.kfctlUrl}">${kfctlVersion(view.kfctlUrl)}</dd>
</dl>
${deploymentsTable(deployments, now, leasesOf, `Deployments of ${view.name}, newest first`)}
</section>
`;
}

/** The whole status page: one section per version (config order), its deployments newest first. */
export function renderStatusPage(input: StatusPageInput): string {
  const { now } = input;
  const sorted = deploymentsNewestFirst(input.deployments);
  const known = new Set(input.versions.map((v) => v.name));
  const active = countActive(sorted);
  const byInstance = liveLeasesByInstance(input.leases, now);
  const leasesOf: LeasesOf = (instance) => byInstance.get(instance) ?? [];
  const leaseCount = [...byInstance.values()].reduce((sum, leases) => sum + leases.length, 0);
  const sections = input.versions.map((view) =>
    versionSection(
      view,
      sorted.filter((d) => d.version === view.name),
      now,
      leasesOf,
    ),
  );
  const orphans = sorted.filter((d) => !known.has(d.version));
  const orphanSection =
    orphans.length === 0
      ? ''
      : html`<section id="other-deployments">
<h2>Other deployments</h2>
<p class="muted">Of versions no longer in the configuration.</p>
${deploymentsTable(orphans, now, leasesOf, 'Other deployments, newest first')}
</section>
`;
  const noVersions = input.versions.length === 0 ? html`<p class="empty">No versions configured.</p>` : '';
  return page(
    'Kubeflow auto-deploy status',
    html`<header>
<h1>Kubeflow auto-deploy</h1>
<p class="meta">Project <code>${input.project}</code>, zone <code>${input.zone}</code>.
${active} active ${active === 1 ? 'deployment' : 'deployments'}, ${leaseCount} ${leaseCount === 1 ? 'lease' : 'leases'} held.
Generated ${timeTag(now, formatUtcTime(now, now))}.</p>
</header>
<main>
${noVersions}${sections}${orphanSection}</main>
<footer class="muted">
<p>JSON: <code>api/deployments</code>, <code>api/versions</code>, <code>api/versions/&lt;name&gt;/latest</code>, <code>api/leases</code> (relative to this page's function URL).</p>
</footer>`,
  );
}

/** The page shown when the status cannot be read. */
export function renderErrorPage(message: string, now: Date): string {
  return page(
    'Kubeflow auto-deploy status: unavailable',
    html`<header>
<h1>Kubeflow auto-deploy</h1>
</header>
<main>
<section>
<h2><span class="status tone-bad">unavailable</span></h2>
<p>${message}</p>
<p class="muted">At ${timeTag(now, formatUtcTime(now, now))}.</p>
</section>
</main>`,
  );
}

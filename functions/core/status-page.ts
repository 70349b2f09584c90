/**
 * The status page, rendered from plain data: per version its branch, decision, a timeline of the last
 * 48 hours (timeline.ts) and its instances. Pure: no I/O, `now` is a parameter. Every value goes in
 * through the `html` tag (html.ts), which escapes it; every time through `whenHtml` (UTC and relative).
 */
import { describeDecision } from './describe.js';
import { healthBanner } from './health-banner.js';
import type { HealthView } from './health-view.js';
import { html, link, type SafeHtml, whenHtml } from './html.js';
import { type Lease, liveLeasesByInstance } from './leases.js';
import { kfctlVersion } from './names.js';
import { commitLink, detailsOf, liveLeaseItem, statusBadge } from './page-parts.js';
import {
  copyable,
  DEFAULT_REFRESH_SECONDS,
  page,
  pathWithQuery,
  refreshControl,
  refreshParam,
  timelineLegend,
} from './page-shell.js';
import { countActive } from './policy.js';
import { deploymentsNewestFirst, githubBranchUrl } from './status-json.js';
import { buildTimeline, nextDeployOf, type TimelineView } from './timeline.js';
import { renderTimelineSvg } from './timeline-svg.js';
import type { Deployment, VersionView } from './types.js';

export interface StatusPageInput {
  versions: readonly VersionView[];
  deployments: readonly Deployment[];
  /** The live leases; each instance shows its own (owner, until when). */
  leases: readonly Lease[];
  now: Date;
  project: string;
  zone: string;
  /** What the timelines need besides the deployments and live leases (absent: drawn from those alone). */
  timeline?: TimelineView;
  /** `?refresh=`: seconds between reloads, 0 for none (`DEFAULT_REFRESH_SECONDS` when absent). */
  refreshSeconds?: number;
  /** The pipeline's health (health-view.ts), shown at the top; absent: no banner. */
  health?: HealthView;
}

/** The live leases of each instance, read once per page. */
type LeasesOf = (instance: string) => readonly Lease[];

/** What every version's timeline draws from: every deployment and lease read, each once. */
interface TimelineSource {
  deployments: readonly Deployment[];
  leases: readonly Lease[];
  pushes: TimelineView['pushes'];
}

/** What every part of the page needs: the time, each instance's live leases, the timelines' data. */
interface PageContext {
  now: Date;
  leasesOf: LeasesOf;
  source: TimelineSource;
  /** The query parameters the page's own links carry (`refresh` when not the default). */
  params: Record<string, string>;
}

function decisionText(view: VersionView, now: Date): SafeHtml {
  if (view.decision === null) return html`<span class="muted">not planned yet</span>`;
  const when = view.decidedAt
    ? html`<span class="muted">, decided ${whenHtml(view.decidedAt, now)}</span>`
    : '';
  return html`${describeDecision(view.decision, now)}${when}`;
}

function headText(view: VersionView, now: Date): SafeHtml {
  if (view.head === null) return html`<span class="muted">no commit recorded yet</span>`;
  const deleted = view.head.deleted ? html` <strong>branch deleted</strong>,` : '';
  return html`${commitLink(view.repo, view.head.sha)}${deleted} <span class="muted">recorded ${whenHtml(view.head.updatedAt, now)}</span>`;
}

function leaseList(leases: readonly Lease[], now: Date): SafeHtml {
  if (leases.length === 0) return html``;
  return html`<ul class="leases">${leases.map((lease) => liveLeaseItem(lease, now))}</ul>`;
}

function deploymentRow(d: Deployment, ctx: PageContext): SafeHtml {
  const { now } = ctx;
  const isGone = d.status === 'deleted';
  const instance = isGone
    ? html`<code>${d.instance}</code>`
    : link(d.endpoint, html`<code>${d.instance}</code>`);
  const error = d.error ? html`<div class="error">${d.error}</div>` : '';
  const githubError = d.github?.error ? html`<div class="error">GitHub: ${d.github.error}</div>` : '';
  const job = d.jobName ? html`<code>${d.jobName}</code>` : html`<span class="muted">none yet</span>`;
  const credentials = isGone
    ? html`<span class="muted">cluster deleted</span>`
    : copyable(d.credentialsCommand);
  return html`<tr>
<td>${instance}</td>
<td>${statusBadge(d.status)}${error}${detailsOf(d, now)}${githubError}</td>
<td>${whenHtml(d.createdAt, now)}</td>
<td>${commitLink(d.repo, d.commit)}</td>
<td title="${d.kfctlUrl}">${kfctlVersion(d.kfctlUrl)}</td>
<td>${job}</td>
<td>${credentials}</td>
<td>${leaseList(ctx.leasesOf(d.instance), now)}</td>
</tr>
`;
}

function deploymentsTable(deployments: readonly Deployment[], ctx: PageContext, caption: string): SafeHtml {
  if (deployments.length === 0) return html`<p class="empty">No deployments.</p>`;
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th>Instance</th><th>Status</th><th>Launched</th><th>Commit</th><th>kfctl</th><th>Job</th><th>Get credentials</th><th>Leased by</th></tr></thead>
<tbody>
${deployments.map((d) => deploymentRow(d, ctx))}</tbody>
</table>`;
}

/** The version's timeline of the last 48 hours. */
function versionTimeline(view: VersionView, ctx: PageContext): SafeHtml {
  const timeline = buildTimeline({
    deployments: ctx.source.deployments.filter((d) => d.version === view.name),
    leases: ctx.source.leases,
    pushes: ctx.source.pushes.filter((push) => push.version === view.name),
    nextDeploy: nextDeployOf(view.decision),
    now: ctx.now,
  });
  return renderTimelineSvg(timeline, `Instances of ${view.name} over the last 48 hours`);
}

function versionSection(view: VersionView, deployments: readonly Deployment[], ctx: PageContext): SafeHtml {
  const { now } = ctx;
  const paused = view.paused ? html` <span class="status tone-paused">paused</span>` : '';
  const history = pathWithQuery(`versions/${encodeURIComponent(view.name)}`, ctx.params);
  return html`<section id="version-${view.name}">
<h2>${view.name}${paused}</h2>
<dl>
<dt>Branch</dt><dd>${link(githubBranchUrl(view.repo, view.branch), html`<code>${view.repo}@${view.branch}</code>`)}</dd>
<dt>Head</dt><dd>${headText(view, now)}</dd>
<dt>Decision</dt><dd>${decisionText(view, now)}</dd>
<dt>kfctl</dt><dd title="${view.kfctlUrl}">${kfctlVersion(view.kfctlUrl)}</dd>
<dt>History</dt><dd><a class="history" href="${history}">every deployment of ${view.name}, its state changes, requests and leases</a></dd>
</dl>
${versionTimeline(view, ctx)}
${deploymentsTable(deployments, ctx, `Deployments of ${view.name}, newest first`)}
</section>
`;
}

/** The deployments and leases the timelines draw, each once: the page's own plus the timeline reads. */
function timelineSource(input: StatusPageInput): TimelineSource {
  const deployments = new Map(input.deployments.map((d) => [d.instance, d]));
  for (const d of input.timeline?.deletedDeployments ?? [])
    if (!deployments.has(d.instance)) deployments.set(d.instance, d);
  const leases = new Map(input.leases.map((lease) => [lease.leaseId, lease]));
  for (const lease of input.timeline?.leases ?? []) leases.set(lease.leaseId, lease);
  return {
    deployments: [...deployments.values()],
    leases: [...leases.values()],
    pushes: input.timeline?.pushes ?? [],
  };
}

function orphanSection(orphans: readonly Deployment[], ctx: PageContext): SafeHtml {
  if (orphans.length === 0) return html``;
  return html`<section id="other-deployments">
<h2>Other deployments</h2>
<p class="muted">Of versions no longer in the configuration.</p>
${deploymentsTable(orphans, ctx, 'Other deployments, newest first')}
</section>
`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The whole status page: one section per version (config order), its deployments newest first. */
export function renderStatusPage(input: StatusPageInput): string {
  const { now } = input;
  const refreshSeconds = input.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  const sorted = deploymentsNewestFirst(input.deployments);
  const known = new Set(input.versions.map((v) => v.name));
  const active = countActive(sorted);
  const byInstance = liveLeasesByInstance(input.leases, now);
  const leaseCount = [...byInstance.values()].reduce((sum, leases) => sum + leases.length, 0);
  const ctx: PageContext = {
    now,
    leasesOf: (instance) => byInstance.get(instance) ?? [],
    source: timelineSource(input),
    params: refreshParam(refreshSeconds),
  };
  const sections = input.versions.map((view) =>
    versionSection(
      view,
      sorted.filter((d) => d.version === view.name),
      ctx,
    ),
  );
  const orphans = sorted.filter((d) => !known.has(d.version));
  const noVersions = input.versions.length === 0 ? html`<p class="empty">No versions configured.</p>` : '';
  return page(
    'Kubeflow auto-deploy status',
    html`<header>
<h1>Kubeflow auto-deploy</h1>
<p class="meta">Project <code>${input.project}</code>, zone <code>${input.zone}</code>.
${active} active ${active === 1 ? 'deployment' : 'deployments'}, ${plural(leaseCount, 'lease')} held.
Generated ${whenHtml(now, now)}. ${refreshControl(refreshSeconds, {})}</p>
${input.health ? healthBanner(input.health, now) : ''}
${input.versions.length > 0 ? timelineLegend() : ''}
</header>
<main>
${noVersions}${sections}${orphanSection(orphans, ctx)}</main>
<footer class="muted">
<p>JSON: <code>api/deployments</code>, <code>api/versions</code>, <code>api/versions/&lt;name&gt;/latest</code>, <code>api/leases</code>, <code>api/health</code>; history: <code>versions/&lt;name&gt;</code> (relative to this page's function URL).</p>
</footer>`,
    refreshSeconds,
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
<p class="muted">At ${whenHtml(now, now)}.</p>
</section>
</main>`,
  );
}

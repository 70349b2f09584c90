/**
 * The history page of one version (`/versions/<name>`): every deployment, newest first, 20 a page,
 * each with its state changes and times, its Job, its commit (message and author), attempts, the last
 * probe, its leases, and the requests that launched and collected it, with why. Pure: `now` is a
 * parameter; every value goes in through the `html` tag, every time through `whenHtml`.
 */
import { describeDecision } from './describe.js';
import { assembleHistory, type DeploymentHistory, type VersionHistory } from './history.js';
import { html, link, type SafeHtml, whenHtml } from './html.js';
import type { Lease } from './leases.js';
import { askerWords, type OperatorEvent } from './operator.js';
import { commitLink, probeLine, statusBadge } from './page-parts.js';
import { copyable, page, pathWithQuery, queryWith, refreshControl, refreshParam } from './page-shell.js';
import { githubBranchUrl } from './status-json.js';
import { spanWords } from './time.js';
import type { DeployReason, DeployRequest, VersionView } from './types.js';

export interface HistoryPageInput {
  view: VersionView;
  history: VersionHistory;
  /** The `?after=` cursor of this page, or null for the first. */
  after: string | null;
  refreshSeconds: number;
  now: Date;
  /** The version's latest operator actions (pause, redeploy, teardown, drain…), newest first; shown on the first page. */
  events?: readonly OperatorEvent[];
}

/** How many operator actions the first page shows. */
export const HISTORY_EVENTS_SHOWN = 50;

const WHY_LAUNCHED: Record<DeployReason, string> = {
  'new-commit': 'a new commit was pushed',
  periodic: 'the periodic redeploy was due',
  manual: 'an operator forced a redeploy',
  retry: 'a retry after a failed launch of the commit',
};

function requestReason(request: DeployRequest): string {
  if (request.action === 'teardown') return request.reason;
  return WHY_LAUNCHED[request.reason as DeployReason] ?? request.reason;
}

function requestSummary(request: DeployRequest | null, now: Date): SafeHtml {
  if (request === null) return html`<span class="muted">request no longer on record</span>`;
  const error = request.error ? html`<div class="error">${request.error}</div>` : '';
  return html`${requestReason(request)} <span class="muted">(request <code>${request.id}</code>, ${request.status}, due ${whenHtml(request.notBefore, now)})</span>${error}`;
}

function commitText(entry: DeploymentHistory, now: Date): SafeHtml {
  const d = entry.deployment;
  const commit = entry.commit;
  if (commit === null) return html`${commitLink(d.repo, d.commit)} <span class="muted">(not recorded)</span>`;
  const author = commit.author ? html` by ${commit.author.username ?? commit.author.name}` : '';
  const pushed = commit.recordedAt ? html`, pushed ${whenHtml(commit.recordedAt, now)}` : '';
  const firstLine = commit.message.split('\n')[0] ?? '';
  return html`${commitLink(d.repo, d.commit)} <span class="message">${firstLine}</span><span class="muted">${author}${pushed}</span>`;
}

function collectedText(entry: DeploymentHistory, now: Date): SafeHtml {
  const d = entry.deployment;
  const last = entry.teardownRequests.at(-1);
  if (!last) return html`<span class="muted">not collected</span>`;
  const job = d.teardownJobName ? html`; teardown Job <code>${d.teardownJobName}</code>` : '';
  const attempts = (d.teardownAttempts ?? 0) > 1 ? html`, ${d.teardownAttempts} attempts` : '';
  return html`${requestSummary(last, now)}${job}${attempts}`;
}

function statesTable(entry: DeploymentHistory, now: Date): SafeHtml {
  const rows = entry.states.map((state) => {
    const until = state.isOpen ? html`<span class="muted">now</span>` : whenHtml(state.to, now);
    const lasted = spanWords((state.to.getTime() - state.from.getTime()) / 60_000);
    return html`<tr data-state="${state.status}"><td>${statusBadge(state.status)}</td><td>${whenHtml(state.from, now)}</td><td>${until}</td><td>${lasted}${state.isOpen ? ' so far' : ''}</td></tr>`;
  });
  const deleted = entry.deletedAt
    ? html`<tr data-state="deleted"><td>${statusBadge('deleted')}</td><td>${whenHtml(entry.deletedAt, now)}</td><td></td><td></td></tr>`
    : '';
  return html`<table class="states">
<caption>State changes, oldest first</caption>
<thead><tr><th>State</th><th>From</th><th>Until</th><th>Lasted</th></tr></thead>
<tbody>${rows}${deleted}</tbody>
</table>`;
}

function requestsTable(entry: DeploymentHistory, now: Date): SafeHtml {
  const requests = [...(entry.launchRequest ? [entry.launchRequest] : []), ...entry.teardownRequests];
  if (requests.length === 0) return html``;
  const rows = requests.map(
    (r) =>
      html`<tr><td><code>${r.id}</code></td><td>${r.action}</td><td>${requestReason(r)}</td><td>${r.status}${r.enqueueCount > 1 ? html` <span class="muted">(queued ${r.enqueueCount} times)</span>` : ''}</td><td>${whenHtml(r.notBefore, now)}</td><td>${whenHtml(r.createdAt, now)}</td><td class="error">${r.error ?? ''}</td></tr>`,
  );
  return html`<table class="requests">
<caption>Requests: why it was launched and collected</caption>
<thead><tr><th>Request</th><th>Action</th><th>Why</th><th>Status</th><th>Due</th><th>Recorded</th><th>Error</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

function leaseRow(lease: Lease, now: Date): SafeHtml {
  const end = lease.closedAt
    ? html`${lease.status} ${whenHtml(lease.closedAt, now)}`
    : html`until ${whenHtml(lease.expiresAt, now)}`;
  return html`<tr data-lease="${lease.leaseId}"><td class="owner">${lease.owner}</td><td>${lease.status}</td><td>${whenHtml(lease.createdAt, now)}</td><td>${end}</td><td>${lease.createdBy ?? ''}</td></tr>`;
}

function leasesTable(leases: readonly Lease[], now: Date): SafeHtml {
  if (leases.length === 0) return html``;
  return html`<table class="leases">
<caption>Leases</caption>
<thead><tr><th>Owner</th><th>Status</th><th>Taken</th><th>Ended</th><th>Caller</th></tr></thead>
<tbody>${leases.map((lease) => leaseRow(lease, now))}</tbody>
</table>`;
}

function detailsList(entry: DeploymentHistory, now: Date): SafeHtml {
  const d = entry.deployment;
  const isGone = d.status === 'deleted';
  const job = d.jobName
    ? html`<code>${d.namespace}/${d.jobName}</code>`
    : html`<span class="muted">none</span>`;
  const optional = [
    (d.attempt ?? 1) > 1 ? html`<dt>Attempt</dt><dd>${d.attempt}</dd>` : '',
    isGone ? '' : html`<dt>Endpoint</dt><dd>${link(d.endpoint, d.endpoint)}</dd>`,
    isGone ? '' : html`<dt>Get credentials</dt><dd>${copyable(d.credentialsCommand)}</dd>`,
    d.probe ? html`<dt>Last probe</dt><dd>${probeLine(d.probe, now)}</dd>` : '',
    d.error ? html`<dt>Error</dt><dd class="error">${d.error}</dd>` : '',
    d.github?.error ? html`<dt>GitHub</dt><dd class="error">${d.github.error}</dd>` : '',
  ];
  return html`<dl>
<dt>Commit</dt><dd>${commitText(entry, now)}</dd>
<dt>Why launched</dt><dd>${d.origin === 'adopted' ? html`adopted: a cluster no record knew` : requestSummary(entry.launchRequest, now)}</dd>
<dt>Launched</dt><dd>${whenHtml(d.createdAt, now)}</dd>
<dt>Job</dt><dd>${job}</dd>
${optional}<dt>Why collected</dt><dd>${collectedText(entry, now)}</dd>
</dl>`;
}

function deploymentArticle(entry: DeploymentHistory, now: Date): SafeHtml {
  const d = entry.deployment;
  return html`<article id="deployment-${d.instance}" data-instance="${d.instance}">
<h3><code>${d.instance}</code> ${statusBadge(d.status)}</h3>
${detailsList(entry, now)}
${statesTable(entry, now)}
${requestsTable(entry, now)}
${leasesTable(entry.leases, now)}
</article>
`;
}

function eventRow(event: OperatorEvent, now: Date): SafeHtml {
  const instance = event.instance ? html` <code>${event.instance}</code>` : '';
  const force = event.force ? html` <span class="muted">(forced past live leases)</span>` : '';
  const by = askerWords(event) ?? 'unknown (no verified caller)';
  return html`<tr><td>${whenHtml(event.at, now)}</td><td>${event.action}${instance}${force}</td><td>${by}</td><td>${event.reason ?? ''}</td></tr>`;
}

/** The operator actions on the version (README "Operator API and CLI"): who asked what, when and why. */
function eventsSection(events: readonly OperatorEvent[] | undefined, now: Date): SafeHtml | '' {
  if (events === undefined) return '';
  const rows =
    events.length === 0
      ? html`<p class="empty">No operator action on record.</p>`
      : html`<table><thead><tr><th>When</th><th>Action</th><th>Asked by</th><th>Why</th></tr></thead>
<tbody>${events.map((event) => eventRow(event, now))}</tbody></table>`;
  return html`<section id="operator-actions"><h2>Operator actions</h2>
<p class="muted">The latest ${HISTORY_EVENTS_SHOWN}, newest first (versions/${events[0]?.version ?? '…'}/events in Firestore).</p>
${rows}</section>`;
}

function pager(input: HistoryPageInput, params: Record<string, string>): SafeHtml {
  const last = input.history.deployments.at(-1);
  const newest =
    input.after === null ? '' : html`<a href="${queryWith(params, {})}" rel="first">← newest</a>`;
  const older =
    input.history.hasMore && last
      ? html`<a href="${queryWith(params, { after: last.instance })}" rel="next">older →</a>`
      : '';
  return html`<nav class="pages">${newest}${older}</nav>`;
}

/** The history page of one version, one page of its deployments. */
export function renderHistoryPage(input: HistoryPageInput): string {
  const { view, now } = input;
  const params = refreshParam(input.refreshSeconds);
  const entries = assembleHistory(input.history, now);
  const decision = view.decision ? describeDecision(view.decision, now) : 'not planned yet';
  const body =
    entries.length === 0
      ? html`<p class="empty">No deployments${input.after === null ? '' : ' older than that'}.</p>`
      : entries.map((entry) => deploymentArticle(entry, now));
  const ownParams = input.after === null ? params : { ...params, after: input.after };
  return page(
    `History of ${view.name}: Kubeflow auto-deploy`,
    html`<header>
<h1>History of ${view.name}</h1>
<p class="meta"><a href="${pathWithQuery('../', params)}" id="status-page">← status page</a>.
Branch ${link(githubBranchUrl(view.repo, view.branch), html`<code>${view.repo}@${view.branch}</code>`)}; decision now: ${decision}.
Generated ${whenHtml(now, now)}. ${refreshControl(input.refreshSeconds, ownParams)}</p>
</header>
<main>
${input.after === null ? eventsSection(input.events, now) : ''}
<p class="muted">Every deployment of ${view.name}, newest first, 20 a page.</p>
${body}
${pager(input, params)}
</main>`,
    input.refreshSeconds,
  );
}

/** A 404 page (unknown version or page), linking back to the status page. */
export function renderNotFoundPage(message: string, now: Date): string {
  return page(
    'Kubeflow auto-deploy: not found',
    html`<header>
<h1>Kubeflow auto-deploy</h1>
</header>
<main>
<section>
<h2><span class="status tone-gone">not found</span></h2>
<p>${message}</p>
<p class="muted">At ${whenHtml(now, now)}. <a href="../">The status page</a>.</p>
</section>
</main>`,
  );
}

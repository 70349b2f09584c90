/**
 * What the status page and the history page share: the HTML shell with its inline CSS, the
 * self-refresh (a `<meta http-equiv="refresh">` chosen by `?refresh=`, so it works without JavaScript,
 * with links to switch it off and on), the copy button's one inline script, and the legend of the
 * timeline. Nothing is loaded from elsewhere. Pure.
 */
import { createHash } from 'node:crypto';
import { html, SafeHtml } from './html.js';
import { STATE_COLOURS } from './timeline.js';
import { LEASE_COLOUR, NEXT_DEPLOY_COLOUR, PUSH_COLOUR } from './timeline-svg.js';
import { DEPLOYMENT_STATUSES } from './types.js';

/** How often the pages reload themselves unless `?refresh=` says otherwise. */
export const DEFAULT_REFRESH_SECONDS = 60;
const REFRESH_BOUNDS = { min: 10, max: 3600 } as const;

/**
 * The refresh interval asked for by `?refresh=`: `0` or `off` switches it off; a number of seconds is
 * kept within 10 to 3600; absent or unreadable, the default.
 */
export function parseRefresh(value: unknown): number {
  if (typeof value !== 'string' || value.trim() === '') return DEFAULT_REFRESH_SECONDS;
  if (value === 'off' || value === '0') return 0;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return DEFAULT_REFRESH_SECONDS;
  return Math.min(Math.max(Math.round(seconds), REFRESH_BOUNDS.min), REFRESH_BOUNDS.max);
}

/** A query string (with its `?`) from the page's own parameters plus `changes`; empty values are left out. */
export function queryWith(params: Record<string, string>, changes: Record<string, string | null>): string {
  const merged = { ...params, ...changes };
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) if (value) search.set(key, value);
  const text = search.toString();
  return text === '' ? '?' : `?${text}`;
}

/** `path` with `params` as its query string (none when there are none). */
export function pathWithQuery(path: string, params: Record<string, string>): string {
  const query = queryWith(params, {});
  return query === '?' ? path : `${path}${query}`;
}

/**
 * The page's `?refresh=` value to carry on its links: none for the default, so links stay short.
 * `params` are the page's other query parameters.
 */
export function refreshParam(seconds: number): Record<string, string> {
  return seconds === DEFAULT_REFRESH_SECONDS ? {} : { refresh: String(seconds) };
}

/** "Refreshes every 60 s · stop" or "Refresh is off · refresh every 60 s": plain links, no script. */
export function refreshControl(seconds: number, params: Record<string, string>): SafeHtml {
  if (seconds === 0) {
    const on = queryWith(params, { refresh: null });
    return html`<span class="refresh">Auto-refresh is off. <a href="${on}" id="refresh-on">Refresh every ${DEFAULT_REFRESH_SECONDS} s</a></span>`;
  }
  const off = queryWith(params, { refresh: '0' });
  return html`<span class="refresh">Refreshes every ${seconds} s. <a href="${off}" id="refresh-off">Stop refreshing</a></span>`;
}

/**
 * The only script of the pages: it shows the copy buttons (hidden without JavaScript) and copies the
 * `<code>` next to each. It reads text from the page, never writes markup, and carries no data, so no
 * user text can reach it; the Content-Security-Policy allows exactly this script (its hash).
 */
export const COPY_SCRIPT = `(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll('button.copy').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var code = button.parentElement.querySelector('code');
      navigator.clipboard.writeText(code.textContent).then(function () {
        button.textContent = 'Copied';
      }, function () {
        button.textContent = 'Copy failed';
      });
    });
  });
})();`;

/** The CSP source that allows `COPY_SCRIPT` and nothing else. */
export const COPY_SCRIPT_CSP_SOURCE = `'sha256-${createHash('sha256').update(COPY_SCRIPT).digest('base64')}'`;

/** A command with a copy button (shown by the script; without JavaScript the text is there to select). */
export function copyable(command: string): SafeHtml {
  return html`<span class="copyable"><code>${command}</code> <button type="button" class="copy" hidden>Copy</button></span>`;
}

function swatch(colour: string): SafeHtml {
  return html`<svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill="${colour}"/></svg>`;
}

/** The timeline's legend: a colour per state, then the lease band, the push and next-deploy markers. */
export function timelineLegend(): SafeHtml {
  const states = DEPLOYMENT_STATUSES.filter((status) => status !== 'deleted').map(
    (status) => html`<li data-state="${status}">${swatch(STATE_COLOURS[status])} ${status}</li>`,
  );
  return html`<ul class="legend" aria-label="Timeline legend">${states}
<li>${swatch(LEASE_COLOUR)} leased (band on top)</li>
<li><svg width="12" height="12" aria-hidden="true"><path d="M1 1h10l-5 8z" fill="${PUSH_COLOUR}"/></svg> push</li>
<li><svg width="12" height="12" aria-hidden="true"><line x1="6" x2="6" y1="0" y2="12" stroke="${NEXT_DEPLOY_COLOUR}" stroke-width="2" stroke-dasharray="3 2"/></svg> next planned deploy</li>
<li><svg width="12" height="12" aria-hidden="true"><line x1="6" x2="6" y1="0" y2="12" stroke="#1f2328" stroke-width="1.5"/></svg> now; a bar ends when its instance is deleted</li>
</ul>`;
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; }
h3 { font-size: 1rem; margin: 0 0 .5rem; }
.meta, .muted { color: var(--muted); }
section, article { margin: 1.25rem 0; padding: 1rem; border: 1px solid var(--line); border-radius: 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0 0 .75rem; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .9rem; margin-bottom: .75rem; }
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
button.copy { font: inherit; font-size: .8rem; padding: 0 .5em; margin-top: .2rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); cursor: pointer; }
svg.timeline { display: block; width: 100%; height: auto; margin: .25rem 0 .75rem; border: 1px solid var(--line); border-radius: 6px; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding: 0; margin: .5rem 0 0; font-size: .85rem; color: var(--muted); }
ul.legend svg { vertical-align: -1px; }
nav.pages { display: flex; gap: 1rem; margin: 1rem 0; }
.pipeline { margin: .5rem 0; padding: .4rem .75rem; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
.pipeline p { margin: .2rem 0; }
.pipeline-failing, .pipeline-stale { border-color: #cf222e; background: #ffebe9; }
.pipeline-warning { border-color: #9a6700; background: #fff8c5; }
ul.problems { margin: .2rem 0; padding-left: 1.25rem; font-size: .9rem; overflow-wrap: anywhere; }
ul.problems .warning { color: #9a6700; }
footer { padding-bottom: 2rem; font-size: .85rem; }
@media (max-width: 760px) { table { display: block; overflow-x: auto; } }
`;

/** A whole page: the shell, the inline CSS, the refresh when asked, the copy script at the end. */
export function page(title: string, body: SafeHtml, refreshSeconds = 0): string {
  const refresh = refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${refreshSeconds}">\n` : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${refresh}<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
${body}
<script>${new SafeHtml(COPY_SCRIPT)}</script>
</body>
</html>
`.value;
}

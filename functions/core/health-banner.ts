/**
 * The status page's "Pipeline" line (health-view.ts): when the last tick ran, and ok, or its problems
 * (warning style), or that no tick ran for a while and how to run one. Plain HTML, no script. Pure.
 */

import { type HealthState, type HealthView, TICK_INTERVAL_MINUTES } from './health-view.js';
import { html, type SafeHtml, whenHtml } from './html.js';
import { copyable } from './page-shell.js';

const TONES: Record<HealthState, string> = {
  ok: 'good',
  warning: 'busy',
  failing: 'bad',
  stale: 'bad',
  unknown: 'gone',
};

function problemList(view: HealthView): SafeHtml {
  const problems = view.last?.problems ?? [];
  if (problems.length === 0) return html``;
  const items = problems.map(
    (problem) =>
      html`<li class="${problem.severity === 'error' ? 'error' : 'warning'}" data-step="${problem.step}"><code>${problem.step}</code>: ${problem.message}</li>`,
  );
  return html`<ul class="problems">${items}</ul>`;
}

function lastTick(view: HealthView, now: Date): SafeHtml {
  if (view.last === null) return html``;
  return html`Last tick ${whenHtml(view.last.ranAt, now)}.`;
}

/** What to do about it: for a stale or missing tick, run one. */
function advice(view: HealthView): SafeHtml {
  if (view.state !== 'stale' && view.state !== 'unknown') return html``;
  return html`<p class="muted">Cloud Scheduler runs the tick every ${TICK_INTERVAL_MINUTES} minutes; to run one now: ${copyable(view.runTick)}</p>`;
}

/** The banner: `Pipeline [ok] Last tick 14:05 UTC (2 min ago).`, then the problems and advice, if any. */
export function healthBanner(view: HealthView, now: Date): SafeHtml {
  return html`<div class="pipeline pipeline-${view.state}" id="pipeline" data-state="${view.state}">
<p><strong>Pipeline</strong> <span class="status tone-${TONES[view.state]}">${view.summary}</span> ${lastTick(view, now)}</p>
${problemList(view)}${advice(view)}</div>`;
}

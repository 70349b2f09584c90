/**
 * Draws a timeline (timeline.ts) as inline SVG, rendered on the server: no script, no external file.
 * Every bar segment, lease, push and the next-deploy marker carries an SVG `<title>` (the browser's
 * tooltip) saying what it is and when, in the pages' one time format. Text from users (instance names,
 * commit messages, lease owners) goes in through the `html` tag, which escapes it. Pure.
 */
import { shortSha } from './describe.js';
import { html, type SafeHtml, whenText } from './html.js';
import { HOUR_MS, spanWords } from './time.js';
import { type LeaseSpan, type Segment, STATE_COLOURS, type Timeline, type TimelineBar } from './timeline.js';

/** The picture's size in SVG units (it scales to the page's width). */
export const TIMELINE_WIDTH = 960;
const PAD_X = 12;
const AXIS_HEIGHT = 18;
const PUSH_ROW_HEIGHT = 16;
const LANES_TOP = AXIS_HEIGHT + PUSH_ROW_HEIGHT;
/** One lane: a 14-unit bar and 6 units of air, readable with a dozen lanes. */
export const LANE_HEIGHT = 20;
const BAR_HEIGHT = 14;
const LEASE_HEIGHT = 4;
const TICK_HOURS = 6;
const LABEL_CHAR_WIDTH = 6.2;

export const LEASE_COLOUR = '#0a3069';
export const PUSH_COLOUR = '#6e7781';
export const NEXT_DEPLOY_COLOUR = '#0969da';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Maps instants to x and lanes to y. */
interface Scale {
  x(at: Date): number;
  height: number;
  now: Date;
}

function scaleOf(timeline: Timeline): Scale {
  const start = timeline.start.getTime();
  const span = timeline.end.getTime() - start;
  const width = TIMELINE_WIDTH - 2 * PAD_X;
  return {
    x: (at) => round(PAD_X + ((at.getTime() - start) / span) * width),
    height: LANES_TOP + Math.max(timeline.lanes, 1) * LANE_HEIGHT + 4,
    now: timeline.now,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function laneY(lane: number): number {
  return LANES_TOP + lane * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) / 2;
}

/** `from 10:20 UTC (3 h ago) to now, 3 h`: a span in the pages' time format. */
function spanText(from: Date, to: Date, isOpen: boolean, now: Date): string {
  const end = isOpen ? 'now' : whenText(to, now);
  const minutes = (to.getTime() - from.getTime()) / 60_000;
  return `from ${whenText(from, now)} to ${end}, ${spanWords(minutes)}`;
}

/** The hour ticks, every `TICK_HOURS` on the UTC clock; a day's first tick says the date. */
function axis(timeline: Timeline, scale: Scale): SafeHtml {
  const step = TICK_HOURS * HOUR_MS;
  const first = Math.ceil(timeline.start.getTime() / step) * step;
  const ticks: SafeHtml[] = [];
  for (let t = first; t <= timeline.end.getTime(); t += step) {
    const at = new Date(t);
    const x = scale.x(at);
    const hour = at.getUTCHours();
    const label =
      hour === 0 ? `${MONTHS[at.getUTCMonth()]} ${at.getUTCDate()}` : `${String(hour).padStart(2, '0')}:00`;
    ticks.push(
      html`<line class="grid" x1="${x}" x2="${x}" y1="${AXIS_HEIGHT - 4}" y2="${scale.height}" stroke="#d1d9e0" stroke-width="1"/><text x="${x}" y="11" text-anchor="middle" font-size="10" fill="#59636e">${label}</text>`,
    );
  }
  return html`<g class="axis">${ticks}</g>`;
}

function nowLine(timeline: Timeline, scale: Scale): SafeHtml {
  const x = scale.x(timeline.now);
  const ahead = scale.x(timeline.end) - x;
  return html`<rect class="ahead" x="${x}" y="${AXIS_HEIGHT}" width="${round(ahead)}" height="${scale.height - AXIS_HEIGHT}" fill="#f6f8fa"/><line class="now" x1="${x}" x2="${x}" y1="${AXIS_HEIGHT - 4}" y2="${scale.height}" stroke="#1f2328" stroke-width="1.5"><title>now: ${whenText(timeline.now, timeline.now)}</title></line>`;
}

function pushMarker(push: Timeline['pushes'][number], scale: Scale): SafeHtml {
  const x = scale.x(push.at);
  const by = push.author === null ? '' : ` by ${push.author}`;
  const firstLine = push.message.split('\n')[0] ?? '';
  return html`<g class="push" data-sha="${push.sha}"><title>push: ${shortSha(push.sha)}${by}, ${whenText(push.at, scale.now)}: ${firstLine}</title><line x1="${x}" x2="${x}" y1="${AXIS_HEIGHT + 10}" y2="${scale.height}" stroke="${PUSH_COLOUR}" stroke-width="1" stroke-opacity="0.45"/><path d="M${x - 5} ${AXIS_HEIGHT + 2}h10l-5 8z" fill="${PUSH_COLOUR}"/></g>`;
}

function nextDeployMarker(timeline: Timeline, scale: Scale): SafeHtml {
  const at = timeline.nextDeploy;
  if (at === null) return html``;
  const isBeyond = at > timeline.end;
  const x = scale.x(isBeyond ? timeline.end : at);
  // The label goes in the room ahead of now, right of the marker, unless the marker is at the edge.
  const text = isBeyond
    ? html`<text x="${x - 3}" y="${AXIS_HEIGHT + 11}" text-anchor="end" font-size="10" fill="${NEXT_DEPLOY_COLOUR}">next →</text>`
    : html`<text x="${x + 3}" y="${AXIS_HEIGHT + 11}" font-size="10" fill="${NEXT_DEPLOY_COLOUR}">next</text>`;
  return html`<g class="next-deploy"><title>next planned deploy: ${whenText(at, scale.now)}</title><line x1="${x}" x2="${x}" y1="${AXIS_HEIGHT}" y2="${scale.height}" stroke="${NEXT_DEPLOY_COLOUR}" stroke-width="2" stroke-dasharray="5 4"/>${text}</g>`;
}

function segmentRect(bar: TimelineBar, segment: Segment, scale: Scale): SafeHtml {
  const d = bar.deployment;
  const x = scale.x(segment.from);
  const width = Math.max(scale.x(segment.to) - x, 1);
  const title = `${d.instance} (commit ${shortSha(d.commit)}): ${segment.status} ${spanText(segment.from, segment.to, segment.isOpen, scale.now)}`;
  return html`<rect class="segment" data-state="${segment.status}" x="${x}" y="${laneY(bar.lane)}" width="${round(width)}" height="${BAR_HEIGHT}" fill="${STATE_COLOURS[segment.status] ?? '#d0d7de'}"><title>${title}</title></rect>`;
}

function leaseRect(bar: TimelineBar, span: LeaseSpan, scale: Scale): SafeHtml {
  const x = scale.x(span.from);
  const width = Math.max(scale.x(span.to) - x, 1);
  const { lease } = span;
  const end = lease.closedAt ?? lease.expiresAt;
  const until = lease.closedAt
    ? `${lease.status} ${whenText(end, scale.now)}`
    : `until ${whenText(end, scale.now)}`;
  return html`<rect class="lease" data-lease="${lease.leaseId}" x="${x}" y="${laneY(bar.lane)}" width="${round(width)}" height="${LEASE_HEIGHT}" fill="${LEASE_COLOUR}"><title>lease by ${lease.owner} on ${lease.instance}: from ${whenText(lease.createdAt, scale.now)}, ${until}</title></rect>`;
}

/** The instance name without `kf-<version>-`, inside the bar when it fits. */
function barLabel(bar: TimelineBar, scale: Scale): SafeHtml {
  const d = bar.deployment;
  const prefix = `kf-${d.version}-`;
  const label = d.instance.startsWith(prefix) ? d.instance.slice(prefix.length) : d.instance;
  const x = scale.x(bar.from);
  const width = scale.x(bar.to) - x;
  if (width < label.length * LABEL_CHAR_WIDTH + 8) return html``;
  return html`<text class="label" x="${x + 4}" y="${laneY(bar.lane) + BAR_HEIGHT - 3}" font-size="10" fill="#1f2328" stroke="#ffffff" stroke-width="3" stroke-opacity="0.8" paint-order="stroke">${label}</text>`;
}

function barGroup(bar: TimelineBar, scale: Scale): SafeHtml {
  const d = bar.deployment;
  return html`<g class="bar" data-instance="${d.instance}" data-lane="${bar.lane}">${bar.segments.map((s) => segmentRect(bar, s, scale))}${bar.leases.map((l) => leaseRect(bar, l, scale))}${barLabel(bar, scale)}</g>`;
}

function emptyNote(timeline: Timeline, scale: Scale): SafeHtml {
  if (timeline.bars.length > 0) return html``;
  return html`<text class="empty" x="${scale.x(timeline.start) + 4}" y="${LANES_TOP + 14}" font-size="11" fill="#59636e">No instance in the last 48 hours.</text>`;
}

/** The timeline as an `<svg>` element, scaled to its container's width. */
export function renderTimelineSvg(timeline: Timeline, label: string): SafeHtml {
  const scale = scaleOf(timeline);
  return html`<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${TIMELINE_WIDTH} ${scale.height}" width="${TIMELINE_WIDTH}" height="${scale.height}" role="img" aria-label="${label}">
<title>${label}</title>
${axis(timeline, scale)}${nowLine(timeline, scale)}
${timeline.pushes.map((push) => pushMarker(push, scale))}
${timeline.bars.map((bar) => barGroup(bar, scale))}
${nextDeployMarker(timeline, scale)}${emptyNote(timeline, scale)}
</svg>`;
}

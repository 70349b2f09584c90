/**
 * The timeline of one version over the last `TIMELINE_HOURS`, as data: one bar per instance from its
 * launch to its deletion (or now), cut into the states it went through (its `transitions`), the lease
 * spans on it, the pushes to the branch, and the next planned deploy. Bars share a lane when they do
 * not overlap, so 30 instances in 48 hours stay a handful of rows. Pure: `now` is a parameter; the
 * picture is drawn by timeline-svg.ts.
 */
import type { Lease } from './leases.js';
import { HOUR_MS, laterOf, MINUTE_MS } from './time.js';
import type { Deployment, DeploymentStatus, DeploymentTransition, VersionDecision } from './types.js';

/** How far back the timeline reaches. */
export const TIMELINE_HOURS = 48;

/** Room after `now` for the next planned deploy. */
export const TIMELINE_AHEAD_HOURS = 3;

/** Two bars closer than this stay on separate lanes, so they never touch. */
export const LANE_GAP_MS = 20 * MINUTE_MS;

/** The colour of each state on the timeline and its legend (GitHub's palette: green good, red bad). */
export const STATE_COLOURS: Record<DeploymentStatus, string> = {
  launching: '#f5d76e',
  deploying: '#d4a72c',
  verifying: '#54aeff',
  ready: '#2da44e',
  unhealthy: '#fb8f44',
  failed: '#cf222e',
  lost: '#82071e',
  adopted: '#a475f9',
  deleting: '#8c959f',
  'teardown-failed': '#e85aad',
  deleted: '#d0d7de',
};

/** A push to a followed branch, as the timeline marks it: the head commit of the push, when recorded. */
export interface PushView {
  version: string;
  sha: string;
  /** The commit message (its first line is shown). */
  message: string;
  /** The author's GitHub login, else name; null when unknown. */
  author: string | null;
  at: Date;
}

/** What the timelines need besides the deployments and live leases the status page reads. */
export interface TimelineView {
  /** Deployments deleted since `since`, whenever launched (the page's own list misses old ones). */
  deletedDeployments: Deployment[];
  /** Leases closed since `since` (the page reads the live ones anyway). */
  leases: Lease[];
  /** Pushes recorded since `since` to the versions' branches, oldest first. */
  pushes: PushView[];
}

export interface TimelineInput {
  /** The version's deployments (those outside the window are left out). */
  deployments: readonly Deployment[];
  /** Leases of any instance (each bar takes its own). */
  leases: readonly Lease[];
  /** The version's pushes (those outside the window are left out). */
  pushes: readonly PushView[];
  /** When the next deploy is planned (the decision's `notBefore` or `until`), or null. */
  nextDeploy: Date | null;
  now: Date;
}

/** One state of an instance, from one transition to the next. */
export interface Segment {
  status: DeploymentStatus;
  from: Date;
  to: Date;
  /** True for the current state of an instance still alive (it ends at `now`). */
  isOpen: boolean;
}

/** A lease on an instance, from `createdAt` to `closedAt` (else `expiresAt`), within the bar. */
export interface LeaseSpan {
  lease: Lease;
  from: Date;
  to: Date;
}

export interface TimelineBar {
  deployment: Deployment;
  lane: number;
  /** The whole life, clipped to the window. */
  from: Date;
  to: Date;
  /** Still alive: the bar ends at `now`. */
  isOpen: boolean;
  segments: Segment[];
  leases: LeaseSpan[];
}

export interface Timeline {
  start: Date;
  /** `now` plus `TIMELINE_AHEAD_HOURS`. */
  end: Date;
  now: Date;
  /** Oldest first. */
  bars: TimelineBar[];
  lanes: number;
  pushes: PushView[];
  /** The next planned deploy, at `now` when it is already due; null when none is planned. */
  nextDeploy: Date | null;
}

const byTime = (a: { at: Date }, b: { at: Date }) => a.at.getTime() - b.at.getTime();

/** The transitions of a document written before `transitions` existed, from the times it has. */
function transitionsFromTimes(d: Deployment): DeploymentTransition[] {
  const known: Array<[DeploymentStatus, Date | null | undefined]> = [
    ['launching', d.createdAt],
    ['verifying', d.verifyingAt],
    ['ready', d.readyAt],
    ['deleting', d.deletingAt],
    ['deleted', d.deletedAt],
  ];
  const found = known.flatMap(([status, at]) => (at ? [{ status, at }] : [])).sort(byTime);
  if (found.at(-1)?.status !== d.status) found.push({ status: d.status, at: d.updatedAt });
  return found;
}

/** The instance's status changes, oldest first, repeats of one status folded into the first. */
export function lifeOf(d: Deployment): DeploymentTransition[] {
  const given = d.transitions && d.transitions.length > 0 ? d.transitions : transitionsFromTimes(d);
  const sorted = [...given].sort(byTime);
  return sorted.filter((t, i) => i === 0 || sorted[i - 1]?.status !== t.status);
}

/** When the instance stopped existing (deleted), or null while it exists. */
function deletedAt(d: Deployment, life: readonly DeploymentTransition[]): Date | null {
  const last = life.at(-1);
  if (last?.status === 'deleted') return last.at;
  return d.status === 'deleted' ? (d.deletedAt ?? d.updatedAt) : null;
}

/** Every state the instance went through, with its span; the last ends at deletion or `now`. */
export function stateSegments(d: Deployment, now: Date): Segment[] {
  const life = lifeOf(d);
  const end = deletedAt(d, life) ?? now;
  const isAlive = deletedAt(d, life) === null;
  return life.flatMap((t, i): Segment[] => {
    if (t.status === 'deleted') return [];
    const next = life[i + 1];
    const to = next ? next.at : end;
    return [{ status: t.status, from: t.at, to, isOpen: isAlive && next === undefined }];
  });
}

function clip(at: Date, start: Date, end: Date): Date {
  return new Date(Math.min(Math.max(at.getTime(), start.getTime()), end.getTime()));
}

function leaseSpans(d: Deployment, leases: readonly Lease[], from: Date, to: Date): LeaseSpan[] {
  return leases
    .filter((lease) => lease.instance === d.instance)
    .map((lease) => ({
      lease,
      from: clip(lease.createdAt, from, to),
      to: clip(lease.closedAt ?? lease.expiresAt, from, to),
    }))
    .filter((span) => span.to > span.from)
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** The bar of one instance within [start, now], or null when its life is outside. */
function barOf(d: Deployment, leases: readonly Lease[], start: Date, now: Date): TimelineBar | null {
  const segments = stateSegments(d, now)
    .map((s) => ({ ...s, from: clip(s.from, start, now), to: clip(s.to, start, now) }))
    .filter((s) => s.to > s.from || s.isOpen);
  const first = segments[0];
  const last = segments.at(-1);
  if (!first || !last) return null;
  if (last.to.getTime() <= start.getTime() && !last.isOpen) return null;
  const bar = { deployment: d, lane: 0, from: first.from, to: last.to, isOpen: last.isOpen, segments };
  return { ...bar, leases: leaseSpans(d, leases, bar.from, bar.to) };
}

/** Puts each bar (oldest first) on the first lane free `LANE_GAP_MS` before it starts. */
function assignLanes(bars: TimelineBar[]): number {
  const laneEnds: number[] = [];
  for (const bar of bars) {
    const start = bar.from.getTime();
    let lane = laneEnds.findIndex((end) => end + LANE_GAP_MS <= start);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = bar.to.getTime();
    bar.lane = lane;
  }
  return laneEnds.length;
}

/** The timeline of one version: its instances' bars on lanes, its pushes and its next deploy. */
export function buildTimeline(input: TimelineInput): Timeline {
  const { now } = input;
  const start = new Date(now.getTime() - TIMELINE_HOURS * HOUR_MS);
  const end = new Date(now.getTime() + TIMELINE_AHEAD_HOURS * HOUR_MS);
  const bars = input.deployments
    .map((d) => barOf(d, input.leases, start, now))
    .filter((bar): bar is TimelineBar => bar !== null)
    .sort(
      (a, b) =>
        a.from.getTime() - b.from.getTime() || a.deployment.instance.localeCompare(b.deployment.instance),
    );
  const lanes = assignLanes(bars);
  const pushes = input.pushes.filter((push) => push.at >= start && push.at <= now).sort(byTime);
  const nextDeploy = input.nextDeploy && laterOf(input.nextDeploy, now);
  return { start, end, now, bars, lanes, pushes, nextDeploy };
}

/**
 * When the planner's decision says the next deploy happens: a deploy's `notBefore`, a wait's `until`;
 * none for a deploy its pass launched already (its instance's bar shows it).
 */
export function nextDeployOf(decision: VersionDecision | null): Date | null {
  if (decision === null) return null;
  if (decision.kind === 'deploy') return decision.launched === true ? null : decision.notBefore;
  return decision.until ?? null;
}

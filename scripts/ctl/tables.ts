/**
 * What `npm run ctl` prints for people: aligned tables of the status and the plan, one line per change.
 * Reads the API's JSON loosely (a field it does not know is left out), never throws on a missing one.
 */

type Json = Record<string, unknown>;

const text = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const short = (sha: unknown): string => (typeof sha === 'string' ? sha.slice(0, 7) : '-');

/** `2026-11-30 10:15 UTC` from an ISO date, `-` for none. */
export function utc(iso: unknown): string {
  if (typeof iso !== 'string') return '-';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Rows as columns padded to their widest cell; the first row is the header. */
export function formatTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function leaseWords(deployment: Json): string {
  const leases = list(deployment.leases);
  return leases.length === 0
    ? '-'
    : leases.map((l) => `${text(l.owner)} until ${utc(l.expiresAt)}`).join(', ');
}

/**
 * The Pipeline line (`api/health`, the status page's banner): its summary (`ok`, `2 problems`, `no
 * tick for 42 min ...`), when the last tick ran, each problem of it on a line of its own, and how to
 * run a tick when none ran lately.
 */
export function pipelineLines(health: Json): string[] {
  const last = (health.lastTick ?? null) as Json | null;
  const when = last ? ` (last tick ${utc(last.ranAt)})` : '';
  const lines = [`PIPELINE  ${text(health.summary)}${when}`];
  for (const problem of list(last?.problems)) {
    lines.push(`  ${text(problem.step)} (${text(problem.severity)}): ${text(problem.message)}`);
  }
  if ((health.state === 'unknown' || health.state === 'stale') && typeof health.runTick === 'string') {
    lines.push(`  to run one now: ${health.runTick}`);
  }
  return lines;
}

/** `ctl status`: the Pipeline line, each version's decision, then the instances newest first. */
export function statusText(versions: Json[], deployments: Json[], health?: Json): string {
  const versionRows = versions.map((v) => {
    const decision = (v.decision ?? {}) as Json;
    return [
      text(v.name),
      v.paused ? 'paused' : '-',
      short((v.head as Json | null)?.sha),
      text(decision.text),
    ];
  });
  const deploymentRows = deployments.map((d) => [
    text(d.instance),
    text(d.version),
    text(d.status),
    short(d.commit),
    utc(d.createdAt),
    leaseWords(d),
  ]);
  return [
    ...(health ? [...pipelineLines(health), ''] : []),
    formatTable([['VERSION', 'PAUSED', 'HEAD', 'DECISION'], ...versionRows]),
    '',
    deploymentRows.length === 0
      ? 'no instances'
      : formatTable([['INSTANCE', 'VERSION', 'STATUS', 'COMMIT', 'CREATED', 'LEASED BY'], ...deploymentRows]),
  ].join('\n');
}

function pausedWords(version: Json): string {
  const paused = version.paused as Json | null;
  if (!paused) return version.configPaused ? ' (paused in the deployments file)' : '';
  const by = paused.by ? ` by ${text(paused.by)}` : '';
  return ` (${by.trim() || 'paused'}${paused.reason ? `: ${text(paused.reason)}` : ''})`;
}

function drainLine(drain: Json | undefined): string[] {
  if (!drain?.drained) return [];
  const by = drain.by ?? drain.claimedBy;
  return [`DRAINED since ${utc(drain.at)}${by ? ` by ${text(by)}` : ''}: ${text(drain.reason)}`, ''];
}

/** `ctl plan`: what the next plan would do, per version, per instance, per request. */
export function planText(plan: Json): string {
  const versions = list(plan.versions).map((v) => [
    text(v.version),
    text(v.kind),
    `${text(v.text)}${pausedWords(v)}`,
  ]);
  const instances = list(plan.instances).map((i) => [
    text(i.instance),
    text(i.status),
    i.verdict === 'collect' ? 'collect' : `keep (${text(i.rule)})`,
    text(i.reason),
  ]);
  const requests = list(plan.requests).map((r) => [
    text(r.id),
    text(r.status),
    r.wouldEnqueue ? 'queue now' : 'wait',
  ]);
  return [
    `the next plan, as of ${utc(plan.at)}:`,
    '',
    ...drainLine(plan.drain as Json | undefined),
    formatTable([['VERSION', 'NEXT', 'WHY'], ...versions]),
    '',
    instances.length === 0
      ? 'no instances'
      : formatTable([['INSTANCE', 'STATUS', 'GC', 'WHY'], ...instances]),
    '',
    requests.length === 0 ? 'no requests' : formatTable([['REQUEST', 'STATUS', 'NOW'], ...requests]),
  ].join('\n');
}

/** One line for a change's answer: `master: paused; planned now`. */
export function changeText(subject: string, answer: Json): string {
  const note = typeof answer.note === 'string' ? answer.note : answer.changed ? 'done' : 'unchanged';
  const request = (answer.request ?? null) as Json | null;
  const overridden = list(answer.overriddenLeases);
  const lines = [`${subject}: ${note}`];
  if (request) lines.push(`  request ${text(request.id)}${request.force ? ' (forced)' : ''}`);
  if (overridden.length > 0)
    lines.push(`  leases overridden: ${overridden.map((l) => text(l.owner)).join(', ')}`);
  return lines.join('\n');
}

/** `ctl drain` / `undrain`. */
export function drainText(answer: Json): string {
  const state = answer.drained ? 'on' : 'off';
  const changed = answer.changed ? '' : ' (unchanged)';
  const planned = answer.planned === true ? '; planned now' : '';
  return `drain: ${state}${changed}${answer.reason ? `: ${text(answer.reason)}` : ''}${planned}`;
}

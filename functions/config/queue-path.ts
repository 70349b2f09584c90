/**
 * The deploy queue's path from the environment: TASKS_QUEUE, or TASKS_PROJECT + TASKS_LOCATION +
 * TASKS_QUEUE_ID. Never throws: a missing or malformed value is a problem in words.
 */

const PROJECT_PART = /^[A-Za-z0-9\-:.]+$/;
const LOCATION_PART = /^[A-Za-z0-9-]+$/;
const QUEUE_ID_PART = /^[A-Za-z0-9-]{1,100}$/;
const QUEUE_PATH =
  /^projects\/([A-Za-z0-9\-:.]+)\/locations\/([A-Za-z0-9-]+)\/queues\/([A-Za-z0-9-]{1,100})$/;

/** The environment variables {@link parseQueuePath} reads. `process.env` is one. */
export interface QueueEnv {
  /** The full queue path, `projects/P/locations/L/queues/Q`. */
  TASKS_QUEUE?: string;
  /** Or the three parts: project, location (region) and queue id. */
  TASKS_PROJECT?: string;
  TASKS_LOCATION?: string;
  TASKS_QUEUE_ID?: string;
}

/** A queue path and its parts, or the problem that prevents one (to collect with other config problems). */
export type QueuePathResult =
  | { ok: true; queuePath: string; project: string; location: string; queueId: string }
  | { ok: false; problem: string };

/**
 * Finds the deploy queue in `env`: `TASKS_QUEUE` as the full path `projects/P/locations/L/queues/Q`,
 * or `TASKS_PROJECT`, `TASKS_LOCATION` and `TASKS_QUEUE_ID` together. Never throws: a missing or
 * malformed value gives `{ok: false, problem}` naming the variable, the bad value and the fix.
 */
export function parseQueuePath(env: QueueEnv): QueuePathResult {
  const full = env.TASKS_QUEUE?.trim() ?? '';
  const parts: QueueParts = {
    TASKS_PROJECT: env.TASKS_PROJECT?.trim() ?? '',
    TASKS_LOCATION: env.TASKS_LOCATION?.trim() ?? '',
    TASKS_QUEUE_ID: env.TASKS_QUEUE_ID?.trim() ?? '',
  };
  const hasParts = Object.values(parts).some((value) => value !== '');
  if (full) return fromFullPath(full, hasParts ? parts : null);
  if (!hasParts) {
    return {
      ok: false,
      problem: `TASKS_QUEUE: must name the deploy queue as ${SHAPE} (missing); or set TASKS_PROJECT, TASKS_LOCATION and TASKS_QUEUE_ID.`,
    };
  }
  return fromParts(parts);
}

type QueueParts = Record<'TASKS_PROJECT' | 'TASKS_LOCATION' | 'TASKS_QUEUE_ID', string>;

const SHAPE = 'projects/PROJECT/locations/LOCATION/queues/QUEUE';

/** TASKS_QUEUE, which must agree with the parts when they are set too. */
function fromFullPath(full: string, parts: QueueParts | null): QueuePathResult {
  const match = QUEUE_PATH.exec(full);
  if (!match) {
    const hint = QUEUE_ID_PART.test(full)
      ? ` It looks like a bare queue id: give the full path, or set TASKS_QUEUE_ID=${full} with TASKS_PROJECT and TASKS_LOCATION.`
      : '';
    return { ok: false, problem: `TASKS_QUEUE: must be ${SHAPE} (got ${JSON.stringify(full)}).${hint}` };
  }
  const [, project = '', location = '', queueId = ''] = match;
  const fromPartsPath =
    parts &&
    `projects/${parts.TASKS_PROJECT}/locations/${parts.TASKS_LOCATION}/queues/${parts.TASKS_QUEUE_ID}`;
  if (fromPartsPath && fromPartsPath !== full) {
    return {
      ok: false,
      problem: `TASKS_QUEUE (${JSON.stringify(full)}) disagrees with TASKS_PROJECT/TASKS_LOCATION/TASKS_QUEUE_ID (${JSON.stringify(fromPartsPath)}): set only TASKS_QUEUE, or only the three parts.`,
    };
  }
  return { ok: true, queuePath: full, project, location, queueId };
}

/** The three parts, all set and each well-formed. */
function fromParts(parts: QueueParts): QueuePathResult {
  const missing = Object.entries(parts)
    .filter(([, value]) => value === '')
    .map(([name]) => name);
  if (missing.length > 0) {
    return {
      ok: false,
      problem: `${missing.join(', ')}: missing; set all of TASKS_PROJECT, TASKS_LOCATION and TASKS_QUEUE_ID, or TASKS_QUEUE=${SHAPE} instead.`,
    };
  }
  const checks: Array<[keyof QueueParts, RegExp, string]> = [
    ['TASKS_PROJECT', PROJECT_PART, 'a project id'],
    ['TASKS_LOCATION', LOCATION_PART, 'a location such as us-central1'],
    ['TASKS_QUEUE_ID', QUEUE_ID_PART, 'a queue id of 1-100 letters, digits and hyphens'],
  ];
  const bad = checks
    .filter(([name, pattern]) => !pattern.test(parts[name]))
    .map(([name, , what]) => `${name}: must be ${what} (got ${JSON.stringify(parts[name])})`);
  if (bad.length > 0) return { ok: false, problem: bad.join('; ') };
  const { TASKS_PROJECT: project, TASKS_LOCATION: location, TASKS_QUEUE_ID: queueId } = parts;
  return {
    ok: true,
    queuePath: `projects/${project}/locations/${location}/queues/${queueId}`,
    project,
    location,
    queueId,
  };
}

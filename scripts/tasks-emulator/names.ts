/** Resource names of Cloud Tasks (`projects/P/locations/L/queues/Q/tasks/T`) and generated task ids. */
import { randomBytes } from 'node:crypto';

const PROJECT_RE = '[A-Za-z0-9\\-:.]+';
const LOCATION_RE = '[A-Za-z0-9-]+';
const QUEUE_ID_RE = '[A-Za-z0-9-]{1,100}';
const TASK_ID_RE = '[A-Za-z0-9_-]{1,500}';

/** `projects/P/locations/L`. */
export const LOCATION_NAME = new RegExp(`^projects/${PROJECT_RE}/locations/${LOCATION_RE}$`);
/** `projects/P/locations/L/queues/Q`; group 1 is the location, group 2 the queue id. */
export const QUEUE_NAME = new RegExp(
  `^(projects/${PROJECT_RE}/locations/${LOCATION_RE})/queues/(${QUEUE_ID_RE})$`,
);
/** `.../queues/Q/tasks/T`; group 1 is the queue, group 2 the task id. */
export const TASK_NAME = new RegExp(
  `^(projects/${PROJECT_RE}/locations/${LOCATION_RE}/queues/${QUEUE_ID_RE})/tasks/(${TASK_ID_RE})$`,
);

/** A task id for an unnamed task: 20 digits, like the ids Cloud Tasks generates. */
export function generateTaskId(): string {
  return randomBytes(8).readBigUInt64BE().toString().padStart(20, '0');
}

/**
 * What a deploy queue task asks the worker to do, read strictly from its JSON body, and the names of
 * the plan tasks. Pure: a parsed body in, a task or a reason out.
 *
 * - `{"requestId": "<deployRequests id>"}`: carry out that deploy or teardown request (every deploy
 *   task ever queued has this body);
 * - `{"kind": "plan", "version": "<name>", "head": "<40 hex>", "deliveryId": "<GUID>"}`: plan the
 *   version after a push moved its head (the webhook hands the planning over instead of doing it
 *   before its answer). `deliveryId` is optional.
 * - `{"kind": "poll", "repo": "<owner/name>", "branch": "<branch>"}`: poll one followed branch (the
 *   tick fans its poll out when there are many), and plan its versions if the head moved.
 *
 * Anything else (another key, a wrong type, a malformed value) is refused with the reason.
 */
import { createHash } from 'node:crypto';
import {
  compactUtcMinute,
  isValidBranchName,
  isValidRepoFullName,
  isValidVersionName,
  MAX_TASK_ID_LENGTH,
} from './names.js';

/** A task the worker carries out. */
export type TaskBody =
  | { kind: 'request'; requestId: string }
  | { kind: 'plan'; version: string; head: string; deliveryId: string | null }
  | { kind: 'poll'; repo: string; branch: string };

/** The plan of one version after its head moved to `head`. */
export type PlanTask = Extract<TaskBody, { kind: 'plan' }>;

/** The poll of one followed branch, fanned out by the tick. */
export type PollTask = Extract<TaskBody, { kind: 'poll' }>;

/** What the webhook and the tick hand over to the worker through the queue. */
export type WorkTask = PlanTask | PollTask;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,500}$/;
const SHA = /^[0-9a-f]{40}$/;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

type Fields = Record<string, unknown>;

function isPlainObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(body: Fields, allowed: readonly string[]): string | null {
  const extra = Object.keys(body).filter((key) => !allowed.includes(key));
  return extra.length === 0 ? null : `unexpected field ${extra.map((key) => JSON.stringify(key)).join(', ')}`;
}

function readPlanTask(body: Fields): TaskBody | { error: string } {
  const extra = onlyKeys(body, ['kind', 'version', 'head', 'deliveryId']);
  if (extra) return { error: extra };
  const { version, head, deliveryId } = body;
  if (typeof version !== 'string' || !isValidVersionName(version)) {
    return { error: 'version must be a version name' };
  }
  if (typeof head !== 'string' || !SHA.test(head)) return { error: 'head must be a 40-hex commit sha' };
  if (deliveryId !== undefined && (typeof deliveryId !== 'string' || !DELIVERY_ID.test(deliveryId))) {
    return { error: 'deliveryId must be a GitHub delivery GUID' };
  }
  return { kind: 'plan', version, head, deliveryId: deliveryId ?? null };
}

function readPollTask(body: Fields): TaskBody | { error: string } {
  const extra = onlyKeys(body, ['kind', 'repo', 'branch']);
  if (extra) return { error: extra };
  const { repo, branch } = body;
  if (typeof repo !== 'string' || !isValidRepoFullName(repo)) return { error: 'repo must be owner/name' };
  if (typeof branch !== 'string' || branch.length > 255 || !isValidBranchName(branch)) {
    return { error: 'branch must be a git branch name' };
  }
  return { kind: 'poll', repo, branch };
}

/** Reads a task body (already parsed from JSON); `{error}` says what is wrong with it. */
export function parseTaskBody(body: unknown): TaskBody | { error: string } {
  if (!isPlainObject(body)) return { error: 'the body must be a JSON object' };
  if (body.kind === undefined) {
    const extra = onlyKeys(body, ['requestId']);
    if (extra) return { error: extra };
    const { requestId } = body;
    if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
      return { error: 'requestId must be a deployRequests id' };
    }
    return { kind: 'request', requestId };
  }
  if (body.kind === 'plan') return readPlanTask(body);
  if (body.kind === 'poll') return readPollTask(body);
  return { error: `unknown kind ${JSON.stringify(body.kind)}` };
}

/**
 * The task id of a plan task: one per version, pending-plan mark (`markedAt`, core/pending-plans.ts),
 * head and delivery. A repeated hand-off under the same mark is ALREADY_EXISTS in Cloud Tasks, while
 * the next mark of the version (set after its task cleared the last one) names a new task, even for
 * the same head: Cloud Tasks refuses a name again for about an hour after its task ran. A hash leads,
 * as Cloud Tasks recommends for its index.
 */
export function planTaskName(
  task: Pick<PlanTask, 'version' | 'head' | 'deliveryId'>,
  markedAt: Date,
): string {
  const key = `${task.version}#${task.head}#${task.deliveryId ?? ''}#${markedAt.getTime()}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const name = `${hash}-plan-${task.version}-${task.head.slice(0, 12)}`;
  return name.slice(0, MAX_TASK_ID_LENGTH);
}

/**
 * The task id of a poll task: one per branch and tick minute, so ticks that overlap (Cloud Scheduler
 * retries, an operator's manual run) queue each branch once.
 */
export function pollTaskName(task: Pick<PollTask, 'repo' | 'branch'>, at: Date): string {
  const key = `${task.repo.toLowerCase()}#${task.branch}#${compactUtcMinute(at)}`;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const readable = task.branch.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 100);
  return `${hash}-poll-${readable}-${compactUtcMinute(at)}`;
}

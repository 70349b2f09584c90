/**
 * `githubWebhook`: receives GitHub deliveries, verifies them, records pushes to followed branches
 * in Firestore exactly once, then hands the planning of the versions it touched over to the deploy
 * queue (one named plan task per version and head, use-cases/plan-tasks.ts) and answers.
 *
 * Status codes are a contract with GitHub (which gives 10 s and never retries a failed delivery):
 * 200 recorded / duplicate / ping, 202 accepted but ignored, 400 bad body, 401 bad signature,
 * 405 wrong method, 413 too large, 415 compressed, 503 storage unavailable (the scheduler tick's poll
 * catches up). The body is read by functions/http/ (never by the framework's parsers): every answer is
 * JSON, and one about the body's content comes only after its signature was checked.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { InvalidPayloadError, parsePushPayload, type WebhookVerifier } from './adapters/github-payload.js';
import { planPushIntake } from './core/intake.js';
import type { PlanMark } from './core/pending-plans.js';
import type { Clock, DeployEvaluator, IntakeStore, RecordPushResult } from './core/ports.js';
import type { VersionConfig } from './core/types.js';
import { MAX_WEBHOOK_BODY_BYTES } from './http/body-limits.js';
import { readJsonBody, refusalOf, sizeRefusal } from './http/json-body.js';
import { describeError, type Logger } from './log.js';

export { MAX_WEBHOOK_BODY_BYTES } from './http/body-limits.js';

/**
 * How long the answer waits for the hand-off of the planning (queueing the plan tasks: milliseconds).
 * GitHub gives a delivery 10 s and never retries it; the push is recorded by then, so a slow hand-off
 * goes on after the answer (and the next tick plans the version anyway).
 */
export const DEFAULT_EVALUATION_BUDGET_MS = 5000;

/**
 * How long the answer waits for Firestore to record the push. A Firestore that hangs (unreachable, or
 * overloaded) would otherwise hold the answer past GitHub's 10 s, and GitHub records that as a failed
 * delivery without any answer at all. With the evaluation budget it stays under 10 s; a 503 tells
 * the operator to redeliver, and the tick's poll records the head anyway.
 */
export const DEFAULT_RECORD_DEADLINE_MS = 4000;

const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

/** Firestore did not answer within the deadline (it may still record the push later). */
export class RecordDeadlineError extends Error {
  override name = 'RecordDeadlineError';
}

export interface GithubWebhookDeps {
  verifier: WebhookVerifier;
  store: IntakeStore;
  versions: VersionConfig[];
  evaluator: DeployEvaluator;
  clock: Clock;
  logger: Logger;
  /** See DEFAULT_EVALUATION_BUDGET_MS. */
  evaluationBudgetMs?: number;
  /** See DEFAULT_RECORD_DEADLINE_MS. */
  recordDeadlineMs?: number;
}

function reply(res: Response, status: number, body: Record<string, unknown>): void {
  res.status(status).set('Cache-Control', 'no-store').json(body);
}

function header(req: Request, name: string): string | undefined {
  const value = req.get(name);
  return value === undefined || value === '' ? undefined : value;
}

/** An answer to send. */
interface Reply {
  status: number;
  body: Record<string, unknown>;
}

const answer = (status: number, body: Record<string, unknown>): Reply => ({ status, body });

/** A delivery whose signature is valid and whose headers and body are well-formed. */
interface Delivery {
  deliveryId: string;
  event: string;
  body: unknown;
}

/**
 * Checks the method, size, signature, headers and JSON, in that order; an answer when one fails.
 * A body over the limit is not kept, so there is nothing to verify: it is the one refusal made before
 * the signature (it says only the limit).
 */
async function readDelivery(deps: GithubWebhookDeps, req: Request, log: Logger): Promise<Delivery | Reply> {
  if (req.method !== 'POST') return answer(405, { error: 'GitHub webhooks are POST requests' });
  const tooLarge = sizeRefusal(req, MAX_WEBHOOK_BODY_BYTES);
  if (tooLarge) {
    log.warn('webhook body too large', { error: tooLarge.error });
    return answer(413, { error: tooLarge.error });
  }
  if (!(await deps.verifier.isValid(req.rawBody ?? Buffer.alloc(0), header(req, 'X-Hub-Signature-256')))) {
    log.warn('webhook signature missing or invalid');
    return answer(401, { error: 'missing or invalid X-Hub-Signature-256' });
  }
  const deliveryId = header(req, 'X-GitHub-Delivery');
  const event = header(req, 'X-GitHub-Event');
  if (!event || !deliveryId) {
    return answer(400, { error: 'X-GitHub-Event and X-GitHub-Delivery headers are required' });
  }
  if (!DELIVERY_ID.test(deliveryId)) {
    // It becomes a Firestore document id: GitHub sends GUIDs.
    return answer(400, { error: 'X-GitHub-Delivery must be a GUID (letters, digits and dashes)' });
  }
  const body = readJsonBody(req, MAX_WEBHOOK_BODY_BYTES);
  if (body.kind !== 'ok') {
    const refusal = refusalOf(body);
    log.warn('webhook body refused', { error: refusal.error });
    const hint = body.kind === 'not-json' ? ': set the webhook content type to application/json' : '';
    return answer(refusal.status, { error: `${refusal.error}${hint}` });
  }
  return { deliveryId, event, body: body.value };
}

/**
 * After a push moved a head: the evaluation of the versions it touched, waited for at most the budget
 * (GitHub gives 10 s); a slower one goes on after the answer, and a failed one is left to the next tick.
 */
async function evaluateWithinBudget(
  deps: GithubWebhookDeps,
  versions: string[],
  trigger: { deliveryId: string; head: string; marked?: PlanMark[] },
  log: Logger,
): Promise<void> {
  const evaluation = deps.evaluator.evaluate(versions, { kind: 'push', ...trigger }).then(
    () => 'done' as const,
    (err: unknown) => {
      // The push is recorded; the next scheduler tick plans it. Not the sender's problem.
      log.warn('deploy evaluation after push failed; the next tick retries', describeError(err));
      return 'failed' as const;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<'over-budget'>((resolve) => {
    timer = setTimeout(() => resolve('over-budget'), deps.evaluationBudgetMs ?? DEFAULT_EVALUATION_BUDGET_MS);
  });
  const outcome = await Promise.race([evaluation, budget]);
  clearTimeout(timer);
  if (outcome === 'over-budget') {
    log.warn('deploy evaluation is slow; answering GitHub now, it goes on in the background');
  }
}

/**
 * `recording`, or a RecordDeadlineError after `deadlineMs`. A recording that finishes later is logged
 * (it is not undone: the claim and the head are as valid as if it had been on time).
 */
async function withinRecordDeadline<T>(
  recording: Promise<T>,
  deadlineMs: number,
  log: Logger,
  onLate: (value: T) => Promise<void>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RecordDeadlineError(`Firestore did not record the push within ${deadlineMs} ms`));
      recording.then(
        async (value) => {
          log.warn('the push was recorded after the answer (503) was sent');
          // What it hands over is handed over all the same: its recording may have set the marks.
          await onLate(value);
        },
        (err: unknown) => log.warn('recording the push failed after the answer (503)', describeError(err)),
      );
    }, deadlineMs);
  });
  try {
    return await Promise.race([recording, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a recorded push hands over: the store's hand-off (the versions whose marks its recording set;
 * nothing when none was set), or, from a store that does not mark, the head the push moved.
 */
function handOffOf(result: RecordPushResult): { head: string; marked?: PlanMark[] } | null {
  if (result.handOff !== undefined) {
    return result.handOff !== null && result.handOff.marked.length > 0 ? result.handOff : null;
  }
  return result.kind === 'recorded' && result.head.isMoved ? { head: result.head.head.sha } : null;
}

/** Hands the planning over (nothing to hand over: nothing), within the budget. */
async function handOff(
  deps: GithubWebhookDeps,
  versions: string[],
  deliveryId: string,
  result: RecordPushResult,
  log: Logger,
): Promise<void> {
  const given = handOffOf(result);
  if (given === null) return;
  const handed = given.marked ? given.marked.map((mark) => mark.version) : versions;
  await evaluateWithinBudget(deps, handed, { deliveryId, ...given }, log);
}

/** A push: ignored unless it is to a followed branch; recorded exactly once; then evaluated. */
async function handlePush(deps: GithubWebhookDeps, delivery: Delivery, log: Logger): Promise<Reply> {
  const { deliveryId } = delivery;
  let push: ReturnType<typeof parsePushPayload>;
  try {
    push = parsePushPayload(delivery.body, deliveryId);
  } catch (err) {
    if (!(err instanceof InvalidPayloadError)) throw err;
    log.warn('invalid push payload', { error: err.message });
    return answer(400, { error: err.message });
  }
  const plan = planPushIntake(push, deps.versions);
  const pushLog = log.child({ repo: push.repo, ref: push.ref, commit: push.after });
  if (plan.kind === 'ignore') {
    pushLog.info('push ignored', { reason: plan.reason });
    return answer(202, { status: 'ignored', reason: plan.reason });
  }
  const branchLog = pushLog.child({ branch: plan.branch, version: plan.versions.join(',') });
  let result: RecordPushResult;
  try {
    result = await withinRecordDeadline(
      deps.store.recordPush(push, plan.branch, plan.versions, deps.clock()),
      deps.recordDeadlineMs ?? DEFAULT_RECORD_DEADLINE_MS,
      branchLog,
      (late) => handOff(deps, plan.versions, deliveryId, late, branchLog),
    );
  } catch (err) {
    branchLog.error('recording the push failed', describeError(err));
    return answer(503, {
      error: 'could not record the push; redeliver it, or the scheduler tick will poll the branch',
    });
  }
  if (result.kind === 'duplicate') {
    branchLog.info('duplicate delivery', { claim: result.status });
    await handOff(deps, plan.versions, deliveryId, result, branchLog);
    return answer(200, { status: 'duplicate', claim: result.status });
  }
  const { outcome, isMoved } = result.head;
  branchLog.info('push recorded', {
    headOutcome: outcome,
    headMoved: isMoved,
    commits: result.commitsRecorded,
  });
  await handOff(deps, plan.versions, deliveryId, result, branchLog);
  return answer(200, {
    status: 'recorded',
    branch: plan.branch,
    versions: plan.versions,
    headOutcome: outcome,
    commits: result.commitsRecorded,
  });
}

/** Builds the HTTP handler; all collaborators are injected. */
export function createGithubWebhookHandler(
  deps: GithubWebhookDeps,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const log = deps.logger.child({
      deliveryId: header(req, 'X-GitHub-Delivery'),
      event: header(req, 'X-GitHub-Event'),
    });
    const delivery = await readDelivery(deps, req, log);
    let result: Reply;
    if ('status' in delivery) result = delivery;
    else if (delivery.event === 'ping') {
      log.info('ping');
      result = answer(200, { status: 'pong' });
    } else if (delivery.event !== 'push') {
      log.info('event ignored');
      result = answer(202, { status: 'ignored', reason: `event ${delivery.event} is not handled` });
    } else result = await handlePush(deps, delivery, log);
    // One line per refused delivery, whatever the reason (infra/monitoring.tf counts them by status).
    if (result.status >= 400 && result.status < 500) {
      log.warn('webhook delivery rejected', { status: result.status, error: result.body.error });
    }
    if (result.status === 405) res.set('Allow', 'POST');
    reply(res, result.status, result.body);
  };
}

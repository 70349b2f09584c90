/**
 * Deploy and teardown requests: what the planner's decisions become, and when an open request needs
 * (another) task. Pure: plain data and `now` in, requests and booleans out.
 */
import { taskNameFor, teardownRequestId } from './names.js';
import { MINUTE_MS } from './time.js';
import type { Deployment, DeployRequest, DeployRequestStatus, Plan, VersionDecision } from './types.js';

/**
 * An enqueued request whose task has not run after this long is queued again (a lost or dropped task,
 * or a planner that died between marking the request and creating its task). Longer than the dispatch
 * deadline (10 minutes) and a retry, so a task still at work is rarely doubled, and a double is
 * harmless: the worker adopts the launch or answers busy.
 */
export const STALE_ENQUEUED_MINUTES = 15;

/** Request statuses that are still to be acted on. */
export const OPEN_REQUEST_STATUSES: readonly DeployRequestStatus[] = ['pending', 'enqueued', 'deferred'];

/** True while a request is still to be acted on (pending, enqueued or deferred). */
export function isOpenRequest(request: Pick<DeployRequest, 'status'>): boolean {
  return OPEN_REQUEST_STATUSES.includes(request.status);
}

/**
 * True when the branch has moved past a deploy request: its version's head is another commit, or the
 * branch is gone. The worker skips such a request (`superseded`, core/launch.ts), so it must not make
 * the planner wait, nor hold a capacity slot: the head gets a request of its own. `head` undefined
 * (the version is not in this pass) says nothing: not superseded.
 */
export function isSupersededRequest(
  request: Pick<DeployRequest, 'action' | 'commit'>,
  head: { sha: string; deleted: boolean } | null | undefined,
): boolean {
  if (request.action !== 'deploy' || head === undefined) return false;
  return head === null || head.deleted || head.sha !== request.commit;
}

/** A new request, `pending` from `now` (never queued yet). */
export function newRequest(
  fields: Pick<DeployRequest, 'id' | 'action' | 'version' | 'commit' | 'reason' | 'instance' | 'notBefore'> &
    Partial<Pick<DeployRequest, 'attempt'>>,
  now: Date,
): DeployRequest {
  return {
    ...fields,
    status: 'pending',
    enqueueCount: 0,
    taskName: null,
    createdAt: now,
    updatedAt: now,
    error: null,
  };
}

/**
 * Whether the pass that creates `request` launches it itself instead of queueing a task for it (a plan
 * task does, use-cases/plan-and-enqueue.ts): a deploy that is due now. A teardown, or a deploy due
 * when its version's window opens, goes through the queue, which holds it until then.
 */
export function isLaunchedByItsPass(
  request: Pick<DeployRequest, 'action' | 'notBefore'>,
  now: Date,
): boolean {
  return request.action === 'deploy' && request.notBefore.getTime() <= now.getTime();
}

/**
 * The requests a plan asks for: one deploy request per deploy decision (its id comes from the
 * planner), and, unless `only` limits the pass to some versions, one teardown request per collected
 * instance. A teardown's id carries the instance's previous teardown attempt (`deletingAt`), so a
 * retry after a failed teardown is a new request while repeated plans stay one.
 */
export function requestsForPlan(
  plan: Plan,
  deployments: readonly Deployment[],
  now: Date,
  only: ReadonlySet<string> | null,
): DeployRequest[] {
  const requests: DeployRequest[] = [];
  for (const decision of plan.versions) {
    if (decision.kind !== 'deploy' || !decision.requestId) continue;
    if (only !== null && !only.has(decision.version)) continue;
    requests.push(
      newRequest(
        {
          id: decision.requestId,
          action: 'deploy',
          version: decision.version,
          commit: decision.commit,
          reason: decision.reason,
          instance: null,
          notBefore: decision.notBefore,
          ...(decision.attempt === undefined ? {} : { attempt: decision.attempt }),
        },
        now,
      ),
    );
  }
  if (only !== null) return requests;
  const byInstance = new Map(deployments.map((d) => [d.instance, d]));
  for (const collect of plan.collect) {
    const previousAttempt = byInstance.get(collect.instance)?.deletingAt?.getTime() ?? 0;
    requests.push(
      newRequest(
        {
          id: teardownRequestId(collect.instance, previousAttempt),
          action: 'teardown',
          version: collect.version,
          commit: collect.commit,
          reason: collect.reason,
          instance: collect.instance,
          notBefore: now,
        },
        now,
      ),
    );
  }
  return requests;
}

/**
 * Whether an open request needs (another) task now: pending ones always; deferred ones once their
 * version is neither paused (nor drained) nor at capacity; a deferred teardown (its instance was leased when the
 * worker came: core/teardown.ts) while this pass still collects its instance (`collecting`: once the lease
 * is over, if the ordinary rules still say so); enqueued ones whose task should long have run
 * (`STALE_ENQUEUED_MINUTES` after it was due or last queued).
 */
export function isDueForEnqueue(
  request: DeployRequest,
  decision: VersionDecision | undefined,
  now: Date,
  collecting: ReadonlySet<string>,
): boolean {
  if (request.status === 'pending') return true;
  if (request.status === 'deferred') {
    if (request.action === 'teardown') return request.instance !== null && collecting.has(request.instance);
    return !(
      decision?.kind === 'wait' &&
      (decision.reason === 'paused' || decision.reason === 'drained' || decision.reason === 'at-capacity')
    );
  }
  if (request.status === 'enqueued') {
    const expected = Math.max(request.notBefore.getTime(), request.updatedAt.getTime());
    return now.getTime() > expected + STALE_ENQUEUED_MINUTES * MINUTE_MS;
  }
  return false;
}

/**
 * What to record on a request once its `expectedCount`-th task was created. The task may already have
 * run by then (Cloud Tasks dispatches at once): a request closed meanwhile, or deferred by a worker
 * since the planner read it (its `updatedAt` is no longer `readUpdatedAt`), keeps its status, so the
 * deferral is re-enqueued by the next pass instead of passing for queued until it goes stale. The
 * count and task name are recorded in every case; a later enqueue (a greater count) is never undone.
 * Null: nothing to write.
 */
export function enqueuedPatch(
  request: DeployRequest | null,
  mark: { expectedCount: number; taskName: string; now: Date; readUpdatedAt?: Date | undefined },
): Partial<DeployRequest> | null {
  if (!request || request.enqueueCount > mark.expectedCount) return null;
  const recorded = { enqueueCount: mark.expectedCount, taskName: mark.taskName, enqueuedAt: mark.now };
  const isDeferredSinceRead =
    request.status === 'deferred' &&
    mark.readUpdatedAt !== undefined &&
    request.updatedAt.getTime() !== mark.readUpdatedAt.getTime();
  if (!isOpenRequest(request) || isDeferredSinceRead) return recorded;
  return { ...recorded, status: 'enqueued', updatedAt: mark.now, error: null };
}

/**
 * What to record on a request whose `expectedCount`-th task could not be created. The planner marks a
 * request enqueued before it creates the task (so that the worker, which may run as soon as the task
 * exists, never races that write); a request still marked for this very task is pending again, for
 * the next pass. Null: nothing to write (closed meanwhile).
 */
export function enqueueFailedPatch(
  request: DeployRequest | null,
  failure: { expectedCount: number; error: string; now: Date },
): Partial<DeployRequest> | null {
  if (!request || !isOpenRequest(request)) return null;
  const patch: Partial<DeployRequest> = { error: `enqueue failed: ${failure.error}`, updatedAt: failure.now };
  const isMarkedForIt = request.status === 'enqueued' && request.enqueueCount === failure.expectedCount;
  return isMarkedForIt ? { ...patch, status: 'pending' } : patch;
}

/**
 * A new request as it is created when the planner queues it at once: already marked for its first
 * task (the same write as `enqueuedPatch` would make, in the creating transaction, one fewer).
 */
export function markedForFirstTask(request: DeployRequest, now: Date): DeployRequest {
  return {
    ...request,
    status: 'enqueued',
    enqueueCount: 1,
    taskName: taskNameFor(request.id, 1),
    enqueuedAt: now,
  };
}

/**
 * The decisions as stored once the pass acted on them: a deploy whose request the pass launched
 * itself (`launched`: request ids; a plan task) is marked `launched` (said "launched", not "queued").
 */
export function actedOnDecisions(
  decisions: readonly VersionDecision[],
  launched: readonly string[],
): VersionDecision[] {
  return decisions.map((decision) =>
    decision.kind === 'deploy' && decision.requestId !== undefined && launched.includes(decision.requestId)
      ? { ...decision, launched: true }
      : decision,
  );
}

/**
 * True when no stored decision can equal `decision`: a deploy its pass launched (a request launches
 * once, so its launch is new). A store writes such a decision without reading the stored one first.
 */
export function isNewDecision(decision: VersionDecision): boolean {
  return decision.kind === 'deploy' && decision.launched === true;
}

/**
 * The decisions to store again after some requests could not be queued: a `deploy` whose request
 * failed becomes `wait`/`not-queued` with the error (it was stored as "queued" while the queue was
 * tried). `failures` maps request id to the enqueue error. Only the changed decisions are returned.
 */
export function notQueuedDecisions(
  decisions: readonly VersionDecision[],
  failures: ReadonlyMap<string, string>,
): VersionDecision[] {
  return decisions.flatMap((decision) => {
    if (decision.kind !== 'deploy' || decision.requestId === undefined) return [];
    const error = failures.get(decision.requestId);
    if (error === undefined) return [];
    return [
      {
        kind: 'wait' as const,
        version: decision.version,
        reason: 'not-queued' as const,
        commit: decision.commit,
        error: `enqueue failed: ${error}`,
      },
    ];
  });
}

/**
 * Tick step 3, and what a push triggers for the versions it touched: the pure planner decides; each
 * decision becomes a deploy or teardown request (claimed once by its derived id) and a Cloud Tasks task
 * (named from the request, so a repeat is a no-op); each version's decision is stored for the console
 * and the status page. A request that cannot be queued stays pending, and the next pass queues it.
 */
import { describeDecision, shownDecision } from '../core/describe.js';
import { heldByLeases } from '../core/leases.js';
import { taskNameFor } from '../core/names.js';
import { planDeploys } from '../core/plan.js';
import type { Clock, DeployEvaluator, DeployQueue, PlanStore } from '../core/ports.js';
import {
  isDueForEnqueue,
  markedForFirstTask,
  notQueuedDecisions,
  requestsForPlan,
} from '../core/requests.js';
import { laterOf } from '../core/time.js';
import type { DeploymentsConfig, DeployRequest, VersionDecision } from '../core/types.js';
import { describeError, type Logger } from '../log.js';

export interface PlanAndEnqueueDeps {
  config: DeploymentsConfig;
  store: PlanStore;
  queue: DeployQueue;
  clock: Clock;
  logger: Logger;
}

export interface PlanReport {
  ok: true;
  /** Per version planned: `<kind>:<reason>`, e.g. `deploy:new-commit`, `wait:rate-limited`. */
  decisions: Record<string, string>;
  /** Instances GC collects (a full pass only). */
  collect: string[];
  /** Request ids put in the queue by this pass. */
  enqueued: string[];
  /** Request ids that could not be queued (they stay pending for the next pass). */
  enqueueFailed: string[];
}

/** The requests this pass should queue: new ones, and open ones that are due again (core/requests.ts). */
async function requestsToEnqueue(
  deps: PlanAndEnqueueDeps,
  wanted: DeployRequest[],
  open: DeployRequest[],
  decisions: ReadonlyMap<string, VersionDecision>,
  collecting: ReadonlySet<string>,
  only: ReadonlySet<string> | null,
  now: Date,
): Promise<ToEnqueue[]> {
  const toEnqueue = new Map<string, ToEnqueue>();
  for (const request of wanted) {
    // Created already marked for its first task: one transaction, not two.
    const stored = await deps.store.createRequest(markedForFirstTask(request, now));
    if (stored.isNew) toEnqueue.set(request.id, { request: stored.request, isMarked: true });
    else if (stored.request.status === 'pending') {
      toEnqueue.set(request.id, { request: stored.request, isMarked: false });
    }
  }
  for (const request of open) {
    if (only !== null && !only.has(request.version)) continue;
    if (toEnqueue.has(request.id)) continue;
    if (isDueForEnqueue(request, decisions.get(request.version), now, collecting)) {
      toEnqueue.set(request.id, { request, isMarked: false });
    }
  }
  return [...toEnqueue.values()];
}

/** A request to queue, and whether it is already marked enqueued for the task about to be created. */
interface ToEnqueue {
  request: DeployRequest;
  isMarked: boolean;
}

/**
 * Puts one request in the queue; on failure it stays open (pending) with the error, for the next pass.
 * Null when queued, else the error.
 */
async function enqueue(
  deps: PlanAndEnqueueDeps,
  { request, isMarked }: ToEnqueue,
  now: Date,
): Promise<string | null> {
  const { queue, store, logger } = deps;
  const count = isMarked ? request.enqueueCount : request.enqueueCount + 1;
  const taskName = taskNameFor(request.id, count);
  const notBefore = laterOf(request.notBefore, now);
  const log = logger.child({
    request: request.id,
    task: taskName,
    version: request.version,
    commit: request.commit,
    action: request.action,
  });
  try {
    // Marked before the task exists: the worker may run the moment it does, and its launch transaction
    // would race this write on the request (the loser waits a second for Firestore's retry).
    if (!isMarked) {
      await store.markEnqueued(request.id, {
        expectedCount: count,
        taskName,
        now,
        readUpdatedAt: request.updatedAt,
      });
    }
    const result = await queue.enqueue({ requestId: request.id, taskName, notBefore });
    log.info(result.isNew ? 'request enqueued' : 'request was already enqueued', {
      notBefore: notBefore.toISOString(),
    });
    return null;
  } catch (err) {
    log.error('enqueue failed; the request stays pending for the next tick', describeError(err));
    await store
      .markEnqueueFailed(request.id, (err as Error).message, now, count)
      .catch((writeErr: unknown) => {
        log.error('could not record the enqueue failure', describeError(writeErr));
      });
    return (err as Error).message;
  }
}

/**
 * Plans, records requests, enqueues them and stores the decisions. `only` limits the pass to some
 * versions (after a push); GC runs only in a full pass (`only` null).
 */
export async function planAndEnqueue(
  deps: PlanAndEnqueueDeps,
  only: ReadonlySet<string> | null,
): Promise<PlanReport> {
  const { store, config, clock } = deps;
  const now = clock();
  // A pass after a push reads only its versions (and every deployment and open request, for the
  // capacity), and no leases: GC runs in a full pass only.
  const configs = only === null ? config.versions : config.versions.filter((v) => only.has(v.name));
  const snapshot = await store.readSnapshot(configs, now, { withLeases: only === null });
  const plan = planDeploys({
    now,
    maxActiveDeployments: config.policy.maxActiveDeployments,
    versions: snapshot.versions,
    deployments: snapshot.deployments,
    openRequests: snapshot.openRequests,
    ...(only === null
      ? {
          policy: config.policy,
          // An instance a test holds a live lease on is never collected.
          isHeld: heldByLeases(snapshot.leases, now),
        }
      : {}),
  });
  const decisions = plan.versions.filter((decision) => only === null || only.has(decision.version));
  const byVersion = new Map(plan.versions.map((decision) => [decision.version, decision]));
  const wanted = requestsForPlan(plan, snapshot.deployments, now, only);
  const enqueued: string[] = [];
  const enqueueFailed: string[] = [];
  // A teardown the worker deferred (a lease came first) is queued again only if this pass still collects it.
  const collecting = new Set(only === null ? plan.collect.map((c) => c.instance) : []);
  const toEnqueue = await requestsToEnqueue(
    deps,
    wanted,
    snapshot.openRequests,
    byVersion,
    collecting,
    only,
    now,
  );
  const failures = new Map<string, string>();
  const queueing = (async () => {
    for (const item of toEnqueue) {
      const error = await enqueue(deps, item, now);
      if (error !== null) failures.set(item.request.id, error);
      (error === null ? enqueued : enqueueFailed).push(item.request.id);
    }
  })();
  // The decisions are stored while the requests are queued: neither waits for the other.
  const storing = store.writeDecisions(
    decisions.map((decision) => {
      const shown = shownDecision(decision, now);
      return { decision: shown, text: describeDecision(shown, now) };
    }),
    now,
  );
  await Promise.all([queueing, storing]);
  // Stored as "queued" while the queue was tried: a deploy whose request could not be queued says so.
  const notQueued = notQueuedDecisions(decisions, failures);
  if (notQueued.length > 0) {
    await store.writeDecisions(
      notQueued.map((decision) => ({ decision, text: describeDecision(decision, now) })),
      now,
    );
  }
  return {
    ok: true,
    decisions: Object.fromEntries(decisions.map((d) => [d.version, `${d.kind}:${d.reason}`])),
    collect: only === null ? plan.collect.map((c) => c.instance) : [],
    enqueued,
    enqueueFailed,
  };
}

/**
 * The webhook's evaluation hook: after a push moved a head, plan and enqueue the versions it touched
 * (no GC, no poll), so a push deploys within seconds instead of on the next tick.
 */
export function createPushEvaluator(deps: PlanAndEnqueueDeps): DeployEvaluator {
  return {
    async evaluate(versions, trigger) {
      const report = await planAndEnqueue(deps, new Set(versions));
      deps.logger.info('evaluated after push', {
        trigger: trigger.kind,
        deliveryId: trigger.deliveryId,
        ...report,
      });
    },
  };
}

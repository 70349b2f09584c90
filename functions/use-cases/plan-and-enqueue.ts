/**
 * Tick step 3, and what a push triggers for the versions it touched: the pure planner decides; each
 * decision becomes a deploy or teardown request (claimed once by its derived id) and a Cloud Tasks task
 * (named from the request, so a repeat is a no-op); each version's decision is stored for the console
 * and the status page. A request that cannot be queued stays pending, and the next pass queues it.
 *
 * A plan task's pass (`launch` set) launches a deploy it decides that is due now itself, through the
 * worker's own use case, instead of queueing a task for it: one queue hop, one function invocation and
 * one write fewer between a push and its Job. The launch's claim transaction stores the request with
 * the deployment it records (use-cases/run-deploy-request.ts, `create`), as any task's claim would,
 * so nothing launches twice. A launch that leaves the request to be done (a retry: Kubernetes or
 * Firestore failed) or throws gets it stored `pending` and queued as usual; a plan task that dies
 * mid-launch is retried by Cloud Tasks, and its next pass either decides again (nothing was stored)
 * or finds the request pending and queues it (the deploy task adopts the Job once the lease expires).
 */
import { describeDecision, shownDecision } from '../core/describe.js';
import type { WorkerOutcome } from '../core/launch.js';
import { heldByLeases } from '../core/leases.js';
import { taskNameFor } from '../core/names.js';
import { planDeploys } from '../core/plan.js';
import type { Clock, DeployEvaluator, DeployQueue, PipelineSnapshot, PlanStore } from '../core/ports.js';
import {
  actedOnDecisions,
  isDueForEnqueue,
  isLaunchedByItsPass,
  markedForFirstTask,
  notQueuedDecisions,
  requestsForPlan,
} from '../core/requests.js';
import type { DeploymentsConfig, DeployRequest, VersionDecision, VersionState } from '../core/types.js';
import { describeError, type Logger } from '../log.js';

export interface PlanAndEnqueueDeps {
  config: DeploymentsConfig;
  store: PlanStore;
  queue: DeployQueue;
  clock: Clock;
  logger: Logger;
  /**
   * Set for a plan task (use-cases/plan-tasks.ts): launches a request the way a deploy task would
   * (use-cases/run-deploy-request.ts), storing it in the same transaction, for the deploys this pass
   * decides that are due now.
   */
  launch?: (request: DeployRequest) => Promise<WorkerOutcome>;
}

export interface PlanReport {
  ok: true;
  /** Per version planned: `<kind>:<reason>`, e.g. `deploy:new-commit`, `wait:rate-limited`. */
  decisions: Record<string, string>;
  /** Instances GC collects (a full pass only). */
  collect: string[];
  /** Request ids put in the queue by this pass. */
  enqueued: string[];
  /** Request ids this pass launched itself (a plan task's pass, `launch`), with no task. */
  launched: string[];
  /** Request ids that could not be queued (they stay pending for the next pass). */
  enqueueFailed: string[];
}

/**
 * The new requests to act on: stored (marked for their first task) and to queue, or, those this pass
 * launches itself, not stored yet (the launch's claim stores them).
 */
async function newRequestsToEnqueue(
  deps: PlanAndEnqueueDeps,
  wanted: DeployRequest[],
  now: Date,
): Promise<Map<string, ToEnqueue>> {
  const toEnqueue = new Map<string, ToEnqueue>();
  for (const request of wanted) {
    if (deps.launch !== undefined && isLaunchedByItsPass(request, now)) {
      // Stored by the launch's claim (or found there, as a duplicate delivery would).
      toEnqueue.set(request.id, { request, isMarked: false, isLaunchedHere: true });
      continue;
    }
    // Created already marked for its first task: one transaction, not two.
    const stored = await deps.store.createRequest(markedForFirstTask(request, now));
    if (stored.isNew) {
      toEnqueue.set(request.id, { request: stored.request, isMarked: true, isLaunchedHere: false });
    } else if (stored.request.status === 'pending') {
      toEnqueue.set(request.id, { request: stored.request, isMarked: false, isLaunchedHere: false });
    }
  }
  return toEnqueue;
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
  const toEnqueue = await newRequestsToEnqueue(deps, wanted, now);
  for (const request of open) {
    if (only !== null && !only.has(request.version)) continue;
    if (toEnqueue.has(request.id)) continue;
    if (isDueForEnqueue(request, decisions.get(request.version), now, collecting)) {
      toEnqueue.set(request.id, { request, isMarked: false, isLaunchedHere: false });
    }
  }
  return [...toEnqueue.values()];
}

/**
 * A request to queue, whether it is already marked enqueued for the task about to be created, and
 * whether this pass launches it first (not stored yet; queued only when the launch leaves it to do).
 */
interface ToEnqueue {
  request: DeployRequest;
  isMarked: boolean;
  isLaunchedHere: boolean;
}

/**
 * Launches a request this pass decided (`deps.launch`, which stores it). The outcome when the launch
 * settled it (launched, deferred, closed: the worker recorded which); else the request as stored
 * now (`pending`, created here if the launch stored nothing), for the pass to queue when still open.
 */
async function launchHere(
  deps: PlanAndEnqueueDeps & Required<Pick<PlanAndEnqueueDeps, 'launch'>>,
  request: DeployRequest,
): Promise<{ settled: WorkerOutcome } | { open: DeployRequest | null }> {
  const log = deps.logger.child({ request: request.id, version: request.version, commit: request.commit });
  try {
    const outcome = await deps.launch(request);
    if (outcome.kind === 'done') {
      log.info('plan task ran the launch', { ...outcome });
      return { settled: outcome };
    }
    log.warn('the launch asks for a retry; queueing the request', { ...outcome });
  } catch (err) {
    log.warn('the launch failed; queueing the request', describeError(err));
  }
  // A storage failure here throws: the plan task is retried, and its next pass decides again.
  const stored = await deps.store.createRequest(request);
  return { open: stored.request.status === 'pending' ? stored.request : null };
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
  // A request due already keeps its own (past) time: Cloud Tasks dispatches it at once, even when this
  // instance's clock runs ahead of Cloud Tasks' (a schedule time of "now" by a fast clock would hold it).
  const notBefore = request.notBefore;
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

/** How a plan task's pass reads (use-cases/plan-tasks.ts). */
export interface PassOptions {
  /** The heads are read once this settles (the task's clear of its pending-plan mark). */
  headsAfter?: Promise<unknown>;
  /**
   * Asks GitHub about the versions whose recorded head is in doubt (a push moved it out of order);
   * true when that recorded a head, and the pass reads again.
   */
  checkHeads?: (versions: VersionState[]) => Promise<boolean>;
}

/**
 * The pass's snapshot. A pass after a push reads only its versions (and every deployment and open
 * request, for the capacity), and no leases: GC runs in a full pass only.
 */
async function readPassSnapshot(
  deps: PlanAndEnqueueDeps,
  only: ReadonlySet<string> | null,
  now: Date,
  options: PassOptions,
): Promise<PipelineSnapshot> {
  const configs = only === null ? deps.config.versions : deps.config.versions.filter((v) => only.has(v.name));
  const withLeases = only === null;
  const snapshot = await deps.store.readSnapshot(configs, now, {
    withLeases,
    ...(options.headsAfter ? { headsAfter: options.headsAfter } : {}),
  });
  const doubtful = snapshot.versions.filter((version) => version.head?.inDoubt === true);
  if (doubtful.length === 0 || !options.checkHeads || !(await options.checkHeads(doubtful))) return snapshot;
  return deps.store.readSnapshot(configs, now, { withLeases });
}

/** What became of a request this pass acted on; `failed`: it could not be queued (the queue's error). */
type Handled = { kind: 'launched' | 'settled' | 'enqueued' } | { kind: 'failed'; error: string };

/** Launches the request first when this pass does (`isLaunchedHere`), and queues it when still to do. */
async function launchOrEnqueue(deps: PlanAndEnqueueDeps, item: ToEnqueue, now: Date): Promise<Handled> {
  let request = item.request;
  if (item.isLaunchedHere && deps.launch) {
    const result = await launchHere({ ...deps, launch: deps.launch }, request);
    if ('settled' in result) return { kind: result.settled.result === 'launched' ? 'launched' : 'settled' };
    if (result.open === null) return { kind: 'settled' };
    request = result.open;
  }
  const error = await enqueue(deps, { ...item, request }, now);
  return error === null ? { kind: 'enqueued' } : { kind: 'failed', error };
}

/**
 * Plans, records requests, enqueues them and stores the decisions. `only` limits the pass to some
 * versions (after a push); GC runs only in a full pass (`only` null).
 */
export async function planAndEnqueue(
  deps: PlanAndEnqueueDeps,
  only: ReadonlySet<string> | null,
  options: PassOptions = {},
): Promise<PlanReport> {
  const { store, config, clock } = deps;
  const now = clock();
  const snapshot = await readPassSnapshot(deps, only, now, options);
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
  const launched: string[] = [];
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
      const { id } = item.request;
      const handled = await launchOrEnqueue(deps, item, now);
      if (handled.kind === 'launched') launched.push(id);
      if (handled.kind === 'enqueued') enqueued.push(id);
      if (handled.kind === 'failed') {
        failures.set(id, handled.error);
        enqueueFailed.push(id);
      }
    }
  })();
  // The decisions are stored while the requests are queued (neither waits for the other), or, by a
  // pass that launches (a plan task), once its launch is done: off the path from the push to its Job.
  const writeDecisions = () =>
    store.writeDecisions(
      actedOnDecisions(decisions, launched).map((decision) => {
        const shown = shownDecision(decision, now);
        return { decision: shown, text: describeDecision(shown, now) };
      }),
      now,
    );
  const storing = deps.launch ? queueing.then(writeDecisions) : writeDecisions();
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
    launched,
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

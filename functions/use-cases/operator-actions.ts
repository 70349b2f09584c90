/**
 * The operator API's use cases: pause, resume and force-redeploy a version, drain and undrain, tear an
 * instance down now, and the dry run of the next plan. Each checks its body (core/operator-body.ts),
 * then lets the store read, decide (core/operator.ts, core/operator-teardown.ts) and write in one
 * transaction, recording who asked and why in the version's history. After a change, the versions it
 * touched are planned at once when this function can queue (`evaluator`; the webhook's hook), else by
 * the next tick. The answers are data; functions/status/operator-routes.ts turns them into HTTP.
 */
import type { FieldError } from '../core/lease-body.js';
import {
  type DrainState,
  decideDrain,
  decideVersionAction,
  NO_CONTROL,
  NO_DRAIN,
  type OperatorAsk,
  type OperatorEvent,
  type VersionControl,
} from '../core/operator.js';
import { parseReasonOptional, parseReasonRequired, parseTeardownBody } from '../core/operator-body.js';
import type { OperatorStore, PlanSnapshotReader } from '../core/operator-ports.js';
import { decideOperatorTeardown, type OperatorTeardownOutcome } from '../core/operator-teardown.js';
import { type PlanViewJson, planView } from '../core/plan-view.js';
import type { Clock, DeployEvaluator } from '../core/ports.js';
import type { DeploymentsConfig } from '../core/types.js';
import { describeError, type Logger } from '../log.js';

export interface OperatorDeps {
  store: OperatorStore;
  /** The planner's snapshot, for the dry run (read only). */
  snapshots: PlanSnapshotReader;
  config: DeploymentsConfig;
  clock: Clock;
  logger: Logger;
  /** Plans versions now (and queues what is due); null when this function has no queue: the tick does. */
  evaluator: DeployEvaluator | null;
}

/** A body that did not pass the checks. */
export type Invalid = { kind: 'invalid'; errors: FieldError[] };

export type UnknownVersion = { kind: 'unknown-version'; version: string; versions: string[] };

/**
 * Whether the change was planned at once: true, false (planning failed: the tick does it), or null
 * (nothing changed, or this function cannot queue).
 */
export type Planned = boolean | null;

export type VersionActionAnswer =
  | Invalid
  | UnknownVersion
  | {
      kind: 'done';
      version: string;
      changed: boolean;
      /** The version's operator fields after the action. */
      control: VersionControl;
      configPaused: boolean;
      event: OperatorEvent | null;
      planned: Planned;
    };

export type DrainAnswer =
  | Invalid
  | { kind: 'done'; changed: boolean; drain: DrainState; events: OperatorEvent[]; planned: Planned };

export type TeardownAnswer = Invalid | (OperatorTeardownOutcome & { planned: Planned });

/** Plans `versions` now when this function can; best effort (a failure is logged, the tick does it). */
async function planNow(deps: OperatorDeps, versions: string[], changed: boolean): Promise<Planned> {
  if (!changed || deps.evaluator === null || versions.length === 0) return null;
  try {
    await deps.evaluator.evaluate(versions, { kind: 'manual' });
    return true;
  } catch (err) {
    deps.logger.error('planning after an operator action failed; the next tick plans it', {
      versions,
      ...describeError(err),
    });
    return false;
  }
}

/** `POST /api/versions/<name>/pause|resume|redeploy`. */
export async function changeVersion(
  deps: OperatorDeps,
  action: 'pause' | 'resume' | 'redeploy',
  version: string,
  body: unknown,
  caller: string | null,
): Promise<VersionActionAnswer> {
  const parsed = action === 'pause' ? parseReasonRequired(body) : parseReasonOptional(body);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const config = deps.config.versions.find((candidate) => candidate.name === version);
  if (!config) {
    return { kind: 'unknown-version', version, versions: deps.config.versions.map((v) => v.name) };
  }
  const ask: OperatorAsk = { by: caller, ...parsed.value };
  const now = deps.clock();
  // The store may run the decision more than once (a transaction retried): the last read is the one.
  let seen: VersionControl = NO_CONTROL;
  const change = await deps.store.changeVersion(version, (control) => {
    seen = control;
    return decideVersionAction(action, version, control, ask, now);
  });
  const control = { ...seen, ...(change.patch ?? {}) };
  if (change.changed) deps.logger.info(`version ${action}`, { version, by: ask.by, reason: ask.reason });
  return {
    kind: 'done',
    version,
    changed: change.changed,
    control,
    configPaused: config.paused,
    event: change.events[0] ?? null,
    planned: await planNow(deps, [version], change.changed),
  };
}

/** `POST /api/drain` and `/api/undrain`. */
export async function changeDrain(
  deps: OperatorDeps,
  action: 'drain' | 'undrain',
  body: unknown,
  caller: string | null,
): Promise<DrainAnswer> {
  const parsed = action === 'drain' ? parseReasonRequired(body) : parseReasonOptional(body);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const ask: OperatorAsk = { by: caller, ...parsed.value };
  const now = deps.clock();
  const versions = deps.config.versions.map((version) => version.name);
  let seen: DrainState = NO_DRAIN;
  const change = await deps.store.changeDrain((drain) => {
    seen = drain;
    return decideDrain(action, drain, versions, ask, now);
  });
  if (change.changed) deps.logger.info(action, { by: ask.by, reason: ask.reason });
  return {
    kind: 'done',
    changed: change.changed,
    drain: change.patch ?? seen,
    events: change.events,
    planned: await planNow(deps, versions, change.changed),
  };
}

/** `POST /api/deployments/<instance>/teardown`. */
export async function teardownInstance(
  deps: OperatorDeps,
  instance: string,
  body: unknown,
  caller: string | null,
): Promise<TeardownAnswer> {
  const parsed = parseTeardownBody(body);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const ask = { by: caller, ...parsed.value };
  const now = deps.clock();
  const outcome = await deps.store.requestTeardown(instance, (view) =>
    decideOperatorTeardown(instance, view, ask, now),
  );
  if (outcome.kind !== 'requested') return { ...outcome, planned: null };
  if (outcome.changed) {
    deps.logger.info('operator teardown requested', {
      instance,
      request: outcome.request.id,
      force: ask.force,
      overriddenLeases: outcome.overriddenLeases.map((lease) => lease.leaseId),
      by: ask.by,
    });
  }
  return { ...outcome, planned: await planNow(deps, [outcome.deployment.version], outcome.changed) };
}

/** `GET /api/plan`: what the next plan would do, computed on what the store holds; nothing is written. */
export async function readPlan(deps: OperatorDeps): Promise<PlanViewJson> {
  const now = deps.clock();
  const { config } = deps;
  const [snapshot, { controls, drain }] = await Promise.all([
    deps.snapshots.readSnapshot(config.versions, now),
    deps.store.readControls(config.versions.map((version) => version.name)),
  ]);
  return planView({ snapshot, config, now, drain, controls });
}

/**
 * The operator API (JSON in and out): the dry run of the next plan, pause / resume / redeploy a version,
 * drain / undrain everything, tear an instance down now. Bodies are read strictly, as the lease API's
 * (json-body.ts, core/operator-body.ts): an unknown field is a 400 that names it. Errors are
 * `{error, reason}`; when the store fails: 503, logged. The changes are `isMutating`: in production
 * they need an allowed principal, whose verified email is recorded as who asked (`ctx.caller`).
 */
import { isValidDnsLabel } from '../core/names.js';
import { operatorEventToJson } from '../core/operator.js';
import { describeError } from '../log.js';
import {
  changeDrain,
  changeVersion,
  type DrainAnswer,
  type OperatorDeps,
  readPlan,
  teardownInstance,
  type VersionActionAnswer,
} from '../use-cases/operator-actions.js';
import { bodyOr400, sendInvalid } from './lease-routes.js';
import { teardownResponse, versionNote } from './operator-answers.js';
import { sendJson } from './respond.js';
import type { Route, RouteContext } from './route.js';

const UNAVAILABLE = 'The store could not be reached. Try again in a minute.';

/** The operator deps, or null once a 501 was sent (a handler built without them, in a test). */
function operatorOr501(ctx: RouteContext): OperatorDeps | null {
  if (ctx.deps.operator) return ctx.deps.operator;
  sendJson(ctx.res, 501, { error: 'the operator API is not wired in this function', reason: 'not-wired' });
  return null;
}

/** Runs `act`; when the store fails, logs it and answers 503. */
async function storeOr503<T>(ctx: RouteContext, route: string, act: () => Promise<T>): Promise<T | null> {
  try {
    return await act();
  } catch (err) {
    ctx.deps.logger.error('the operator store failed', { route, ...describeError(err) });
    sendJson(ctx.res, 503, { error: UNAVAILABLE, reason: 'unavailable' });
    return null;
  }
}

/** Runs an action with the request's body: 501, 413/400 for the body, 503 for the store are answered here. */
async function withBody<T>(
  ctx: RouteContext,
  route: string,
  act: (deps: OperatorDeps, body: unknown) => Promise<T>,
): Promise<T | null> {
  const deps = operatorOr501(ctx);
  const body = deps === null ? null : bodyOr400(ctx);
  if (deps === null || body === null) return null;
  return storeOr503(ctx, route, () => act(deps, body.value));
}

async function plan(ctx: RouteContext): Promise<void> {
  const deps = operatorOr501(ctx);
  if (deps === null) return;
  const view = await storeOr503(ctx, 'plan', () => readPlan(deps));
  if (view) sendJson(ctx.res, 200, view);
}

function sendVersionAnswer(ctx: RouteContext, action: string, answer: VersionActionAnswer) {
  if (answer.kind === 'invalid') return sendInvalid(ctx, answer.errors);
  if (answer.kind === 'unknown-version') {
    const { version, versions } = answer;
    return sendJson(ctx.res, 404, {
      error: `unknown version '${version}'`,
      reason: 'unknown-version',
      versions,
    });
  }
  const { control } = answer;
  sendJson(ctx.res, 200, {
    version: answer.version,
    action,
    changed: answer.changed,
    paused: control.paused,
    pausedReason: control.pausedReason,
    pausedBy: control.pausedBy,
    pausedAt: control.pausedAt?.toISOString() ?? null,
    forceRedeploy: control.forceRedeploy,
    configPaused: answer.configPaused,
    event: answer.event && operatorEventToJson(answer.event),
    planned: answer.planned,
    note: versionNote(action, answer),
  });
}

async function versionAction(ctx: RouteContext): Promise<void> {
  const action = ctx.params.action as 'pause' | 'resume' | 'redeploy';
  const version = ctx.params.version as string;
  const answer = await withBody(ctx, `version-${action}`, (deps, body) =>
    changeVersion(deps, action, version, body, ctx.caller),
  );
  if (answer) sendVersionAnswer(ctx, action, answer);
}

function sendDrainAnswer(ctx: RouteContext, action: string, answer: DrainAnswer) {
  if (answer.kind === 'invalid') return sendInvalid(ctx, answer.errors);
  const { drain } = answer;
  sendJson(ctx.res, 200, {
    action,
    changed: answer.changed,
    drained: drain.drained,
    reason: drain.reason,
    by: drain.by,
    claimedBy: drain.claimedBy,
    at: drain.at?.toISOString() ?? null,
    events: answer.events.map(operatorEventToJson),
    planned: answer.planned,
  });
}

function drainRoute(action: 'drain' | 'undrain'): Route {
  return {
    name: action,
    methods: ['POST'],
    pattern: new RegExp(`^/api/${action}$`),
    isMutating: true,
    async handle(ctx) {
      const answer = await withBody(ctx, action, (deps, body) => changeDrain(deps, action, body, ctx.caller));
      if (answer) sendDrainAnswer(ctx, action, answer);
    },
  };
}

async function teardown(ctx: RouteContext): Promise<void> {
  const instance = ctx.params.instance as string;
  if (!isValidDnsLabel(instance)) {
    return sendJson(ctx.res, 404, { error: `no instance '${instance}'`, reason: 'unknown-instance' });
  }
  const answer = await withBody(ctx, 'teardown', (deps, body) =>
    teardownInstance(deps, instance, body, ctx.caller),
  );
  if (!answer) return;
  if (answer.kind === 'invalid') return sendInvalid(ctx, answer.errors);
  const [status, json] = teardownResponse(answer, ctx.now);
  sendJson(ctx.res, status, json);
}

export const OPERATOR_ROUTES: readonly Route[] = [
  { name: 'plan', methods: ['GET'], pattern: /^\/api\/plan$/, handle: plan },
  {
    name: 'version-action',
    methods: ['POST'],
    pattern: /^\/api\/versions\/(?<version>[^/]+)\/(?<action>pause|resume|redeploy)$/,
    isMutating: true,
    handle: versionAction,
  },
  {
    name: 'teardown',
    methods: ['POST'],
    pattern: /^\/api\/deployments\/(?<instance>[^/]+)\/teardown$/,
    isMutating: true,
    handle: teardown,
  },
  drainRoute('drain'),
  drainRoute('undrain'),
];

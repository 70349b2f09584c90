/**
 * The lease API (JSON in and out): acquire, heartbeat, release, list and show. Bodies are read strictly
 * (json-body.ts, core/lease-body.ts): an unknown field is a 400 that names it. Errors are
 * `{error, reason}` with the status code of the README's table; when the store fails: 503, logged.
 */
import type { FieldError } from '../core/lease-body.js';
import { leaseToJson } from '../core/lease-json.js';
import { refusalOf } from '../http/json-body.js';
import { describeError } from '../log.js';
import {
  type AcquireAnswer,
  acquireLease,
  heartbeatLeaseById,
  readLease,
  releaseLeaseById,
} from '../use-cases/lease-actions.js';
import { readJsonBody } from './json-body.js';
import { sendJson } from './respond.js';
import type { Route, RouteContext } from './route.js';

const UNAVAILABLE = 'The lease store could not be reached. Try again in a minute.';

/** What a lease id looks like (core/leases.ts); anything else is unknown without asking the store. */
const LEASE_ID = /^lease-[a-z0-9-]{1,120}$/;

/** Runs `act`; when the store fails, logs it and answers 503. */
async function storeOr503<T>(ctx: RouteContext, route: string, act: () => Promise<T>): Promise<T | null> {
  try {
    return await act();
  } catch (err) {
    ctx.deps.logger.error('the lease store failed', { route, ...describeError(err) });
    sendJson(ctx.res, 503, { error: UNAVAILABLE, reason: 'unavailable' });
    return null;
  }
}

/** 400 `invalid-body`: every problem, the first one's field named. */
export function sendInvalid(ctx: RouteContext, errors: FieldError[]): void {
  const [first] = errors;
  sendJson(ctx.res, 400, {
    error: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    reason: 'invalid-body',
    field: first?.field ?? '(body)',
    errors,
  });
}

/** The body as JSON, or null once a 413, 415 or 400 was sent. */
export function bodyOr400(ctx: RouteContext): { value: unknown } | null {
  const body = readJsonBody(ctx.req);
  if (body.kind === 'ok') return { value: body.value };
  if (body.kind === 'not-json') {
    sendInvalid(ctx, [{ field: '(body)', message: `is not JSON (${body.message})` }]);
  } else {
    const { status, error } = refusalOf(body);
    sendJson(ctx.res, status, { error, reason: status === 413 ? 'body-too-large' : 'unsupported-encoding' });
  }
  return null;
}

/** The lease id of the path, or null once a 404 was sent. */
function leaseIdOr404(ctx: RouteContext): string | null {
  const leaseId = ctx.params.leaseId as string;
  if (LEASE_ID.test(leaseId)) return leaseId;
  sendUnknownLease(ctx, leaseId);
  return null;
}

function sendUnknownLease(ctx: RouteContext, leaseId: string): void {
  sendJson(ctx.res, 404, { error: `no lease '${leaseId}'`, reason: 'unknown-lease' });
}

/** The status code and JSON of an acquire's answer. */
function acquireResponse(answer: Exclude<AcquireAnswer, { kind: 'invalid' }>): [number, unknown] {
  switch (answer.kind) {
    case 'created':
      return [201, leaseToJson(answer.lease)];
    case 'existing':
      return [200, leaseToJson(answer.lease)];
    case 'unknown-version':
      return [404, { error: `unknown version '${answer.version}'`, reason: 'unknown-version' }];
    case 'unknown-instance':
      return [404, { error: `no instance '${answer.instance}'`, reason: 'unknown-instance' }];
    case 'no-ready-instance': {
      const error = `version '${answer.version}' has no ready instance`;
      return [409, { error, reason: 'no-ready-instance' }];
    }
    case 'instance-not-ready': {
      const { instance, status, version } = answer;
      const error = `instance '${instance}' is a ${status} instance of ${version}, not a ready one of the version asked`;
      return [409, { error, reason: 'instance-not-ready', status, version }];
    }
    case 'request-id-conflict': {
      const error = `this requestId already leased '${answer.lease.instance}', not the instance asked`;
      return [409, { error, reason: 'request-id-conflict', lease: leaseToJson(answer.lease) }];
    }
  }
}

async function acquire(ctx: RouteContext): Promise<void> {
  const body = bodyOr400(ctx);
  if (!body) return;
  const answer = await storeOr503(ctx, 'acquire-lease', () =>
    acquireLease(ctx.deps.leases, body.value, ctx.caller),
  );
  if (!answer) return;
  if (answer.kind === 'invalid') return sendInvalid(ctx, answer.errors);
  const [status, json] = acquireResponse(answer);
  if (answer.kind === 'created') {
    const { leaseId, instance, owner, expiresAt } = answer.lease;
    ctx.deps.logger.info('lease acquired', {
      lease: leaseId,
      instance,
      owner,
      until: expiresAt.toISOString(),
    });
  }
  sendJson(ctx.res, status, json);
}

async function heartbeat(ctx: RouteContext): Promise<void> {
  const leaseId = leaseIdOr404(ctx);
  const body = leaseId === null ? null : bodyOr400(ctx);
  if (leaseId === null || !body) return;
  const answer = await storeOr503(ctx, 'heartbeat-lease', () =>
    heartbeatLeaseById(ctx.deps.leases, leaseId, body.value),
  );
  if (!answer) return;
  if (answer.kind === 'invalid') return sendInvalid(ctx, answer.errors);
  if (answer.kind === 'unknown') return sendUnknownLease(ctx, leaseId);
  if (answer.kind === 'gone') {
    const error = `lease '${leaseId}' is ${answer.reason}: acquire a new one`;
    return sendJson(ctx.res, 410, { error, reason: answer.reason, lease: leaseToJson(answer.lease) });
  }
  sendJson(ctx.res, 200, leaseToJson(answer.lease));
}

async function release(ctx: RouteContext): Promise<void> {
  const leaseId = leaseIdOr404(ctx);
  if (leaseId === null) return;
  const answer = await storeOr503(ctx, 'release-lease', () => releaseLeaseById(ctx.deps.leases, leaseId));
  if (!answer) return;
  if (answer.kind === 'unknown') return sendUnknownLease(ctx, leaseId);
  if (answer.kind === 'released') {
    const { instance, owner } = answer.lease;
    ctx.deps.logger.info('lease released', { lease: leaseId, instance, owner });
  }
  sendJson(ctx.res, 200, leaseToJson(answer.lease));
}

async function show(ctx: RouteContext): Promise<void> {
  const leaseId = leaseIdOr404(ctx);
  if (leaseId === null) return;
  const read = await storeOr503(ctx, 'lease', async () => ({
    lease: await readLease(ctx.deps.leases, leaseId),
  }));
  if (!read) return;
  if (read.lease === null) return sendUnknownLease(ctx, leaseId);
  sendJson(ctx.res, 200, leaseToJson(read.lease));
}

/** `?version=` and `?instance=` narrow the list. */
async function list(ctx: RouteContext): Promise<void> {
  const leases = await storeOr503(ctx, 'leases', () => ctx.deps.reader.listLeases());
  if (!leases) return;
  const { version, instance } = ctx.req.query;
  const shown = leases.filter(
    (lease) =>
      (typeof version !== 'string' || lease.version === version) &&
      (typeof instance !== 'string' || lease.instance === instance),
  );
  sendJson(ctx.res, 200, shown.map(leaseToJson));
}

const BY_ID = /^\/api\/leases\/(?<leaseId>[^/]+)$/;

export const LEASE_ROUTES: readonly Route[] = [
  { name: 'leases', methods: ['GET'], pattern: /^\/api\/leases$/, handle: list },
  { name: 'acquire-lease', methods: ['POST'], pattern: /^\/api\/leases$/, isMutating: true, handle: acquire },
  { name: 'lease', methods: ['GET'], pattern: BY_ID, handle: show },
  { name: 'release-lease', methods: ['DELETE'], pattern: BY_ID, isMutating: true, handle: release },
  {
    name: 'heartbeat-lease',
    methods: ['POST'],
    pattern: /^\/api\/leases\/(?<leaseId>[^/]+)\/heartbeat$/,
    isMutating: true,
    handle: heartbeat,
  },
];

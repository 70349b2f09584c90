/**
 * `deploymentStatus`: the status page and its JSON API.
 *
 * Routes, relative to the function's URL (a trailing slash is accepted), in functions/status/:
 * - `GET /`: the HTML page;
 * - `GET /api/deployments`: every deployment, newest first (array);
 * - `GET /api/versions`: every version with the planner's decision (array);
 * - `GET /api/versions/<name>/latest`: the newest ready deployment of a version (404 when none);
 * - `GET /versions/<name>`: the version's history page, 20 deployments a page (status/history-routes.ts);
 * - `/api/leases` (GET the live ones, POST acquires), `/api/leases/<id>` (GET, DELETE releases),
 *   `POST /api/leases/<id>/heartbeat`: the lease API (status/lease-routes.ts);
 * - `GET /api/plan` (the dry run of the next plan), `POST /api/versions/<name>/pause|resume|redeploy`,
 *   `POST /api/deployments/<instance>/teardown`, `POST /api/drain|undrain`: the operator API
 *   (status/operator-routes.ts).
 * HEAD is answered like GET; a method a route does not serve gets 405 with `Allow`; an unknown path
 * 404. Nothing is cached (`Cache-Control: no-store`). When the store cannot be read: 503, logged.
 * Callers: with `admit` (AUTH_MODE=required), a mutating route needs an allowed principal, and so
 * does every route when the status is private (core/callers.ts statusRouteRequirement): 401 without
 * a valid ID token, 403 for a caller not allowed.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Admit } from './caller-check.js';
import { type StatusAccess, statusRouteRequirement } from './core/callers.js';
import type { Clock, StatusReader } from './core/ports.js';
import { createLogger, type Logger } from './log.js';
import { HISTORY_ROUTES } from './status/history-routes.js';
import { LEASE_ROUTES } from './status/lease-routes.js';
import { OPERATOR_ROUTES } from './status/operator-routes.js';
import { READ_ROUTES } from './status/read-routes.js';
import { sendJson } from './status/respond.js';
import { allowedMethods, matchForMethod, matchPath, matchRoute, type Route } from './status/route.js';
import type { LeaseActionDeps } from './use-cases/lease-actions.js';
import type { OperatorDeps } from './use-cases/operator-actions.js';

export interface DeploymentStatusDeps {
  reader: StatusReader;
  clock: Clock;
  logger?: Logger;
  /** The GCP project and zone of the instances, shown on the page. */
  project: string;
  zone: string;
  /** How to run a tick now (TICK_COMMAND), shown when none ran lately; absent: the generic command. */
  tickCommand?: string;
  /** The lease API's store, versions and id source. */
  leases: LeaseActionDeps;
  /** The operator API's deps (absent: its routes answer 501). */
  operator?: OperatorDeps;
  /** The caller check and who passes it; both absent when AUTH_MODE=off (every caller is null). */
  auth?: { admit: Admit; access: StatusAccess };
  /** The route table: the function's own unless a test gives another. */
  routes?: readonly Route[];
}

const ROUTES: readonly Route[] = [...READ_ROUTES, ...LEASE_ROUTES, ...OPERATOR_ROUTES, ...HISTORY_ROUTES];

/** The paths listed in a 404's answer. */
const PATHS = [
  '/',
  '/api/deployments',
  '/api/versions',
  '/api/versions/<name>/latest',
  '/api/leases',
  '/api/health',
  '/api/leases/<leaseId>',
  '/api/leases/<leaseId>/heartbeat',
  '/api/plan',
  '/api/versions/<name>/pause',
  '/api/versions/<name>/resume',
  '/api/versions/<name>/redeploy',
  '/api/deployments/<instance>/teardown',
  '/api/drain',
  '/api/undrain',
  '/versions/<name>',
];

/** A request path, matched: the route's name and its parameters, or `unknown`. */
export type StatusRoute = { kind: string } & Record<string, string>;

/** Matches a path (still percent-encoded, as express gives `req.path`) to a route. */
export function matchStatusRoute(path: string): StatusRoute {
  const matched = matchRoute(ROUTES, path);
  return matched ? { kind: matched.route.name, ...matched.params } : { kind: 'unknown' };
}

/** Builds the HTTP handler; the reader, the clock and the logger are injected. */
export function createDeploymentStatusHandler(
  deps: DeploymentStatusDeps,
): (req: Request, res: Response) => Promise<void> {
  const routeDeps = { ...deps, logger: deps.logger ?? createLogger({ function: 'deploymentStatus' }) };
  const routes = deps.routes ?? ROUTES;
  return async (req, res) => {
    const matches = matchPath(routes, req.path);
    if (matches.length === 0) {
      return sendJson(res, 404, { error: `no such page: ${req.path}`, routes: PATHS });
    }
    const matched = matchForMethod(matches, req.method);
    if (!matched) {
      const allowed = allowedMethods(matches.map((match) => match.route));
      res.set('Allow', allowed.join(', '));
      const readOnly = allowed.every((method) => method === 'GET' || method === 'HEAD');
      return sendJson(res, 405, {
        error: `${req.method} is not allowed${readOnly ? ': the status is read-only (GET)' : ''}`,
      });
    }
    let caller: string | null = null;
    if (deps.auth) {
      const requirement = statusRouteRequirement(deps.auth.access, matched.route, req.method);
      const admitted = await deps.auth.admit(req, res, requirement);
      if (!admitted) return;
      caller = admitted.caller?.email ?? null;
    }
    const ctx = { req, res, params: matched.params, now: deps.clock(), deps: routeDeps, caller };
    await matched.route.handle(ctx);
  };
}

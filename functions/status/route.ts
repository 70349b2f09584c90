/**
 * The status function's routes: each a method list, a path pattern and a handler, tried in order
 * (read-routes.ts, lease-routes.ts, operator-routes.ts). Several routes may share a path with different methods; a path that
 * matches no route is 404; one whose routes do not allow the method is 405 with `Allow`. The caller is
 * checked per request (deployment-status.ts): a mutating route, or any method but GET/HEAD/OPTIONS,
 * needs an allowed principal when AUTH_MODE=required, and so does every route when STATUS_PRIVATE=true.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Clock, StatusReader } from '../core/ports.js';
import type { Logger } from '../log.js';
import type { LeaseActionDeps } from '../use-cases/lease-actions.js';
import type { OperatorDeps } from '../use-cases/operator-actions.js';

export interface StatusDeps {
  reader: StatusReader;
  clock: Clock;
  logger: Logger;
  /** The GCP project and zone of the instances, shown on the page. */
  project: string;
  zone: string;
  /** How to run a tick now (TICK_COMMAND), shown when none ran lately; absent: the generic command. */
  tickCommand?: string;
  /** The lease API's store, versions and id source. */
  leases: LeaseActionDeps;
  /** The operator API's store, snapshot reader and planner hook (status/operator-routes.ts); absent: 501. */
  operator?: OperatorDeps;
}

/** What a handler gets: the request, the response, its path parameters (decoded), `now` and the deps. */
export interface RouteContext {
  req: Request;
  res: Response;
  params: Record<string, string>;
  now: Date;
  deps: StatusDeps;
  /**
   * The verified caller's email, recorded on what the route changes (a lease's `createdBy`): set whenever
   * the route required an allowed principal; null when it required none, or when AUTH_MODE=off (local).
   */
  caller: string | null;
}

export interface Route {
  /** Names the route in logs and in `matchRoute`'s answer. */
  name: string;
  /** Methods it serves; HEAD is answered like GET wherever GET is. */
  methods: readonly string[];
  /** Matched against the path without trailing slashes; named groups are its parameters. */
  pattern: RegExp;
  /**
   * True for a route that changes something (a lease): it needs an allowed principal. Methods other
   * than GET, HEAD and OPTIONS need one anyway; mark the route so its intent is explicit.
   */
  isMutating?: boolean;
  handle(ctx: RouteContext): Promise<void>;
}

/** A route whose pattern matched, with its decoded parameters. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/** Every route whose pattern matches `path`, in table order; none for a malformed escape. */
export function matchPath(routes: readonly Route[], path: string): RouteMatch[] {
  const trimmed = path.replace(/\/+$/, '');
  const matches: RouteMatch[] = [];
  for (const route of routes) {
    const match = route.pattern.exec(trimmed);
    if (!match) continue;
    try {
      const params = Object.fromEntries(
        Object.entries(match.groups ?? {}).map(([key, value]) => [key, decodeURIComponent(value)]),
      );
      matches.push({ route, params });
    } catch {
      return [];
    }
  }
  return matches;
}

/** The first route a path matches, with its decoded parameters; null for none (or a malformed escape). */
export function matchRoute(routes: readonly Route[], path: string): RouteMatch | null {
  return matchPath(routes, path)[0] ?? null;
}

/** The match that serves `method` (HEAD as GET), or null. */
export function matchForMethod(matches: readonly RouteMatch[], method: string): RouteMatch | null {
  const served = method === 'HEAD' ? 'GET' : method;
  return matches.find((match) => match.route.methods.includes(served)) ?? null;
}

/** The methods the routes answer together, as an `Allow` header says them. */
export function allowedMethods(routes: readonly Route[]): string[] {
  const methods = [...new Set(routes.flatMap((route) => route.methods))];
  return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
}

/**
 * The status function's routes: each a method list, a path pattern and a handler, tried in order
 * (read-routes.ts; more files add more). A path that matches no route is 404; a route that does not
 * allow the method is 405 with `Allow`. The caller is checked per request (deployment-status.ts):
 * a mutating route, or any method but GET/HEAD/OPTIONS, needs an allowed principal when
 * AUTH_MODE=required, and so does every route when STATUS_PRIVATE=true.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Caller } from '../core/callers.js';
import type { Clock, StatusReader } from '../core/ports.js';
import type { Logger } from '../log.js';

export interface StatusDeps {
  reader: StatusReader;
  clock: Clock;
  logger: Logger;
  /** The GCP project and zone of the instances, shown on the page. */
  project: string;
  zone: string;
}

/** What a handler gets: the request, the response, its path parameters (decoded), `now` and the deps. */
export interface RouteContext {
  req: Request;
  res: Response;
  params: Record<string, string>;
  now: Date;
  deps: StatusDeps;
  /**
   * The verified caller, to record on what the route changes (a lease's owner): set whenever the
   * route required an allowed principal; null when it required none, or when AUTH_MODE=off (local).
   */
  caller: Caller | null;
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

/** The route a path matches, with its decoded parameters; null for none (or a malformed escape). */
export function matchRoute(
  routes: readonly Route[],
  path: string,
): { route: Route; params: Record<string, string> } | null {
  const trimmed = path.replace(/\/+$/, '');
  for (const route of routes) {
    const match = route.pattern.exec(trimmed);
    if (!match) continue;
    try {
      const params = Object.fromEntries(
        Object.entries(match.groups ?? {}).map(([key, value]) => [key, decodeURIComponent(value)]),
      );
      return { route, params };
    } catch {
      return null;
    }
  }
  return null;
}

/** The methods a route answers, as an `Allow` header says them. */
export function allowedMethods(route: Route): string[] {
  return route.methods.includes('GET') ? [...route.methods, 'HEAD'] : [...route.methods];
}

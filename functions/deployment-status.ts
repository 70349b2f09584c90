/**
 * `deploymentStatus`: the status page and its JSON API, read-only.
 *
 * Routes, relative to the function's URL (a trailing slash is accepted):
 * - `GET /`: the HTML page;
 * - `GET /api/deployments`: every deployment, newest first (array);
 * - `GET /api/versions`: every version with the planner's decision (array);
 * - `GET /api/versions/<name>/latest`: the newest ready deployment of a version (404 when none).
 * HEAD is answered like GET; other methods get 405. Nothing is cached (`Cache-Control: no-store`).
 * When the store cannot be read: 503, logged.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Clock, StatusReader, VersionView } from './core/ports.js';
import {
  deploymentsNewestFirst,
  deploymentToJson,
  latestReadyDeployment,
  versionToJson,
} from './core/status-json.js';
import { renderErrorPage, renderStatusPage } from './core/status-page.js';
import type { Deployment } from './core/types.js';
import { createLogger, describeError, type Logger } from './log.js';

export interface DeploymentStatusDeps {
  reader: StatusReader;
  clock: Clock;
  logger?: Logger;
  /** The GCP project and zone of the instances, shown on the page. */
  project: string;
  zone: string;
}

/** A request path, matched. */
export type StatusRoute =
  | { kind: 'page' }
  | { kind: 'deployments' }
  | { kind: 'versions' }
  | { kind: 'latest'; version: string }
  | { kind: 'unknown' };

const ALLOWED_METHODS = 'GET, HEAD';

/** Blocks everything the page does not need: it is self-contained, inline CSS only, no script. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const UNAVAILABLE = 'The deployment status could not be read from the store. Try again in a minute.';

/** Matches a path (still percent-encoded, as express gives `req.path`) to a route. */
export function matchStatusRoute(path: string): StatusRoute {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return { kind: 'page' };
  if (trimmed === '/api/deployments') return { kind: 'deployments' };
  if (trimmed === '/api/versions') return { kind: 'versions' };
  const latest = /^\/api\/versions\/([^/]+)\/latest$/.exec(trimmed);
  if (latest?.[1]) {
    try {
      return { kind: 'latest', version: decodeURIComponent(latest[1]) };
    } catch {
      return { kind: 'unknown' };
    }
  }
  return { kind: 'unknown' };
}

function sendJson(res: Response, status: number, body: unknown): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .set('X-Content-Type-Options', 'nosniff')
    .type('application/json; charset=utf-8')
    .send(`${JSON.stringify(body, null, 2)}\n`);
}

function sendHtml(res: Response, status: number, body: string): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .set('X-Content-Type-Options', 'nosniff')
    .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .type('text/html; charset=utf-8')
    .send(body);
}

/** Builds the HTTP handler; the reader, the clock and the logger are injected. */
export function createDeploymentStatusHandler(
  deps: DeploymentStatusDeps,
): (req: Request, res: Response) => Promise<void> {
  const logger = deps.logger ?? createLogger({ function: 'deploymentStatus' });
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.set('Allow', ALLOWED_METHODS);
      return sendJson(res, 405, { error: `${req.method} is not allowed: the status is read-only (GET)` });
    }
    const route = matchStatusRoute(req.path);
    if (route.kind === 'unknown') {
      return sendJson(res, 404, {
        error: `no such page: ${req.path}`,
        routes: ['/', '/api/deployments', '/api/versions', '/api/versions/<name>/latest'],
      });
    }
    const now = deps.clock();
    const unavailable = (err: unknown) => {
      logger.error('reading the deployment status failed', { route: route.kind, ...describeError(err) });
      if (route.kind === 'page') return sendHtml(res, 503, renderErrorPage(UNAVAILABLE, now));
      return sendJson(res, 503, { error: UNAVAILABLE });
    };

    // Read only what the route needs; both reads at once.
    let versions: VersionView[];
    let deployments: Deployment[];
    try {
      [versions, deployments] = await Promise.all([
        route.kind === 'deployments' ? [] : deps.reader.listVersions(),
        route.kind === 'versions' ? [] : deps.reader.listDeployments(),
      ]);
    } catch (err) {
      return unavailable(err);
    }

    switch (route.kind) {
      case 'page':
        return sendHtml(
          res,
          200,
          renderStatusPage({ versions, deployments, now, project: deps.project, zone: deps.zone }),
        );
      case 'deployments':
        return sendJson(res, 200, deploymentsNewestFirst(deployments).map(deploymentToJson));
      case 'versions':
        return sendJson(
          res,
          200,
          versions.map((view) => versionToJson(view, now)),
        );
      case 'latest': {
        if (!versions.some((v) => v.name === route.version)) {
          return sendJson(res, 404, {
            error: `unknown version '${route.version}'`,
            versions: versions.map((v) => v.name),
          });
        }
        const latest = latestReadyDeployment(deployments, route.version);
        if (latest === null) {
          return sendJson(res, 404, { error: `version '${route.version}' has no ready deployment yet` });
        }
        return sendJson(res, 200, deploymentToJson(latest));
      }
    }
  };
}

/**
 * The read-only routes: the page and the JSON API. Each reads only what it needs from the store and
 * answers 503 (logged) when the store cannot be read.
 */

import { healthToJson, viewTickHealth } from '../core/health-view.js';
import { parseRefresh } from '../core/page-shell.js';
import {
  deploymentsNewestFirst,
  deploymentToJson,
  latestReadyDeployment,
  versionToJson,
} from '../core/status-json.js';
import { renderErrorPage, renderStatusPage } from '../core/status-page.js';
import { addHours } from '../core/time.js';
import { TIMELINE_HOURS } from '../core/timeline.js';
import { describeError } from '../log.js';
import { sendHtml, sendJson } from './respond.js';
import type { Route, RouteContext } from './route.js';

const UNAVAILABLE = 'The deployment status could not be read from the store. Try again in a minute.';

/** The routes that answer HTML: their 503 is a page too. */
const HTML_ROUTES: ReadonlySet<string> = new Set(['page', 'history']);

/** Runs `read`; when the store fails, logs it and answers 503 (HTML for the pages, else JSON). */
export async function readOr503<T>(
  ctx: RouteContext,
  route: string,
  read: () => Promise<T>,
): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    ctx.deps.logger.error('reading the deployment status failed', { route, ...describeError(err) });
    if (HTML_ROUTES.has(route)) sendHtml(ctx.res, 503, renderErrorPage(UNAVAILABLE, ctx.now));
    else sendJson(ctx.res, 503, { error: UNAVAILABLE });
    return null;
  }
}

const allReads = (ctx: RouteContext) =>
  Promise.all([
    ctx.deps.reader.listVersions(),
    ctx.deps.reader.listDeployments(),
    ctx.deps.reader.listLeases(),
  ]);

/** The page's reads: everything, what the timelines of the last `TIMELINE_HOURS` need, the tick's health. */
const pageReads = (ctx: RouteContext) =>
  Promise.all([
    allReads(ctx),
    ctx.deps.reader.readTimeline(addHours(ctx.now, -TIMELINE_HOURS)),
    ctx.deps.reader.readTickHealth(),
  ]);

const deploymentsAndLeases = (ctx: RouteContext) =>
  Promise.all([ctx.deps.reader.listDeployments(), ctx.deps.reader.listLeases()]);

export const READ_ROUTES: readonly Route[] = [
  {
    name: 'page',
    methods: ['GET'],
    pattern: /^$/,
    async handle(ctx) {
      const read = await readOr503(ctx, 'page', () => pageReads(ctx));
      if (!read) return;
      const [[versions, deployments, leases], timeline, health] = read;
      const { project, zone } = ctx.deps;
      const refreshSeconds = parseRefresh(ctx.req.query.refresh);
      sendHtml(
        ctx.res,
        200,
        renderStatusPage({
          versions,
          deployments,
          leases,
          timeline,
          refreshSeconds,
          health: viewTickHealth(health, ctx.now, ctx.deps.tickCommand),
          now: ctx.now,
          project,
          zone,
        }),
      );
    },
  },
  {
    name: 'deployments',
    methods: ['GET'],
    pattern: /^\/api\/deployments$/,
    async handle(ctx) {
      const read = await readOr503(ctx, 'deployments', () => deploymentsAndLeases(ctx));
      if (!read) return;
      const [deployments, leases] = read;
      sendJson(
        ctx.res,
        200,
        deploymentsNewestFirst(deployments).map((d) => deploymentToJson(d, leases)),
      );
    },
  },
  {
    name: 'versions',
    methods: ['GET'],
    pattern: /^\/api\/versions$/,
    async handle(ctx) {
      const versions = await readOr503(ctx, 'versions', () => ctx.deps.reader.listVersions());
      if (versions)
        sendJson(
          ctx.res,
          200,
          versions.map((view) => versionToJson(view, ctx.now)),
        );
    },
  },
  {
    name: 'health',
    methods: ['GET'],
    pattern: /^\/api\/health$/,
    async handle(ctx) {
      // Wrapped: a null record (no tick yet) is an answer, a null from readOr503 is a 503 already sent.
      const read = await readOr503(ctx, 'health', async () => ({
        last: await ctx.deps.reader.readTickHealth(),
      }));
      if (read)
        sendJson(ctx.res, 200, healthToJson(viewTickHealth(read.last, ctx.now, ctx.deps.tickCommand)));
    },
  },
  {
    name: 'latest',
    methods: ['GET'],
    pattern: /^\/api\/versions\/(?<version>[^/]+)\/latest$/,
    async handle(ctx) {
      const read = await readOr503(ctx, 'latest', () => allReads(ctx));
      if (!read) return;
      const [versions, deployments, leases] = read;
      const version = ctx.params.version as string;
      if (!versions.some((v) => v.name === version)) {
        return sendJson(ctx.res, 404, {
          error: `unknown version '${version}'`,
          versions: versions.map((v) => v.name),
        });
      }
      const latest = latestReadyDeployment(deployments, version);
      if (latest === null) {
        return sendJson(ctx.res, 404, { error: `version '${version}' has no ready deployment yet` });
      }
      sendJson(ctx.res, 200, deploymentToJson(latest, leases));
    },
  },
];

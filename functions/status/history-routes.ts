/**
 * The history page of a version, `GET /versions/<name>` (`?after=<instance>` for older deployments,
 * `?refresh=` as on the status page): one page of its deployments, newest first, with what explains
 * them (core/history-page.ts). 404 for an unknown version or cursor; 503 when the store cannot be read.
 */
import { HISTORY_PAGE_SIZE, parseHistoryCursor } from '../core/history.js';
import { HISTORY_EVENTS_SHOWN, renderHistoryPage, renderNotFoundPage } from '../core/history-page.js';
import { parseRefresh } from '../core/page-shell.js';
import { readOr503 } from './read-routes.js';
import { sendHtml } from './respond.js';
import type { Route, RouteContext } from './route.js';

async function readHistory(ctx: RouteContext, version: string, after: string | null) {
  // The operator actions go on the first page (absent when this function has no operator API).
  const eventStore = after === null ? ctx.deps.operator?.store : undefined;
  const [versions, history, events] = await Promise.all([
    ctx.deps.reader.listVersions(),
    ctx.deps.reader.readVersionHistory({ version, after, limit: HISTORY_PAGE_SIZE }),
    eventStore?.listVersionEvents(version, { limit: HISTORY_EVENTS_SHOWN }),
  ]);
  return { view: versions.find((v) => v.name === version) ?? null, known: versions, history, events };
}

export const HISTORY_ROUTES: readonly Route[] = [
  {
    name: 'history',
    methods: ['GET'],
    pattern: /^\/versions\/(?<version>[^/]+)$/,
    async handle(ctx) {
      const version = ctx.params.version as string;
      const rawAfter = ctx.req.query.after;
      const after = parseHistoryCursor(rawAfter);
      if (rawAfter !== undefined && after === null) {
        return sendHtml(ctx.res, 404, renderNotFoundPage('No such page of the history.', ctx.now));
      }
      const read = await readOr503(ctx, 'history', () => readHistory(ctx, version, after));
      if (!read) return;
      if (read.view === null) {
        const names = read.known.map((v) => v.name).join(', ') || 'none';
        const message = `No version '${version}' is configured (versions: ${names}).`;
        return sendHtml(ctx.res, 404, renderNotFoundPage(message, ctx.now));
      }
      if (read.history === null) {
        const message = `No deployment '${after}' of ${version}: the page it starts after does not exist.`;
        return sendHtml(ctx.res, 404, renderNotFoundPage(message, ctx.now));
      }
      const refreshSeconds = parseRefresh(ctx.req.query.refresh);
      sendHtml(
        ctx.res,
        200,
        renderHistoryPage({
          view: read.view,
          history: read.history,
          after,
          refreshSeconds,
          now: ctx.now,
          ...(read.events ? { events: read.events } : {}),
        }),
      );
    },
  },
];

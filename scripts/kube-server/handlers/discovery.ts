/**
 * Discovery: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`
 * (see discovery.ts). kubectl reads these before each command.
 */
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, versionInfo } from '../discovery.js';
import type { Route } from '../route.js';
import { unknownResource } from '../status-error.js';

/** Answers `body`, or 404 like the API server when it is null. */
function found(body: Record<string, unknown> | null) {
  if (body === null) throw unknownResource();
  return { code: 200, body };
}

export const versionRoute: Route = {
  path: /^\/version\/?$/,
  GET: () => ({ code: 200, body: versionInfo() }),
};

export const coreApiRoute: Route = {
  path: /^\/api\/?$/,
  GET: (request) => ({ code: 200, body: coreApiVersions(request.headers.host ?? '') }),
};

export const coreResourcesRoute: Route = {
  path: /^\/api\/([^/]+)\/?$/,
  GET: (request) => found(apiResourceList('', request.params[0] as string)),
};

export const groupListRoute: Route = {
  path: /^\/apis\/?$/,
  GET: () => ({ code: 200, body: apiGroupList() }),
};

export const groupRoute: Route = {
  path: /^\/apis\/([^/]+)\/?$/,
  GET: (request) => found(apiGroup(request.params[0] as string)),
};

export const groupResourcesRoute: Route = {
  path: /^\/apis\/([^/]+)\/([^/]+)\/?$/,
  GET: (request) => found(apiResourceList(request.params[0] as string, request.params[1] as string)),
};

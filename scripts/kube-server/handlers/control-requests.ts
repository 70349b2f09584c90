/** `GET /_control/requests`: the API requests served so far, `{requests: [...]}`. */
import type { Route } from '../route.js';

export const controlRequestsRoute: Route = {
  path: /^\/_control\/requests\/?$/,
  GET: (_request, context) => ({ code: 200, body: { requests: context.requests.list() } }),
};

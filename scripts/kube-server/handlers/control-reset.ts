/** `POST /_control/reset`: delete every Job and fault and forget the request log. */
import type { Route } from '../route.js';

export const controlResetRoute: Route = {
  path: /^\/_control\/reset\/?$/,
  POST: (_request, context) => {
    context.reset();
    return { code: 200, body: {} };
  },
};

/** `/api/v1/namespaces/NS/events` and `/api/v1/events`: the events of the Jobs (GET; see resources/job-events.ts). */
import { listReply } from '../resource-reply.js';
import { EVENT_TYPE } from '../resources/event-type.js';
import { eventsOfJobs } from '../resources/job-events.js';
import type { Route } from '../route.js';

export const eventsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?events\/?$/,
  GET: (request, context) =>
    listReply(
      EVENT_TYPE,
      eventsOfJobs(context.store.list(request.params[0] || undefined)),
      request,
      context.store.resourceVersion,
      context.now(),
    ),
};

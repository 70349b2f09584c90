/** `/api/v1/namespaces/NS/events` and `/api/v1/events`: the events of the Jobs (GET; see resources/job-events.ts; not watched). */
import { listReply } from '../resource-reply.js';
import { EVENT_TYPE } from '../resources/event-type.js';
import { eventsOfJobs } from '../resources/job-events.js';
import type { Route } from '../route.js';
import { StatusError } from '../status-error.js';
import { isWatch } from '../watch.js';

export const eventsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?events\/?$/,
  GET: (request, context) => {
    if (isWatch(request)) {
      throw new StatusError(
        405,
        'MethodNotAllowed',
        'events cannot be watched on the local Kubernetes API server',
      );
    }
    return listReply(
      EVENT_TYPE,
      eventsOfJobs(context.store.list(request.params[0] || undefined)),
      request,
      context.store.resourceVersion,
      context.now(),
    );
  },
};

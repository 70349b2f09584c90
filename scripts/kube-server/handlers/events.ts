/**
 * `/api/v1/namespaces/NS/events` and `/api/v1/events`: the events of the Jobs (GET, and watched:
 * `kubectl get events -w`; see resources/job-events.ts).
 */
import { listReply } from '../resource-reply.js';
import { EVENT_TYPE } from '../resources/event-type.js';
import { eventsOfChange, eventsOfJob, eventsOfJobs } from '../resources/job-events.js';
import type { Route } from '../route.js';
import { isWatch, watchReply } from '../watch.js';

export const eventsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?events\/?$/,
  GET: (request, context) =>
    isWatch(request)
      ? watchReply(EVENT_TYPE, request, context, request.params[0] || undefined, {
          current: eventsOfJob,
          changed: (change) => eventsOfChange(change).map((object) => ({ type: 'ADDED', object })),
        })
      : listReply(
          EVENT_TYPE,
          eventsOfJobs(context.store.list(request.params[0] || undefined)),
          request,
          context.store.resourceVersion,
          context.now(),
        ),
};

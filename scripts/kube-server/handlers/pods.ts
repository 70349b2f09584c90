/**
 * `/api/v1/namespaces/NS/pods` and `/api/v1/pods`: list the pods of the Jobs (GET), and
 * `/api/v1/namespaces/NS/pods/NAME`: one of them (see resources/job-pods.ts).
 */
import { listReply, objectReply } from '../resource-reply.js';
import { podsOfJobs } from '../resources/job-pods.js';
import { POD_TYPE } from '../resources/pod-type.js';
import type { Route } from '../route.js';
import { objectNotFound } from '../status-error.js';

export const podsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods\/?$/,
  GET: (request, context) =>
    listReply(
      POD_TYPE,
      podsOfJobs(context.store.list(request.params[0] || undefined)),
      request,
      context.store.resourceVersion,
      context.now(),
    ),
};

export const podRoute: Route = {
  path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/?$/,
  GET: (request, context) => {
    const [namespace, name] = request.params as [string, string];
    const pod = podsOfJobs(context.store.list(namespace)).find(
      (candidate) => candidate.metadata.name === name,
    );
    if (!pod) throw objectNotFound('pods', '', name);
    return objectReply(POD_TYPE, pod, request, context.now());
  },
};

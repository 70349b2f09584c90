/**
 * `/api/v1/namespaces/NS/pods` and `/api/v1/pods`: list the pods of the Jobs (GET), and
 * `/api/v1/namespaces/NS/pods/NAME`: one of them (see resources/job-pods.ts), and `.../NAME/log`: its log.
 */
import { listReply, objectReply } from '../resource-reply.js';
import { podOfJob, podsOfJobs } from '../resources/job-pods.js';
import { containerNamesOf, podLog } from '../resources/pod-log.js';
import { POD_TYPE } from '../resources/pod-type.js';
import type { Route } from '../route.js';
import { badRequest, objectNotFound } from '../status-error.js';
import { isWatch, watchReply } from '../watch.js';

export const podsRoute: Route = {
  path: /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods\/?$/,
  GET: (request, context) =>
    isWatch(request)
      ? watchReply(POD_TYPE, request, context, request.params[0] || undefined, podOfJob)
      : listReply(
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

/**
 * `/api/v1/namespaces/NS/pods/NAME/log?container=C`: the made-up pod's log as plain text
 * (resources/pod-log.ts); without `container`, the pod's only container (400 when it has several, as
 * the API server answers). `follow` is accepted: the log is complete when sent.
 */
export const podLogRoute: Route = {
  path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log\/?$/,
  GET: (request, context) => {
    const [namespace, name] = request.params as [string, string];
    const job = context.store
      .list(namespace)
      .find((candidate) => podOfJob(candidate)?.metadata.name === name);
    const pod = job ? podOfJob(job) : null;
    if (!job || !pod) throw objectNotFound('pods', '', name);
    const names = containerNamesOf(job);
    const asked = request.url.searchParams.get('container');
    const container = asked ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined) {
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    return { code: 200, body: null, text: podLog(job, pod, container) };
  },
};

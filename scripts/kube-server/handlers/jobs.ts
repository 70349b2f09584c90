/** `/apis/batch/v1/namespaces/NS/jobs`: list or watch (GET) and create (POST) the Jobs of a namespace. */
import { listReply } from '../resource-reply.js';
import { JOB_TYPE } from '../resources/job-type.js';
import type { Route } from '../route.js';
import { isWatch, perJob, watchReply } from '../watch.js';

export const jobsRoute: Route = {
  path: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/?$/,
  GET: (request, context) =>
    isWatch(request)
      ? watchReply(
          JOB_TYPE,
          request,
          context,
          request.params[0],
          perJob((job) => job),
        )
      : listReply(
          JOB_TYPE,
          context.store.list(request.params[0]),
          request,
          context.store.resourceVersion,
          context.now(),
        ),
  POST: async (request, context) => {
    const namespace = request.params[0] as string;
    // The Job as created, before a runner starts it: a real API server answers before its controller acts.
    const created = structuredClone(context.store.create(namespace, await request.json()));
    context.log({ severity: 'INFO', message: 'job created', namespace, job: created.metadata.name });
    context.runner.run(created);
    return { code: 201, body: created };
  },
};

/** `/apis/batch/v1/jobs`: the Jobs of every namespace (GET: list or watch). */
import { listReply } from '../resource-reply.js';
import { JOB_TYPE } from '../resources/job-type.js';
import type { Route } from '../route.js';
import { isWatch, perJob, watchReply } from '../watch.js';

export const allJobsRoute: Route = {
  path: /^\/apis\/batch\/v1\/jobs\/?$/,
  GET: (request, context) =>
    isWatch(request)
      ? watchReply(
          JOB_TYPE,
          request,
          context,
          undefined,
          perJob((job) => job),
        )
      : listReply(JOB_TYPE, context.store.list(), request, context.store.resourceVersion, context.now()),
};

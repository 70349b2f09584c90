/** `/apis/batch/v1/jobs`: the Jobs of every namespace (GET). */
import { listReply } from '../resource-reply.js';
import { JOB_TYPE } from '../resources/job-type.js';
import type { Route } from '../route.js';

export const allJobsRoute: Route = {
  path: /^\/apis\/batch\/v1\/jobs\/?$/,
  GET: (request, context) =>
    listReply(JOB_TYPE, context.store.list(), request, context.store.resourceVersion, context.now()),
};

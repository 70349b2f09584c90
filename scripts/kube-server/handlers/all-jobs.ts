/** `/apis/batch/v1/jobs`: the Jobs of every namespace (GET). */
import type { Route } from '../route.js';
import { listJobs } from './list-jobs.js';

export const allJobsRoute: Route = {
  path: /^\/apis\/batch\/v1\/jobs\/?$/,
  GET: (request, context) => listJobs(undefined, request, context),
};

/**
 * `POST /_control/namespaces/NS/jobs/NAME/complete|fail|start`: drive a Job's status as if it ran.
 * `fail` takes an optional body `{message?, reason?}`. Answers the Job.
 */
import type { Route } from '../route.js';
import { isObject } from '../types.js';

export const controlJobRoute: Route = {
  path: /^\/_control\/namespaces\/([^/]+)\/jobs\/([^/]+)\/(complete|fail|start)\/?$/,
  POST: async (request, context) => {
    const [namespace, name, action] = request.params as [string, string, string];
    const body = await request.json();
    const options = isObject(body) ? body : {};
    if (action === 'complete') return { code: 200, body: context.jobs.complete(namespace, name) };
    if (action === 'start') return { code: 200, body: context.jobs.start(namespace, name) };
    const message = typeof options.message === 'string' ? options.message : undefined;
    const reason = typeof options.reason === 'string' ? options.reason : undefined;
    return { code: 200, body: context.jobs.fail(namespace, name, message, reason) };
  },
};

/**
 * `/apis/batch/v1/namespaces/NS/jobs/NAME`: read (GET, JSON or a Table) and delete (DELETE) one Job.
 * Its pod and events go with it (they are derived from it).
 */
import { objectReply } from '../resource-reply.js';
import { JOB_TYPE } from '../resources/job-type.js';
import type { Route } from '../route.js';
import { badRequest } from '../status-error.js';
import { isObject, type KubeStatus } from '../types.js';

const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'];

export const jobRoute: Route = {
  path: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)\/?$/,
  GET: (request, context) =>
    objectReply(
      JOB_TYPE,
      context.store.require(request.params[0] as string, request.params[1] as string),
      request,
      context.now(),
    ),
  DELETE: async (request, context) => {
    const [namespace, name] = request.params as [string, string];
    // kubectl sends DeleteOptions in the body; @kubernetes/client-node sends the query parameter.
    const options = await request.json();
    const policy =
      request.url.searchParams.get('propagationPolicy') ??
      (isObject(options) && typeof options.propagationPolicy === 'string' ? options.propagationPolicy : null);
    if (policy !== null && !PROPAGATION_POLICIES.includes(policy))
      throw badRequest(
        `invalid propagationPolicy ${JSON.stringify(policy)}: supported values: "Orphan", "Background", "Foreground"`,
      );
    const deleted = context.store.delete(namespace, name);
    context.log({ severity: 'INFO', message: 'job deleted', namespace, job: name });
    const status: KubeStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: 'batch', kind: 'jobs', uid: deleted.metadata.uid },
      code: 200,
    };
    return { code: 200, body: status };
  },
};

/** `/apis/batch/v1/namespaces/NS/jobs/NAME`: read (GET) and delete (DELETE) one Job. */
import type { Route } from '../route.js';
import { badRequest } from '../status-error.js';
import type { KubeStatus } from '../types.js';

const PROPAGATION_POLICIES = ['Orphan', 'Background', 'Foreground'];

export const jobRoute: Route = {
  path: /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)\/?$/,
  GET: (request, context) => ({
    code: 200,
    body: context.store.require(request.params[0] as string, request.params[1] as string),
  }),
  DELETE: async (request, context) => {
    const [namespace, name] = request.params as [string, string];
    await request.json();
    const policy = request.url.searchParams.get('propagationPolicy');
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

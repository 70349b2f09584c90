/**
 * `/_control/faults`: queue faults (POST a FaultSpec or a list of them), list what is queued (GET),
 * clear them (DELETE). Each answers `{faults: [...]}`.
 */
import { KubeServerError } from '../kube-server-error.js';
import type { Route } from '../route.js';
import { badRequest } from '../status-error.js';

export const controlFaultsRoute: Route = {
  path: /^\/_control\/faults\/?$/,
  GET: (_request, context) => ({ code: 200, body: { faults: context.faults.pending() } }),
  POST: async (request, context) => {
    const body = await request.json();
    try {
      for (const fault of Array.isArray(body) ? body : [body]) context.faults.add(fault);
    } catch (error) {
      if (error instanceof KubeServerError) throw badRequest(error.message);
      throw error;
    }
    return { code: 200, body: { faults: context.faults.pending() } };
  },
  DELETE: (_request, context) => {
    context.faults.clear();
    return { code: 200, body: { faults: [] } };
  },
};

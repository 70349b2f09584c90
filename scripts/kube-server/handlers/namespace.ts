/**
 * `/api/v1/namespaces/NAME`: every namespace exists here (a deliberate gap: they are not stored, listed
 * or discoverable), and says so when asked. kubectl asks after a NotFound, to tell a missing object
 * from a missing namespace; without this answer it reported "the server could not find the requested
 * resource in namespace ..." for a pod or Job that is simply not there.
 */
import type { Route } from '../route.js';

export const namespaceRoute: Route = {
  path: /^\/api\/v1\/namespaces\/([^/]+)\/?$/,
  GET: (request) => {
    const [name] = request.params as [string];
    return {
      code: 200,
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
        spec: {},
        status: { phase: 'Active' },
      },
    };
  },
};

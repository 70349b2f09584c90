/**
 * Watches of Jobs and of their pods (`?watch=true`, as `kubectl get jobs -w` asks): one event per
 * line, `{"type": "ADDED" | "MODIFIED" | "DELETED", "object": ...}`, the object as JSON or as a
 * one-row Table when the Accept header asks for one (kubectl does). From `resourceVersion`: the changes
 * after it (job-changes.ts keeps the recent ones); without one (or "0"), every matching object first,
 * as ADDED, then the changes. Ends after `timeoutSeconds` (default 30 minutes) or when the client
 * leaves.
 */
import type { JobChange } from './job-changes.js';
import { selectorOf, tableOf, tableVersionAccepted } from './resource-reply.js';
import type { KubeObject, ResourceType } from './resource-type.js';
import type { KubeRequest, Reply, ServerContext } from './route.js';
import { badRequest } from './status-error.js';
import type { KubeJob } from './types.js';

const DEFAULT_TIMEOUT_SECONDS = 30 * 60;

/** True when the request asks for a watch (`watch=true` or `watch=1`). */
export function isWatch(request: KubeRequest): boolean {
  const value = request.url.searchParams.get('watch');
  return value === 'true' || value === '1';
}

/**
 * A watch of the objects `objectOf` makes of each Job (the Job itself, or its pod) in `namespace`
 * (every namespace when undefined), filtered by the request's selectors.
 */
export function watchReply<T extends KubeObject>(
  type: ResourceType<T>,
  request: KubeRequest,
  context: ServerContext,
  namespace: string | undefined,
  objectOf: (job: KubeJob) => T | null,
): Reply {
  const params = request.url.searchParams;
  const timeoutText = params.get('timeoutSeconds');
  const timeoutSeconds = timeoutText === null ? DEFAULT_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
    throw badRequest(`timeoutSeconds: must be a whole number of seconds, got ${JSON.stringify(timeoutText)}`);
  }
  const matches = selectorOf(type, request);
  const table = tableVersionAccepted(request);
  const resourceVersion = params.get('resourceVersion') ?? '';
  const event = (kind: JobChange['type'], object: T) => ({
    type: kind,
    object: table
      ? tableOf(type, [object], table, request, object.metadata.resourceVersion, context.now())
      : object,
  });
  const subscribe = (send: (event: unknown) => void) => {
    const listen = (change: JobChange) => {
      if (namespace !== undefined && change.job.metadata.namespace !== namespace) return;
      const object = objectOf(change.job);
      if (object && matches(object)) send(event(change.type, object));
    };
    if (resourceVersion === '' || resourceVersion === '0') {
      for (const job of context.store.list(namespace)) {
        const object = objectOf(structuredClone(job));
        if (object && matches(object)) send(event('ADDED', object));
      }
    }
    return context.store.changes.subscribe(resourceVersion === '0' ? '' : resourceVersion, listen);
  };
  return { code: 200, body: null, watch: { subscribe, timeoutMs: timeoutSeconds * 1000 } };
}

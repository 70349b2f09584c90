/**
 * Watches of Jobs, of their pods and of their events (`?watch=true`, as `kubectl get jobs -w` asks):
 * one event per line, `{"type": "ADDED" | "MODIFIED" | "DELETED", "object": ...}`, the object as JSON
 * or as a one-row Table when the Accept header asks for one (kubectl does). From `resourceVersion`: the changes
 * after it (job-changes.ts keeps the recent ones); without one (or "0"), every matching object first,
 * as ADDED, then the changes. Ends after `timeoutSeconds` (default 30 minutes) or when the client
 * leaves.
 */
import type { JobChange, WatchEventType } from './job-changes.js';
import { selectorOf, tableOf, tableVersionAccepted } from './resource-reply.js';
import type { KubeObject, ResourceType } from './resource-type.js';
import { type KubeRequest, queryFlag, type Reply, type ServerContext } from './route.js';
import { badRequest } from './status-error.js';
import type { KubeJob } from './types.js';

const DEFAULT_TIMEOUT_SECONDS = 30 * 60;

/** True when the request asks for a watch (`watch=true` or `watch=1`). */
export function isWatch(request: KubeRequest): boolean {
  return queryFlag(request, 'watch');
}

/** What a watch sends of the Jobs: the objects of each Job there is, and the events of each change. */
export interface WatchSource<T> {
  /** The objects of a Job there is (a watch without a resourceVersion starts with them, ADDED). */
  current(job: KubeJob): T[];
  /** What a change of a Job sends. */
  changed(change: JobChange): Array<{ type: WatchEventType; object: T }>;
}

/** A source of one object per Job (the Job itself, or its pod), changing as the Job does. */
export function perJob<T>(objectOf: (job: KubeJob) => T | null): WatchSource<T> {
  return {
    current: (job) => {
      const object = objectOf(job);
      return object ? [object] : [];
    },
    changed: (change) => {
      const object = objectOf(change.job);
      return object ? [{ type: change.type, object }] : [];
    },
  };
}

/**
 * A watch of the objects `source` makes of the Jobs in `namespace` (every namespace when undefined),
 * filtered by the request's selectors.
 */
export function watchReply<T extends KubeObject>(
  type: ResourceType<T>,
  request: KubeRequest,
  context: ServerContext,
  namespace: string | undefined,
  source: WatchSource<T>,
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
  const event = (kind: WatchEventType, object: T) => ({
    type: kind,
    object: table
      ? tableOf(type, [object], table, request, object.metadata.resourceVersion, context.now())
      : object,
  });
  const sendMatching = (send: (event: unknown) => void, kind: WatchEventType, objects: T[]) => {
    for (const object of objects) if (matches(object)) send(event(kind, object));
  };
  const isFromNow = resourceVersion === '' || resourceVersion === '0';
  const subscribe = (send: (event: unknown) => void) => {
    if (isFromNow) {
      for (const job of context.store.list(namespace))
        sendMatching(send, 'ADDED', source.current(structuredClone(job)));
    }
    return context.store.changes.subscribe(isFromNow ? '' : resourceVersion, (change) => {
      if (namespace !== undefined && change.job.metadata.namespace !== namespace) return;
      for (const { type: kind, object } of source.changed(change)) sendMatching(send, kind, [object]);
    });
  };
  return { code: 200, body: null, watch: { subscribe, timeoutMs: timeoutSeconds * 1000 } };
}

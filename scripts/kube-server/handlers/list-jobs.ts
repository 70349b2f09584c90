/** A JobList of one namespace or all, filtered by the request's label selector. */
import { labelSelectorPredicate, SelectorError } from '../label-selector.js';
import type { KubeRequest, Reply, ServerContext } from '../route.js';
import { badRequest } from '../status-error.js';

/**
 * The selector of `request` as a predicate: 400 BadRequest for one that does not parse, and for a
 * field selector (refused rather than ignored: a caller relying on it would get every object).
 */
export function selectorOf(request: KubeRequest): (labels: Record<string, string> | undefined) => boolean {
  if (request.url.searchParams.has('fieldSelector'))
    throw badRequest('fieldSelector is not supported by the local kube server');
  try {
    return labelSelectorPredicate(request.url.searchParams.get('labelSelector') ?? '');
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
}

/** Answers the JobList of `namespace` (every namespace when undefined). */
export function listJobs(namespace: string | undefined, request: KubeRequest, context: ServerContext): Reply {
  const matches = selectorOf(request);
  return {
    code: 200,
    body: {
      kind: 'JobList',
      apiVersion: 'batch/v1',
      metadata: { resourceVersion: context.store.resourceVersion },
      items: context.store.list(namespace).filter((job) => matches(job.metadata.labels)),
    },
  };
}

/**
 * Answers for lists and single objects of any served kind: label and field selectors, and the
 * `meta.k8s.io` Table that `kubectl get` asks for with its Accept header (else plain JSON).
 */

import { fieldSelectorPredicate } from './field-selector.js';
import { labelSelectorPredicate, SelectorError } from './label-selector.js';
import { groupVersionOf, type KubeObject, type ResourceType } from './resource-type.js';
import type { KubeRequest, Reply } from './route.js';
import { badRequest } from './status-error.js';

/** The list of `objects` that match the request's selectors, as JSON or a Table. */
export function listReply<T extends KubeObject>(
  type: ResourceType<T>,
  objects: T[],
  request: KubeRequest,
  resourceVersion: string,
  now: Date,
): Reply {
  const matches = selectorOf(type, request);
  const items = objects.filter(matches);
  const table = tableVersionAccepted(request);
  if (table) return tableReply(table, tableOf(type, items, table, request, resourceVersion, now));
  return {
    code: 200,
    body: {
      kind: `${type.resource.kind}List`,
      apiVersion: groupVersionOf(type),
      metadata: { resourceVersion },
      items,
    },
  };
}

/** One object, as JSON or a one-row Table. */
export function objectReply<T extends KubeObject>(
  type: ResourceType<T>,
  object: T,
  request: KubeRequest,
  now: Date,
): Reply {
  const table = tableVersionAccepted(request);
  if (table) {
    return tableReply(table, tableOf(type, [object], table, request, object.metadata.resourceVersion, now));
  }
  return { code: 200, body: object };
}

/** The request's label and field selectors as one predicate; 400 BadRequest when either is wrong. */
export function selectorOf<T extends KubeObject>(
  type: ResourceType<T>,
  request: KubeRequest,
): (object: T) => boolean {
  const params = request.url.searchParams;
  let labelsMatch: (labels: Record<string, string> | undefined) => boolean;
  try {
    labelsMatch = labelSelectorPredicate(params.get('labelSelector') ?? '');
  } catch (error) {
    if (error instanceof SelectorError) throw badRequest(error.message);
    throw error;
  }
  const fieldsMatch = fieldSelectorPredicate(params.get('fieldSelector') ?? '', type.selectableFields);
  return (object) => labelsMatch(object.metadata.labels) && fieldsMatch(type.fieldsOf(object));
}

/**
 * The Table version the Accept header asks for first (`application/json;as=Table;v=v1;g=meta.k8s.io`),
 * or null when it asks for plain JSON first.
 */
export function tableVersionAccepted(request: KubeRequest): 'v1' | 'v1beta1' | null {
  const accept = request.headers.accept ?? '';
  for (const mediaType of accept.split(',')) {
    const [type, ...rawParams] = mediaType.split(';').map((part) => part.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const params = new Map(
      rawParams.map((param) => {
        const [key, value = ''] = param.split('=');
        return [key?.trim() ?? '', value.trim()] as const;
      }),
    );
    if (!params.has('as')) return null;
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      const version = params.get('v');
      if (version === 'v1' || version === 'v1beta1') return version;
    }
  }
  return null;
}

/** A Table (tableOf) as the answer, with the media type that says which version it is. */
function tableReply(version: 'v1' | 'v1beta1', table: Record<string, unknown>): Reply {
  return {
    code: 200,
    headers: { 'Content-Type': `application/json;as=Table;v=${version};g=meta.k8s.io` },
    body: table,
  };
}

/** `objects` as a `meta.k8s.io` Table (`includeObject` as asked: None, Metadata or Object). */
export function tableOf<T extends KubeObject>(
  type: ResourceType<T>,
  objects: T[],
  version: 'v1' | 'v1beta1',
  request: KubeRequest,
  resourceVersion: string,
  now: Date,
): Record<string, unknown> {
  const include = request.url.searchParams.get('includeObject') ?? 'Metadata';
  if (!['None', 'Metadata', 'Object'].includes(include))
    throw badRequest(
      `includeObject: unsupported value ${JSON.stringify(include)}: supported values: "None", "Metadata", "Object"`,
    );
  const rows = objects.map((object) => {
    const row: Record<string, unknown> = { cells: type.cellsOf(object, now) };
    if (include === 'Object') row.object = object;
    if (include === 'Metadata')
      row.object = {
        kind: 'PartialObjectMetadata',
        apiVersion: `meta.k8s.io/${version}`,
        metadata: object.metadata,
      };
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: { resourceVersion },
    columnDefinitions: type.columns,
    rows,
  };
}

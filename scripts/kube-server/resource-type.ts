/**
 * What the server knows about each kind of object it serves, in one place: where it lives in the
 * API (group, version, discovery entry), which fields a field selector may name, and its columns for
 * `kubectl get` (a `meta.k8s.io/v1` Table, as the API server prints it). Lists and single objects of
 * every kind are answered by resource-reply.ts from this.
 */

/** The metadata every served object has. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** An object as served. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** A resource in a discovery APIResourceList. */
export interface ApiResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

/** A column of a Table, as `metav1.TableColumnDefinition`. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0 is shown by `kubectl get`, 1 only by `-o wide`. */
  priority: number;
}

/** A kind of object the server serves. */
export interface ResourceType<T extends KubeObject> {
  /** "" for the core group. */
  group: string;
  version: string;
  /** The discovery entry. */
  resource: ApiResource;
  /** The fields a field selector may name (any other is a 400, as on a real server). */
  selectableFields: readonly string[];
  /** The values of selectableFields for one object. */
  fieldsOf(object: T): Record<string, string>;
  /** The Table columns, and one object's cells (`now` for ages and durations). */
  columns: TableColumn[];
  cellsOf(object: T, now: Date): unknown[];
}

/** `batch/v1`, or `v1` for the core group. */
export function groupVersionOf(type: Pick<ResourceType<KubeObject>, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** The Name column every kind starts with. */
export const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  priority: 0,
};

/** The Age column. */
export const AGE_COLUMN: TableColumn = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
};

/** The fields every kind can be selected by. */
export function metadataFields(object: KubeObject): Record<string, string> {
  return { 'metadata.name': object.metadata.name, 'metadata.namespace': object.metadata.namespace ?? '' };
}

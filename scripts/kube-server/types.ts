/** The wire shapes of the local Kubernetes API server: what it stores and answers, as JSON. */

export type JsonObject = Record<string, unknown>;

/** A `metav1.Status` as the API server sends it. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: JsonObject;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
}

/** One field problem of a 422 Invalid `Status`. */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** A Job as stored and served (JSON, as on the wire). */
export interface KubeJob {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    generation: number;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: JsonObject;
  status: KubeJobStatus;
}

/** A condition of a Job's status (`Complete`, `Failed`, ...). */
export interface KubeJobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

/** A Job's status, the fields the server fills in. */
export interface KubeJobStatus {
  conditions?: KubeJobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 3339 with seconds, as Kubernetes serializes metav1.Time. */
export function kubeTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

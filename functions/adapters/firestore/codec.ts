/**
 * Documents to and from the core's types (docs/data-model.md). Readers are lenient (a document an
 * operator edited by hand still reads); writers store dates as Firestore timestamps.
 */
import { type DocumentData, type DocumentSnapshot, FieldValue, Timestamp } from '@google-cloud/firestore';
import type { DeliveryClaim } from '../../core/intake.js';
import type {
  BranchHead,
  ClusterRecord,
  Deployment,
  DeploymentStatus,
  DeploymentTransition,
  DeployRequest,
  GitHubDeploymentRecord,
  GitHubDeploymentState,
  ProbeRecord,
  VersionDecision,
  VersionState,
  VersionSwitches,
} from '../../core/types.js';

/** A stored date (Timestamp, or Date as written by a test), or null. */
export function toDate(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : value instanceof Date ? value : null;
}

/** A stored date that must be there: the epoch when it is not (shows as very old, never crashes). */
export function requiredDate(value: unknown): Date {
  return toDate(value) ?? new Date(0);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Reads a deployments/{instance} document. */
export function deploymentFromDoc(snapshot: DocumentSnapshot): Deployment | null {
  const data = snapshot.data();
  if (!data) return null;
  return {
    instance: snapshot.id,
    version: String(data.version),
    repo: String(data.repo),
    branch: String(data.branch),
    commit: String(data.commit),
    reason: data.reason,
    requestId: String(data.requestId),
    status: data.status,
    namespace: String(data.namespace),
    jobName: stringOrNull(data.jobName),
    teardownJobName: stringOrNull(data.teardownJobName),
    kfctlUrl: String(data.kfctlUrl),
    kfDefUrl: String(data.kfDefUrl),
    endpoint: String(data.endpoint),
    credentialsCommand: String(data.credentialsCommand),
    createdAt: requiredDate(data.createdAt),
    updatedAt: requiredDate(data.updatedAt),
    readyAt: toDate(data.readyAt),
    finishedAt: toDate(data.finishedAt),
    deletingAt: toDate(data.deletingAt),
    deletedAt: toDate(data.deletedAt),
    launchLeaseExpiresAt: toDate(data.launchLeaseExpiresAt),
    error: stringOrNull(data.error),
    ...(Array.isArray(data.transitions) ? { transitions: transitionsFromDoc(data.transitions) } : {}),
    ...trustFieldsFromDoc(data),
    ...(data.github && typeof data.github === 'object' ? { github: githubRecordFromDoc(data.github) } : {}),
  };
}

const GITHUB_STATES: readonly string[] = [
  'in_progress',
  'success',
  'failure',
  'error',
  'inactive',
] satisfies GitHubDeploymentState[];

/**
 * deployments/{instance}.github as stored: the record plus `open`, true while a GitHub deployment exists
 * that was not yet marked inactive, so the sync finds deleted instances still to deactivate with one
 * single-field query.
 */
export function githubRecordDoc(record: GitHubDeploymentRecord): DocumentData {
  return { ...record, open: record.deploymentId !== null && record.state !== 'inactive' };
}

/** Reads deployments/{instance}.github (written whole by the GitHub sync's store). */
export function githubRecordFromDoc(data: DocumentData): GitHubDeploymentRecord {
  return {
    deploymentId: typeof data.deploymentId === 'number' ? data.deploymentId : null,
    state: GITHUB_STATES.includes(data.state) ? (data.state as GitHubDeploymentState) : null,
    postedAt: toDate(data.postedAt),
    error: stringOrNull(data.error),
    attempts: typeof data.attempts === 'number' ? data.attempts : 0,
    retryAt: toDate(data.retryAt),
    leaseExpiresAt: toDate(data.leaseExpiresAt),
  };
}

/** The fields of readiness, the inventory, retries and teardowns: only those the document has. */
function trustFieldsFromDoc(data: DocumentData): Partial<Deployment> {
  const fields: Partial<Deployment> = {};
  if (typeof data.attempt === 'number') fields.attempt = data.attempt;
  if (data.origin === 'adopted' || data.origin === 'launch') fields.origin = data.origin;
  if (data.verifyingAt !== undefined) fields.verifyingAt = toDate(data.verifyingAt);
  if (data.probe !== undefined) fields.probe = probeFromDoc(data.probe);
  if (data.cluster !== undefined) fields.cluster = clusterFromDoc(data.cluster);
  if (typeof data.teardownAttempts === 'number') fields.teardownAttempts = data.teardownAttempts;
  if (data.nextTeardownAt !== undefined) fields.nextTeardownAt = toDate(data.nextTeardownAt);
  if (data.teardownFinishedAt !== undefined) fields.teardownFinishedAt = toDate(data.teardownFinishedAt);
  return fields;
}

function probeFromDoc(value: unknown): ProbeRecord | null {
  if (!value || typeof value !== 'object') return null;
  const probe = value as DocumentData;
  return {
    at: requiredDate(probe.at),
    status: typeof probe.status === 'number' ? probe.status : null,
    ok: probe.ok === true,
    error: stringOrNull(probe.error),
    consecutiveFailures: typeof probe.consecutiveFailures === 'number' ? probe.consecutiveFailures : 0,
  };
}

function clusterFromDoc(value: unknown): ClusterRecord | null {
  if (!value || typeof value !== 'object') return null;
  const cluster = value as DocumentData;
  return { listed: cluster.listed === true, checkedAt: requiredDate(cluster.checkedAt) };
}

function transitionsFromDoc(items: unknown[]): DeploymentTransition[] {
  return items.flatMap((item) => {
    const { status, at } = (item ?? {}) as { status?: unknown; at?: unknown };
    const date = toDate(at);
    return typeof status === 'string' && date ? [{ status: status as DeploymentStatus, at: date }] : [];
  });
}

/** Reads a deployRequests/{id} document. */
export function requestFromDoc(snapshot: DocumentSnapshot): DeployRequest | null {
  const data = snapshot.data();
  if (!data) return null;
  return {
    id: snapshot.id,
    action: data.action === 'teardown' ? 'teardown' : 'deploy',
    version: String(data.version),
    commit: String(data.commit),
    reason: String(data.reason),
    instance: stringOrNull(data.instance),
    notBefore: requiredDate(data.notBefore),
    status: data.status,
    enqueueCount: typeof data.enqueueCount === 'number' ? data.enqueueCount : 0,
    taskName: stringOrNull(data.taskName),
    createdAt: requiredDate(data.createdAt),
    updatedAt: requiredDate(data.updatedAt),
    error: stringOrNull(data.error),
    // Absent until the first enqueue.
    ...(data.enqueuedAt === undefined ? {} : { enqueuedAt: toDate(data.enqueuedAt) }),
    ...(typeof data.attempt === 'number' ? { attempt: data.attempt } : {}),
    ...(data.force === true ? { force: true } : {}),
  };
}

/** A request as stored (the id is the document id). */
export function requestDoc(request: DeployRequest): DocumentData {
  const { id: _id, ...fields } = request;
  return fields;
}

/** A new deployment as stored (the instance name is the document id, and kept as a field for the console). */
export function deploymentDoc(deployment: Deployment): DocumentData {
  return { ...deployment, transitions: [{ status: deployment.status, at: deployment.createdAt }] };
}

/** A change of a deployment as stored: a new status is also appended to `transitions`. */
export function deploymentPatchDoc(patch: Partial<Deployment>): DocumentData {
  if (patch.status === undefined) return { ...patch };
  const at = patch.updatedAt ?? null;
  return { ...patch, transitions: FieldValue.arrayUnion({ status: patch.status, at }) };
}

/** The deployments of several query results, each once (a document may match more than one query). */
export function uniqueDeployments(docs: DocumentSnapshot[]): Deployment[] {
  const byInstance = new Map<string, Deployment>();
  for (const doc of docs) {
    const deployment = deploymentFromDoc(doc);
    if (deployment) byInstance.set(deployment.instance, deployment);
  }
  return [...byInstance.values()];
}

/**
 * The operator switches of a versions/{version} document (absent fields are off), and the global drain
 * when the control/drain document was read (`drain`: its data).
 */
export function switchesFromDoc(
  data: DocumentData | undefined,
  drain?: DocumentData | undefined,
): VersionSwitches {
  return {
    paused: data?.paused === true,
    forceRedeploy: data?.forceRedeploy === true,
    ...(drain?.drained === true ? { drained: true } : {}),
  };
}

/** The head of a branches/{id} document as the planner sees it. */
export function headFromBranchDoc(data: DocumentData | undefined): VersionState['head'] {
  if (!data || typeof data.sha !== 'string') return null;
  return {
    sha: data.sha,
    deleted: data.deleted === true,
    ...(data.inDoubt === true ? { inDoubt: true } : {}),
  };
}

/**
 * Reads a branches/{id} document whole; null when it holds no head (none recorded yet: a document a
 * failed poll task created holds only `poll`).
 */
export function branchHeadFromDoc(snapshot: DocumentSnapshot): BranchHead | null {
  const data = snapshot.data();
  if (!data || typeof data.sha !== 'string') return null;
  return {
    repo: String(data.repo),
    branch: String(data.branch),
    sha: String(data.sha),
    deleted: data.deleted === true,
    updatedAt: requiredDate(data.updatedAt),
    pushedAt: toDate(data.pushedAt),
    forced: data.forced === true,
    source: data.source === 'poll' ? 'poll' : 'webhook',
    deliveryId: stringOrNull(data.deliveryId),
    recentShas: Array.isArray(data.recentShas) ? data.recentShas.map(String) : [],
    inDoubt: data.inDoubt === true,
  };
}

/** Reads a deliveries/{id} claim. */
export function claimFromDoc(data: DocumentData): DeliveryClaim {
  return {
    status: data.status === 'recorded' ? 'recorded' : 'processing',
    claimToken: String(data.claimToken ?? ''),
    leaseExpiresAt: requiredDate(data.leaseExpiresAt),
  };
}

/** A decision as stored on versions/{version}.decision (flat, readable in the console). */
export function decisionDoc(decision: VersionDecision, text: string): DocumentData {
  if (decision.kind === 'deploy') {
    return {
      kind: 'deploy',
      reason: decision.reason,
      commit: decision.commit,
      notBefore: decision.notBefore,
      requestId: decision.requestId ?? null,
      ...(decision.launched ? { launched: true } : {}),
      ...(decision.attempt === undefined
        ? {}
        : { attempt: decision.attempt, maxAttempts: decision.maxAttempts ?? null }),
      text,
    };
  }
  return {
    kind: 'wait',
    reason: decision.reason,
    commit: decision.commit ?? null,
    until: decision.until ?? null,
    active: decision.active ?? null,
    ...(decision.attempts === undefined ? {} : { attempts: decision.attempts }),
    ...(decision.error === undefined ? {} : { error: decision.error }),
    text,
  };
}

function comparable(value: unknown): unknown {
  const date = toDate(value);
  return date ? date.getTime() : (value ?? null);
}

/** True when two stored decisions say the same (dates compared as instants). */
export function isSameDecisionDoc(stored: DocumentData, next: DocumentData): boolean {
  const keys = new Set([...Object.keys(stored), ...Object.keys(next)]);
  return [...keys].every((key) => comparable(stored[key]) === comparable(next[key]));
}

/** The fields of `data` among `names` whose value is of `type`, as they are. */
function present(
  data: DocumentData,
  type: 'string' | 'number',
  names: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(
    names.filter((name) => typeof data[name] === type).map((name) => [name, data[name]]),
  );
}

/** Reads versions/{version}.decision; null for anything else. */
export function decisionFromDoc(version: string, data: DocumentData): VersionDecision | null {
  if (data.kind === 'deploy') {
    return {
      kind: 'deploy',
      version,
      commit: String(data.commit),
      reason: data.reason,
      notBefore: requiredDate(data.notBefore),
      ...present(data, 'string', ['requestId']),
      ...present(data, 'number', ['attempt', 'maxAttempts']),
      ...(data.launched === true ? { launched: true } : {}),
    };
  }
  if (data.kind === 'wait') {
    const until = toDate(data.until);
    return {
      kind: 'wait',
      version,
      reason: data.reason,
      ...(until ? { until } : {}),
      ...present(data, 'string', ['commit', 'error']),
      ...present(data, 'number', ['active', 'attempts']),
    };
  }
  return null;
}

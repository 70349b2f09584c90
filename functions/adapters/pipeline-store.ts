/**
 * Firestore persistence of the deploy pipeline (docs/data-model.md):
 *
 *   deployRequests/{id}       a request to deploy a commit or tear an instance down; the id is derived
 *                             from what it asks (deploy-<version>-<sha12>-<window>, teardown-<instance>-<n>),
 *                             so concurrent planners claim it once with create()
 *   deployments/{instance}    one Kubeflow instance and its deploy/teardown Jobs
 *   versions/{version}        operator switches (paused, forceRedeploy) and the planner's last decision
 *
 * Every read-decide-write happens in one transaction; the decisions themselves are the pure core's.
 */
import {
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  type Firestore,
  Timestamp,
  type Transaction,
} from '@google-cloud/firestore';
import type { StatusReader, VersionView } from '../core/ports.js';
import {
  ACTIVE_STATUSES,
  type Deployment,
  type DeployRequest,
  type DeployRequestStatus,
  type VersionConfig,
  type VersionDecision,
  type VersionState,
  type VersionSwitches,
} from '../core/types.js';
import { branchDocRef, versionDocRef } from './firestore-store.js';

export const PIPELINE_COLLECTIONS = {
  deployRequests: 'deployRequests',
  deployments: 'deployments',
} as const;

/** Request statuses still to be acted on. */
export const OPEN_STATUSES: DeployRequestStatus[] = ['pending', 'enqueued', 'deferred'];

/** Statuses the status refresh follows on the cluster. */
export const FOLLOWED_STATUSES = ['launching', 'deploying', 'lost', 'deleting'] as const;

/** Deleted deployments launched within this window are still read: they carry the rate limits. */
export const RECENT_DELETED_HOURS = 48;

function toDate(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : value instanceof Date ? value : null;
}

function requiredDate(value: unknown): Date {
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
  };
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
  };
}

function switchesFromDoc(data: DocumentData | undefined): VersionSwitches {
  return { paused: data?.paused === true, forceRedeploy: data?.forceRedeploy === true };
}

function headFromBranchDoc(data: DocumentData | undefined): VersionState['head'] {
  if (!data || typeof data.sha !== 'string') return null;
  return { sha: data.sha, deleted: data.deleted === true };
}

/** A request as stored (the id is the document id). */
function requestDoc(request: DeployRequest): DocumentData {
  const { id: _id, ...fields } = request;
  return fields;
}

/** A deployment as stored (the instance name is the document id, and kept as a field for the console). */
function deploymentDoc(deployment: Deployment): DocumentData {
  return { ...deployment };
}

/** The deployments of several query results, each once (a document may match more than one query). */
function uniqueDeployments(docs: DocumentSnapshot[]): Deployment[] {
  const byInstance = new Map<string, Deployment>();
  for (const doc of docs) {
    const deployment = deploymentFromDoc(doc);
    if (deployment) byInstance.set(deployment.instance, deployment);
  }
  return [...byInstance.values()];
}

/** Everything the planner reads, in one consistent-enough snapshot. */
export interface PipelineSnapshot {
  versions: VersionState[];
  deployments: Deployment[];
  openRequests: DeployRequest[];
}

/** The deploy pipeline's state in Firestore. */
export class FirestorePipelineStore {
  constructor(readonly db: Firestore) {}

  requestRef(id: string): DocumentReference {
    return this.db.collection(PIPELINE_COLLECTIONS.deployRequests).doc(id);
  }

  deploymentRef(instance: string): DocumentReference {
    return this.db.collection(PIPELINE_COLLECTIONS.deployments).doc(instance);
  }

  versionRef(version: string): DocumentReference {
    return versionDocRef(this.db, version);
  }

  branchRef(repo: string, branch: string): DocumentReference {
    return branchDocRef(this.db, repo, branch);
  }

  /** Versions (config + switches + head), relevant deployments and open requests. */
  async readSnapshot(configs: VersionConfig[], now: Date, tx?: Transaction): Promise<PipelineSnapshot> {
    const versionRefs = configs.map((config) => this.versionRef(config.name));
    const branchRefs = configs.map((config) => this.branchRef(config.repo, config.branch));
    const refs = [...versionRefs, ...branchRefs];
    const [docs, deployments, open] = await Promise.all([
      refs.length === 0 ? Promise.resolve([]) : tx ? tx.getAll(...refs) : this.db.getAll(...refs),
      this.readRecentDeployments(now, tx),
      tx ? tx.get(this.openRequestsQuery()) : this.openRequestsQuery().get(),
    ]);
    const versions = configs.map((config, index) => ({
      config,
      switches: switchesFromDoc(docs[index]?.data()),
      head: headFromBranchDoc(docs[configs.length + index]?.data()),
    }));
    return {
      versions,
      deployments,
      openRequests: open.docs.map(requestFromDoc).filter((request) => request !== null),
    };
  }

  /**
   * Every deployment not deleted, plus deleted ones launched in the last `RECENT_DELETED_HOURS` (they
   * carry the rate limits, and the status page shows them). Two single-field queries, merged.
   */
  private async readRecentDeployments(now: Date, tx?: Transaction): Promise<Deployment[]> {
    const since = new Date(now.getTime() - RECENT_DELETED_HOURS * 3_600_000);
    const queries = [
      this.deploymentsQuery().where('status', '!=', 'deleted'),
      this.deploymentsQuery().where('createdAt', '>=', since),
    ];
    const results = await Promise.all(queries.map((query) => (tx ? tx.get(query) : query.get())));
    return uniqueDeployments(results.flatMap((result) => result.docs));
  }

  private openRequestsQuery() {
    return this.requestsQuery().where('status', 'in', OPEN_STATUSES);
  }

  private deploymentsQuery() {
    return this.db.collection(PIPELINE_COLLECTIONS.deployments);
  }

  private requestsQuery() {
    return this.db.collection(PIPELINE_COLLECTIONS.deployRequests);
  }

  /**
   * Records a new request unless one with its id exists. A manual deploy also clears the version's
   * `forceRedeploy` switch in the same transaction, so the force is used once.
   * Returns the stored request (new or existing).
   */
  async createRequest(request: DeployRequest): Promise<{ request: DeployRequest; isNew: boolean }> {
    return this.db.runTransaction(async (tx) => {
      const ref = this.requestRef(request.id);
      const existing = requestFromDoc(await tx.get(ref));
      const versionSnapshot =
        request.reason === 'manual' ? await tx.get(this.versionRef(request.version)) : null;
      if (existing) return { request: existing, isNew: false };
      tx.create(ref, requestDoc(request));
      if (versionSnapshot?.data()?.forceRedeploy === true) {
        tx.update(versionSnapshot.ref, { forceRedeploy: false, forceRedeployUsedAt: request.createdAt });
      }
      return { request, isNew: true };
    });
  }

  /**
   * Records that a request was put in the queue under `taskName` (its `expectedCount`-th enqueue).
   * The task may already have run by then (Cloud Tasks dispatches at once): a request closed meanwhile,
   * or deferred by a worker since the caller read it (its `updatedAt` is no longer `readUpdatedAt`),
   * keeps its status, so the deferral is re-enqueued by the next pass instead of passing for queued
   * until it goes stale. The count and task name are recorded in every case.
   */
  async markEnqueued(
    id: string,
    expectedCount: number,
    taskName: string,
    now: Date,
    readUpdatedAt?: Date,
  ): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const request = requestFromDoc(await tx.get(this.requestRef(id)));
      if (!request || request.enqueueCount > expectedCount) return;
      const isDeferredSinceRead =
        request.status === 'deferred' && readUpdatedAt !== undefined && +request.updatedAt !== +readUpdatedAt;
      if (!OPEN_STATUSES.includes(request.status) || isDeferredSinceRead) {
        tx.update(this.requestRef(id), { enqueueCount: expectedCount, taskName, enqueuedAt: now });
        return;
      }
      tx.update(this.requestRef(id), {
        status: 'enqueued',
        enqueueCount: expectedCount,
        taskName,
        enqueuedAt: now,
        updatedAt: now,
        error: null,
      });
    });
  }

  /** Records why a request could not be put in the queue; it stays open and the next tick retries. */
  async markEnqueueFailed(id: string, error: string, now: Date): Promise<void> {
    await this.requestRef(id).update({ error: `enqueue failed: ${error}`, updatedAt: now });
  }

  /** Reads one request. */
  async getRequest(id: string): Promise<DeployRequest | null> {
    return requestFromDoc(await this.requestRef(id).get());
  }

  /** Reads one deployment. */
  async getDeployment(instance: string): Promise<Deployment | null> {
    return deploymentFromDoc(await this.deploymentRef(instance).get());
  }

  /** Deployments in statuses the status refresh follows. */
  async listFollowedDeployments(): Promise<Deployment[]> {
    const snapshot = await this.deploymentsQuery()
      .where('status', 'in', [...FOLLOWED_STATUSES])
      .get();
    return snapshot.docs.map(deploymentFromDoc).filter((deployment) => deployment !== null);
  }

  /**
   * Applies a status change from the cluster, unless the document changed since it was read
   * (a worker wrote meanwhile: the next refresh looks again).
   */
  async updateDeploymentIf(
    deployment: Deployment,
    patch: Partial<Deployment>,
  ): Promise<'updated' | 'changed-meanwhile'> {
    return this.db.runTransaction(async (tx) => {
      const current = deploymentFromDoc(await tx.get(this.deploymentRef(deployment.instance)));
      if (!current || current.status !== deployment.status || +current.updatedAt !== +deployment.updatedAt) {
        return 'changed-meanwhile';
      }
      tx.update(this.deploymentRef(deployment.instance), patch);
      return 'updated';
    });
  }

  /** Stores each version's current decision (only those that changed) for the console and the page. */
  async writeDecisions(
    decisions: Array<{ decision: VersionDecision; text: string }>,
    now: Date,
  ): Promise<void> {
    if (decisions.length === 0) return;
    const refs = decisions.map(({ decision }) => this.versionRef(decision.version));
    const snapshots = await this.db.getAll(...refs);
    const batch = this.db.batch();
    let writes = 0;
    decisions.forEach(({ decision, text }, index) => {
      const stored = decisionDoc(decision, text);
      const previous = snapshots[index]?.data()?.decision;
      if (previous && sameDecision(previous, stored)) return;
      batch.set(refs[index] as DocumentReference, { decision: stored, decidedAt: now }, { merge: true });
      writes += 1;
    });
    if (writes > 0) await batch.commit();
  }

  /** The stored decision and its time for each version, for the status page. */
  async readDecisions(
    names: string[],
  ): Promise<Map<string, { decision: VersionDecision | null; decidedAt: Date | null; paused: boolean }>> {
    const out = new Map<
      string,
      { decision: VersionDecision | null; decidedAt: Date | null; paused: boolean }
    >();
    if (names.length === 0) return out;
    const snapshots = await this.db.getAll(...names.map((name) => this.versionRef(name)));
    snapshots.forEach((snapshot, index) => {
      const data = snapshot.data();
      out.set(names[index] as string, {
        decision: data?.decision ? decisionFromDoc(names[index] as string, data.decision) : null,
        decidedAt: toDate(data?.decidedAt),
        paused: data?.paused === true,
      });
    });
    return out;
  }

  /** Deployments for the status page, newest first (see readRecentDeployments). */
  async listDeploymentsForStatus(now: Date): Promise<Deployment[]> {
    return (await this.readRecentDeployments(now)).sort((a, b) => +b.createdAt - +a.createdAt);
  }

  /** Branch heads of the followed branches, with the ETag of the last poll. */
  async readPollState(
    repo: string,
    branch: string,
  ): Promise<{ sha: string | null; deleted: boolean; etag: string | null }> {
    const data = (await this.branchRef(repo, branch).get()).data();
    return {
      sha: typeof data?.sha === 'string' ? data.sha : null,
      deleted: data?.deleted === true,
      etag: typeof data?.poll?.etag === 'string' ? data.poll.etag : null,
    };
  }

  /** Remembers the ETag of a poll answer so the next poll is a conditional request. */
  async writePollState(repo: string, branch: string, etag: string | null, now: Date): Promise<void> {
    await this.branchRef(repo, branch).set({ poll: { etag, checkedAt: now } }, { merge: true });
  }

  // --- the worker's transactions ---------------------------------------------------------------

  /** Runs `body` in a transaction with the worker's view: the request, its version and the deployments. */
  async inLaunchTransaction<T>(
    requestId: string,
    configs: VersionConfig[],
    now: Date,
    body: (view: LaunchView, tx: Transaction) => T | Promise<T>,
  ): Promise<T> {
    return this.db.runTransaction(async (tx) => {
      const request = requestFromDoc(await tx.get(this.requestRef(requestId)));
      const config = request ? configs.find((candidate) => candidate.name === request.version) : undefined;
      let version: VersionState | null = null;
      if (config) {
        const [versionDoc, branchDoc] = await tx.getAll(
          this.versionRef(config.name),
          this.branchRef(config.repo, config.branch),
        );
        version = {
          config,
          switches: switchesFromDoc(versionDoc?.data()),
          head: headFromBranchDoc(branchDoc?.data()),
        };
      }
      const [own, active] = await Promise.all([
        request ? tx.get(this.deploymentsQuery().where('version', '==', request.version)) : null,
        tx.get(this.deploymentsQuery().where('status', 'in', [...ACTIVE_STATUSES])),
      ]);
      const deployments = uniqueDeployments([...(own?.docs ?? []), ...active.docs]);
      return body({ request, version, deployments, now }, tx);
    });
  }

  /** In a transaction: records a deployment. */
  createDeployment(tx: Transaction, deployment: Deployment): void {
    tx.create(this.deploymentRef(deployment.instance), deploymentDoc(deployment));
  }

  /** In a transaction: changes a request. */
  updateRequest(tx: Transaction, id: string, patch: Partial<Omit<DeployRequest, 'id'>> & DocumentData): void {
    tx.update(this.requestRef(id), patch);
  }

  /** In a transaction: changes a deployment. */
  updateDeployment(tx: Transaction, instance: string, patch: Partial<Deployment>): void {
    tx.update(this.deploymentRef(instance), patch);
  }

  /** Changes a deployment and (optionally) closes its request, in one transaction. */
  async finishStep(
    instance: string,
    patch: Partial<Deployment>,
    request?: { id: string; patch: Partial<Omit<DeployRequest, 'id'>> & DocumentData },
  ): Promise<void> {
    const batch = this.db.batch();
    batch.update(this.deploymentRef(instance), patch);
    if (request) batch.update(this.requestRef(request.id), request.patch);
    await batch.commit();
  }

  /** Runs `body` in a transaction over one deployment and one request. */
  async inTeardownTransaction<T>(
    requestId: string,
    body: (
      view: { request: DeployRequest | null; deployment: Deployment | null },
      tx: Transaction,
    ) => T | Promise<T>,
  ): Promise<T> {
    return this.db.runTransaction(async (tx) => {
      const request = requestFromDoc(await tx.get(this.requestRef(requestId)));
      const deployment = request?.instance
        ? deploymentFromDoc(await tx.get(this.deploymentRef(request.instance)))
        : null;
      return body({ request, deployment }, tx);
    });
  }
}

/** What the worker sees of one deploy request, inside its transaction. */
export interface LaunchView {
  request: DeployRequest | null;
  /** Null when the request's version is no longer configured. */
  version: VersionState | null;
  /** The version's deployments and every active one. */
  deployments: Deployment[];
  now: Date;
}

function decisionDoc(decision: VersionDecision, text: string): DocumentData {
  if (decision.kind === 'deploy') {
    return {
      kind: 'deploy',
      reason: decision.reason,
      commit: decision.commit,
      notBefore: decision.notBefore,
      requestId: decision.requestId ?? null,
      text,
    };
  }
  return {
    kind: 'wait',
    reason: decision.reason,
    commit: decision.commit ?? null,
    until: decision.until ?? null,
    active: decision.active ?? null,
    text,
  };
}

function comparable(value: unknown): unknown {
  const date = toDate(value);
  return date ? date.getTime() : (value ?? null);
}

function sameDecision(stored: DocumentData, next: DocumentData): boolean {
  const keys = new Set([...Object.keys(stored), ...Object.keys(next)]);
  return [...keys].every((key) => comparable(stored[key]) === comparable(next[key]));
}

function decisionFromDoc(version: string, data: DocumentData): VersionDecision | null {
  if (data.kind === 'deploy') {
    return {
      kind: 'deploy',
      version,
      commit: String(data.commit),
      reason: data.reason,
      notBefore: requiredDate(data.notBefore),
      ...(typeof data.requestId === 'string' ? { requestId: data.requestId } : {}),
    };
  }
  if (data.kind === 'wait') {
    return {
      kind: 'wait',
      version,
      reason: data.reason,
      ...(toDate(data.until) ? { until: toDate(data.until) as Date } : {}),
      ...(typeof data.commit === 'string' ? { commit: data.commit } : {}),
      ...(typeof data.active === 'number' ? { active: data.active } : {}),
    };
  }
  return null;
}

/** The status function's view of Firestore. */
export class FirestoreStatusReader implements StatusReader {
  constructor(
    private readonly store: FirestorePipelineStore,
    private readonly versions: VersionConfig[],
    private readonly clock: () => Date,
  ) {}

  async listVersions(): Promise<VersionView[]> {
    const names = this.versions.map((version) => version.name);
    const [decisions, branches] = await Promise.all([
      this.store.readDecisions(names),
      this.versions.length === 0
        ? Promise.resolve([])
        : this.store.db.getAll(...this.versions.map((v) => this.store.branchRef(v.repo, v.branch))),
    ]);
    return this.versions.map((version, index) => {
      const stored = decisions.get(version.name);
      const branch = branches[index]?.data();
      return {
        name: version.name,
        repo: version.repo,
        branch: version.branch,
        kfctlUrl: version.kfctlUrl,
        paused: version.paused || stored?.paused === true,
        head:
          typeof branch?.sha === 'string'
            ? { sha: branch.sha, deleted: branch.deleted === true, updatedAt: requiredDate(branch.updatedAt) }
            : null,
        decision: stored?.decision ?? null,
        decidedAt: stored?.decidedAt ?? null,
      };
    });
  }

  listDeployments(): Promise<Deployment[]> {
    return this.store.listDeploymentsForStatus(this.clock());
  }
}

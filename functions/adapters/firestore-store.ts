/**
 * Firestore persistence. The collections are documented in docs/data-model.md; ids are
 * natural keys so an operator can find a document in the console by what it is about.
 *
 *   versions/{version}                    one per configured version: config mirror, operator switches
 *   branches/{owner:repo:branch}          head of a followed branch
 *   branches/{owner:repo:branch}/commits/{sha}   every recorded commit of that branch
 *   deliveries/{X-GitHub-Delivery}        webhook delivery claims (exactly-once intake)
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type DocumentData,
  type DocumentReference,
  type DocumentSnapshot,
  Firestore,
  Timestamp,
  type Transaction,
} from '@google-cloud/firestore';
import {
  advanceHead,
  type DeliveryClaim,
  decideExistingClaim,
  deliveryLeaseExpiry,
  type HeadDecision,
} from '../core/intake.js';
import { branchDocId } from '../core/names.js';
import type { BranchHead, PushEvent, VersionConfig } from '../core/types.js';

export const COLLECTIONS = {
  versions: 'versions',
  branches: 'branches',
  commits: 'commits',
  deliveries: 'deliveries',
} as const;

/** How long a delivery claim is kept (a TTL policy on `expireAt` deletes it afterwards). */
export const DELIVERY_RETENTION_DAYS = 30;

/** Commits written inside the intake transaction; more are written just before it (Firestore caps a commit at 500 writes). */
export const MAX_COMMITS_IN_TRANSACTION = 400;

/** gRPC ALREADY_EXISTS, what `create()` fails with when the document exists. */
const ALREADY_EXISTS = 6;

export type RecordPushResult =
  | { kind: 'duplicate'; status: 'recorded' | 'processing' }
  | { kind: 'recorded'; head: HeadDecision; commitsRecorded: number };

/** What the intake needs from storage. */
export interface IntakeStore {
  /** Records a push's commits and moves its branch head, exactly once per delivery id. */
  recordPush(push: PushEvent, branch: string, versions: string[], now: Date): Promise<RecordPushResult>;
  /** Creates or refreshes the per-version documents from the config; operator fields are kept. */
  syncVersions(versions: VersionConfig[], now: Date): Promise<void>;
  /** Reads the recorded head of a branch, or null. */
  getBranchHead(repo: string, branch: string): Promise<BranchHead | null>;
}

function toDate(value: unknown): Date | null {
  return value instanceof Timestamp ? value.toDate() : value instanceof Date ? value : null;
}

function headFromDoc(snapshot: DocumentSnapshot): BranchHead | null {
  const data = snapshot.data();
  if (!data) return null;
  return {
    repo: String(data.repo),
    branch: String(data.branch),
    sha: String(data.sha),
    deleted: data.deleted === true,
    updatedAt: toDate(data.updatedAt) ?? new Date(0),
    pushedAt: toDate(data.pushedAt),
    forced: data.forced === true,
    source: data.source === 'poll' ? 'poll' : 'webhook',
    deliveryId: typeof data.deliveryId === 'string' ? data.deliveryId : null,
    recentShas: Array.isArray(data.recentShas) ? data.recentShas.map(String) : [],
  };
}

function claimFromDoc(data: DocumentData): DeliveryClaim {
  return {
    status: data.status === 'recorded' ? 'recorded' : 'processing',
    claimToken: String(data.claimToken ?? ''),
    leaseExpiresAt: toDate(data.leaseExpiresAt) ?? new Date(0),
  };
}

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ALREADY_EXISTS;
}

function commitDoc(push: PushEvent, branch: string, commit: PushEvent['commits'][number], now: Date) {
  return {
    sha: commit.sha,
    message: commit.message,
    author: commit.author,
    timestamp: commit.timestamp,
    url: commit.url,
    distinct: commit.distinct,
    repo: push.repo,
    branch,
    pusher: push.pusher,
    source: push.source,
    deliveryId: push.deliveryId,
    isHeadOfPush: commit.sha === push.after,
    recordedAt: now,
  };
}

/** `branches/{owner:repo:branch}`: shared by the intake and the pipeline stores. */
export function branchDocRef(db: Firestore, repo: string, branch: string): DocumentReference {
  return db.collection(COLLECTIONS.branches).doc(branchDocId(repo, branch));
}

/** `versions/{version}`: shared by the intake and the pipeline stores. */
export function versionDocRef(db: Firestore, version: string): DocumentReference {
  return db.collection(COLLECTIONS.versions).doc(version);
}

/** The Store on Firestore. Pass a Firestore client; the default one uses the ambient project and credentials. */
export class FirestoreStore implements IntakeStore {
  constructor(readonly db: Firestore = new Firestore()) {}

  branchRef(repo: string, branch: string): DocumentReference {
    return branchDocRef(this.db, repo, branch);
  }

  deliveryRef(deliveryId: string): DocumentReference {
    return this.db.collection(COLLECTIONS.deliveries).doc(deliveryId);
  }

  versionRef(version: string): DocumentReference {
    return versionDocRef(this.db, version);
  }

  async getBranchHead(repo: string, branch: string): Promise<BranchHead | null> {
    return headFromDoc(await this.branchRef(repo, branch).get());
  }

  async recordPush(
    push: PushEvent,
    branch: string,
    versions: string[],
    now: Date,
  ): Promise<RecordPushResult> {
    const claimRef = this.deliveryRef(push.deliveryId);
    const claimToken = randomUUID();
    const duplicate = await this.claimDelivery(claimRef, claimToken, push, branch, now);
    if (duplicate) return duplicate;
    try {
      return await this.recordClaimedPush(claimRef, claimToken, push, branch, versions, now);
    } catch (err) {
      // Release the claim so that a redelivery (GitHub's "Redeliver" button) can record the push.
      await this.releaseClaim(claimRef, claimToken).catch(() => {
        // The lease expires by itself; the original error is the one to report.
      });
      throw err;
    }
  }

  /** Claims the delivery id; returns a duplicate result when someone else has it. */
  private async claimDelivery(
    claimRef: DocumentReference,
    claimToken: string,
    push: PushEvent,
    branch: string,
    now: Date,
  ): Promise<RecordPushResult | null> {
    const claim = {
      deliveryId: push.deliveryId,
      source: push.source,
      repo: push.repo,
      ref: push.ref,
      branch,
      before: push.before,
      after: push.after,
      status: 'processing',
      claimToken,
      claimedAt: now,
      leaseExpiresAt: deliveryLeaseExpiry(now),
      expireAt: new Date(now.getTime() + DELIVERY_RETENTION_DAYS * 24 * 3600 * 1000),
    };
    try {
      // create() fails if the document exists: concurrent redeliveries race on it without a transaction.
      await claimRef.create(claim);
      return null;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(claimRef);
      const data = snapshot.data();
      if (!data) {
        tx.create(claimRef, claim);
        return null;
      }
      const decision = decideExistingClaim(claimFromDoc(data), now);
      if (decision.kind === 'duplicate') return decision;
      tx.update(claimRef, { claimToken, claimedAt: now, leaseExpiresAt: claim.leaseExpiresAt });
      return null;
    });
  }

  private async recordClaimedPush(
    claimRef: DocumentReference,
    claimToken: string,
    push: PushEvent,
    branch: string,
    versions: string[],
    now: Date,
  ): Promise<RecordPushResult> {
    const branchRef = this.branchRef(push.repo, branch);
    const commitsRef = branchRef.collection(COLLECTIONS.commits);
    const overflow = push.commits.slice(0, Math.max(0, push.commits.length - MAX_COMMITS_IN_TRANSACTION));
    // Writing a commit is idempotent (keyed by sha, same content), so these may go first, outside the transaction.
    for (let start = 0; start < overflow.length; start += MAX_COMMITS_IN_TRANSACTION) {
      const batch = this.db.batch();
      for (const commit of overflow.slice(start, start + MAX_COMMITS_IN_TRANSACTION)) {
        batch.set(commitsRef.doc(commit.sha), commitDoc(push, branch, commit, now));
      }
      await batch.commit();
    }
    const inTransaction = push.commits.slice(overflow.length);

    return this.db.runTransaction(async (tx: Transaction): Promise<RecordPushResult> => {
      const [claimSnapshot, headSnapshot] = await tx.getAll(claimRef, branchRef);
      const claim = claimSnapshot.data();
      if (!claim || claim.claimToken !== claimToken) {
        // Our lease expired and a redelivery took the claim over: it records the push.
        return { kind: 'duplicate', status: claim?.status === 'recorded' ? 'recorded' : 'processing' };
      }
      const decision = advanceHead(headFromDoc(headSnapshot), push, branch, now);
      for (const commit of inTransaction) {
        tx.set(commitsRef.doc(commit.sha), commitDoc(push, branch, commit, now));
      }
      if (decision.isMoved) {
        tx.set(branchRef, { ...decision.head, versions });
        for (const version of versions) {
          tx.set(
            this.versionRef(version),
            {
              branchHead: {
                sha: decision.head.sha,
                deleted: decision.head.deleted,
                updatedAt: now,
                source: push.source,
              },
            },
            { merge: true },
          );
        }
      }
      tx.update(claimRef, {
        status: 'recorded',
        recordedAt: now,
        headOutcome: decision.outcome,
        commitCount: push.commits.length,
        versions,
      });
      return { kind: 'recorded', head: decision, commitsRecorded: push.commits.length };
    });
  }

  private async releaseClaim(claimRef: DocumentReference, claimToken: string): Promise<void> {
    await this.db.runTransaction(async (tx) => {
      const snapshot = await tx.get(claimRef);
      const data = snapshot.data();
      if (data && data.claimToken === claimToken && data.status === 'processing') tx.delete(claimRef);
    });
  }

  async syncVersions(versions: VersionConfig[], now: Date): Promise<void> {
    const refs = versions.map((version) => this.versionRef(version.name));
    await this.db.runTransaction(async (tx) => {
      const snapshots = refs.length > 0 ? await tx.getAll(...refs) : [];
      versions.forEach((version, index) => {
        const ref = refs[index];
        const existing = snapshots[index]?.data();
        if (!ref) return;
        const config = {
          repo: version.repo,
          branch: version.branch,
          kfDefPath: version.kfDefPath,
          kfctlUrl: version.kfctlUrl,
          configPaused: version.paused,
          policy: version.policy,
        };
        if (existing && isDeepStrictEqual(existing.config, config)) return;
        const operatorDefaults = existing ? {} : { paused: false, pausedReason: '', forceRedeploy: false };
        tx.set(
          ref,
          { name: version.name, ...operatorDefaults, config, configSyncedAt: now },
          { merge: true },
        );
      });
    });
  }
}

/** A Firestore client for the configured project; talks to the emulator when one is configured. */
export function createFirestore(projectId: string, emulatorHost: string | null): Firestore {
  if (emulatorHost)
    return new Firestore({ projectId, host: emulatorHost, ssl: false, ignoreUndefinedProperties: true });
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

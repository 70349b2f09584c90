/**
 * The status function's reads for the timelines and the history page (core/timeline.ts,
 * core/history.ts). Single-field queries, except one page of a version's deployments newest first
 * (`version` + `createdAt`), whose composite index firestore.indexes.json declares: reading every
 * deployment of a version to sort it here would grow with the version's whole past.
 */
import type { DocumentData, DocumentSnapshot, Firestore, Query } from '@google-cloud/firestore';
import type { CommitView, HistoryQuery, VersionHistory } from '../../core/history.js';
import type { PushView, TimelineView } from '../../core/timeline.js';
import type { Deployment, VersionConfig } from '../../core/types.js';
import { requestFromDoc, requiredDate, toDate, uniqueDeployments } from './codec.js';
import { leasesFromDocs } from './lease-codec.js';
import { branchRef, COLLECTIONS, deploymentRef, deploymentsCollection, getAll, requestRef } from './refs.js';

/** Firestore's bound on the values of one `in` filter. */
const MAX_IN_VALUES = 30;

/** A document id that Firestore accepts (no `/`, not empty, not `.` or `..`). */
function isDocId(id: string): boolean {
  return id !== '' && id !== '.' && id !== '..' && !id.includes('/');
}

function authorOf(data: DocumentData): CommitView['author'] {
  const author = data.author;
  if (!author || typeof author !== 'object') return null;
  return {
    name: String(author.name ?? ''),
    email: typeof author.email === 'string' ? author.email : null,
    username: typeof author.username === 'string' ? author.username : null,
  };
}

/** Reads a branches/{id}/commits/{sha} document. */
export function commitFromDoc(snapshot: DocumentSnapshot): CommitView | null {
  const data = snapshot.data();
  if (!data) return null;
  return {
    sha: snapshot.id,
    message: String(data.message ?? ''),
    author: authorOf(data),
    timestamp: toDate(data.timestamp),
    recordedAt: toDate(data.recordedAt),
    url: typeof data.url === 'string' ? data.url : null,
    pusher: typeof data.pusher === 'string' ? data.pusher : null,
  };
}

/** The heads of the pushes recorded since `since` on each version's branch, as timeline markers. */
async function readPushes(
  db: Firestore,
  versions: readonly VersionConfig[],
  since: Date,
): Promise<PushView[]> {
  const branches = new Map<string, VersionConfig[]>();
  for (const version of versions) {
    const key = branchRef(db, version.repo, version.branch).path;
    branches.set(key, [...(branches.get(key) ?? []), version]);
  }
  const perBranch = await Promise.all(
    [...branches.values()].map(async (following) => {
      const first = following[0] as VersionConfig;
      const commits = branchRef(db, first.repo, first.branch).collection(COLLECTIONS.commits);
      const snapshot = await commits.where('recordedAt', '>=', since).get();
      const heads = snapshot.docs.filter((doc) => doc.get('isHeadOfPush') === true);
      return following.flatMap((version) => heads.map((doc) => pushOf(version.name, doc)));
    }),
  );
  return perBranch.flat().sort((a, b) => a.at.getTime() - b.at.getTime());
}

function pushOf(version: string, doc: DocumentSnapshot): PushView {
  const commit = commitFromDoc(doc) as CommitView;
  return {
    version,
    sha: commit.sha,
    message: commit.message,
    author: commit.author?.username ?? (commit.author?.name || null),
    at: requiredDate(doc.get('recordedAt')),
  };
}

/** What the timelines need since `since`: deployments deleted since, leases closed since, pushes. */
export async function readTimelineView(
  db: Firestore,
  versions: readonly VersionConfig[],
  since: Date,
): Promise<TimelineView> {
  const [deleted, closed, pushes] = await Promise.all([
    deploymentsCollection(db).where('deletedAt', '>=', since).get(),
    db.collection(COLLECTIONS.leases).where('closedAt', '>=', since).get(),
    readPushes(db, versions, since),
  ]);
  return { deletedDeployments: uniqueDeployments(deleted.docs), leases: leasesFromDocs(closed.docs), pushes };
}

/** The documents of `query` run once per `MAX_IN_VALUES` values of an `in` filter on `field`. */
async function inChunks(
  values: readonly string[],
  run: (chunk: string[]) => Query,
): Promise<DocumentSnapshot[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < values.length; i += MAX_IN_VALUES) chunks.push(values.slice(i, i + MAX_IN_VALUES));
  const results = await Promise.all(chunks.map((chunk) => run(chunk).get()));
  return results.flatMap((result) => result.docs);
}

/** The requests, commits and leases that explain `deployments`. */
async function readExplanations(
  db: Firestore,
  deployments: readonly Deployment[],
): Promise<Omit<VersionHistory, 'deployments' | 'hasMore'>> {
  const instances = deployments.map((d) => d.instance);
  const requestIds = [...new Set(deployments.map((d) => d.requestId).filter(isDocId))];
  const commitRefs = new Map(
    deployments
      .filter((d) => isDocId(d.commit))
      .map((d) => branchRef(db, d.repo, d.branch).collection(COLLECTIONS.commits).doc(d.commit))
      .map((ref) => [ref.path, ref]),
  );
  const [launches, teardowns, commits, leases] = await Promise.all([
    getAll(
      db,
      requestIds.map((id) => requestRef(db, id)),
    ),
    inChunks(instances, (chunk) => db.collection(COLLECTIONS.deployRequests).where('instance', 'in', chunk)),
    getAll(db, [...commitRefs.values()]),
    inChunks(instances, (chunk) => db.collection(COLLECTIONS.leases).where('instance', 'in', chunk)),
  ]);
  const requests = new Map(
    [...launches, ...teardowns].flatMap((doc) => {
      const request = requestFromDoc(doc);
      return request ? [[request.id, request] as const] : [];
    }),
  );
  return {
    requests: [...requests.values()],
    commits: commits.map(commitFromDoc).filter((commit): commit is CommitView => commit !== null),
    leases: leasesFromDocs(leases),
  };
}

/** One page of a version's history; null when `after` names no deployment of the version. */
export async function readVersionHistoryPage(
  db: Firestore,
  query: HistoryQuery,
): Promise<VersionHistory | null> {
  let page = deploymentsCollection(db)
    .where('version', '==', query.version)
    .orderBy('createdAt', 'desc')
    .limit(query.limit + 1);
  if (query.after !== null) {
    const after = isDocId(query.after) ? await deploymentRef(db, query.after).get() : null;
    if (!after?.exists || after.get('version') !== query.version) return null;
    page = page.startAfter(after);
  }
  const found = uniqueDeployments((await page.get()).docs).slice(0, query.limit + 1);
  const deployments = found.slice(0, query.limit);
  return {
    deployments,
    hasMore: found.length > query.limit,
    ...(await readExplanations(db, deployments)),
  };
}

/**
 * A version's history, as the history page (`/versions/<name>`) shows it: every deployment, newest
 * first, a page at a time, each with its state changes, the requests that launched and collected it,
 * its commit and its leases. The types of what the store reads, and the pure assembly. Pure.
 */
import type { Lease } from './leases.js';
import { type Segment, stateSegments } from './timeline.js';
import type { CommitAuthor, Deployment, DeployRequest } from './types.js';

/** Deployments per history page. */
export const HISTORY_PAGE_SIZE = 20;

/** A recorded commit (branches/{id}/commits/{sha}), as the history shows it. */
export interface CommitView {
  sha: string;
  message: string;
  author: CommitAuthor | null;
  /** The commit's own time (author date), when known. */
  timestamp: Date | null;
  /** When the push that brought it was recorded. */
  recordedAt: Date | null;
  url: string | null;
  pusher: string | null;
}

/** One page of a version's history: which version, after which instance (newest first), how many. */
export interface HistoryQuery {
  version: string;
  /** The last instance of the previous page, or null for the first page. */
  after: string | null;
  limit: number;
}

/** What the store read for one page of a version's history. */
export interface VersionHistory {
  /** At most `limit` deployments, newest first. */
  deployments: Deployment[];
  /** True when older deployments follow. */
  hasMore: boolean;
  /** The deploy requests that launched them and the teardown requests of them. */
  requests: DeployRequest[];
  /** Their commits, as recorded (a commit never recorded, e.g. of an adopted cluster, is missing). */
  commits: CommitView[];
  /** Every lease of them still on record (closed ones are kept a week). */
  leases: Lease[];
}

/** One deployment with everything that explains it. */
export interface DeploymentHistory {
  deployment: Deployment;
  /** Its states, oldest first; the last is open while it lives. */
  states: Segment[];
  /** When it was deleted, or null. */
  deletedAt: Date | null;
  /** The deploy request that launched it (why), when still on record. */
  launchRequest: DeployRequest | null;
  /** The teardown requests of it (why it was collected), oldest first. */
  teardownRequests: DeployRequest[];
  commit: CommitView | null;
  /** Its leases, oldest first. */
  leases: Lease[];
}

const byCreated = (a: { createdAt: Date }, b: { createdAt: Date }) =>
  a.createdAt.getTime() - b.createdAt.getTime();

/** The instance a `?after=` cursor names, or null when it is absent or cannot be an instance name. */
export function parseHistoryCursor(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return /^[a-z0-9][a-z0-9-]{0,99}$/.test(value) ? value : null;
}

function deletedAtOf(d: Deployment): Date | null {
  const deleted = d.transitions?.find((t) => t.status === 'deleted');
  if (deleted) return deleted.at;
  return d.status === 'deleted' ? (d.deletedAt ?? d.updatedAt) : null;
}

/** Each deployment of the page with its requests, commit and leases, newest first. */
export function assembleHistory(history: VersionHistory, now: Date): DeploymentHistory[] {
  const requestById = new Map(history.requests.map((request) => [request.id, request]));
  const commitBySha = new Map(history.commits.map((commit) => [commit.sha, commit]));
  return history.deployments.map((deployment) => ({
    deployment,
    states: stateSegments(deployment, now),
    deletedAt: deletedAtOf(deployment),
    launchRequest: requestById.get(deployment.requestId) ?? null,
    teardownRequests: history.requests
      .filter((request) => request.action === 'teardown' && request.instance === deployment.instance)
      .sort(byCreated),
    commit: commitBySha.get(deployment.commit) ?? null,
    leases: history.leases.filter((lease) => lease.instance === deployment.instance).sort(byCreated),
  }));
}

/**
 * The status API's JSON, and the ordering the page and the API share. Pure: `now` is a parameter.
 */
import { describeDecision } from './describe.js';
import { type LeaseSummaryJson, leaseSummaryToJson } from './lease-json.js';
import type { Lease } from './leases.js';
import { kfctlVersion } from './names.js';
import type { Deployment, GitHubDeploymentRecord, VersionDecision, VersionView } from './types.js';

/** `https://github.com/<owner>/<name>/commit/<sha>` */
export function githubCommitUrl(repo: string, sha: string): string {
  return `https://github.com/${encodeRepo(repo)}/commit/${encodeURIComponent(sha)}`;
}

/** `https://github.com/<owner>/<name>/tree/<branch>` (the branch's slashes kept as path separators). */
export function githubBranchUrl(repo: string, branch: string): string {
  return `https://github.com/${encodeRepo(repo)}/tree/${branch.split('/').map(encodeURIComponent).join('/')}`;
}

function encodeRepo(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

/** Newest first by `createdAt`; ties by instance name, so the order is stable. */
export function deploymentsNewestFirst(deployments: readonly Deployment[]): Deployment[] {
  return [...deployments].sort(
    (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.instance.localeCompare(b.instance),
  );
}

/** The newest `ready` deployment of `version`, or null. */
export function latestReadyDeployment(
  deployments: readonly Deployment[],
  version: string,
): Deployment | null {
  return (
    deploymentsNewestFirst(deployments).find((d) => d.version === version && d.status === 'ready') ?? null
  );
}

// ---------------------------------------------------------------------------------------------------------
// JSON

type Jsonified<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

/** The last readiness probe in the API. */
export interface ProbeJson {
  at: string;
  status: number | null;
  ok: boolean;
  error: string | null;
  consecutiveFailures: number;
}

/** What the API shows of a deployment's GitHub deployment (GITHUB_DEPLOYMENTS). */
export type GitHubDeploymentJson = Jsonified<Omit<GitHubDeploymentRecord, 'leaseExpiresAt'>>;

/** A deployment in the API: dates as ISO strings, plus the derived kfctl version and commit link. */
export type DeploymentJson = Jsonified<
  Omit<
    Deployment,
    'probe' | 'cluster' | 'transitions' | 'verifyingAt' | 'nextTeardownAt' | 'teardownFinishedAt' | 'github'
  >
> & {
  kfctlVersion: string;
  commitUrl: string;
  /** Which launch of its commit (1 for the first). */
  attempt: number;
  /** How the record came to be. */
  origin: 'launch' | 'adopted';
  verifyingAt: string | null;
  probe: ProbeJson | null;
  /** Whether the cloud inventory last listed its cluster (null: not checked). */
  clusterListed: boolean | null;
  teardownAttempts: number;
  nextTeardownAt: string | null;
  /** The live leases on it (owner, until when). */
  leases: LeaseSummaryJson[];
  /** Null when no GitHub deployment was ever attempted. */
  github: GitHubDeploymentJson | null;
};

/** A planner decision in the API, with the same fields whatever its kind, and `text` in words. */
export interface DecisionJson {
  kind: VersionDecision['kind'];
  reason: string;
  /** The commit concerned, when there is one. */
  commit: string | null;
  /** wait/rate-limited: when the limit opens. */
  until: string | null;
  /** deploy: the earliest time the worker may act. */
  notBefore: string | null;
  /** wait/at-capacity: how many instances are active. */
  active: number | null;
  text: string;
}

export interface VersionJson {
  name: string;
  repo: string;
  branch: string;
  kfctlUrl: string;
  kfctlVersion: string;
  paused: boolean;
  head: { sha: string; deleted: boolean; updatedAt: string } | null;
  /** Null before the planner's first pass. */
  decision: DecisionJson | null;
  decidedAt: string | null;
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

/** `leases`: the live leases (those of other instances are ignored). */
export function deploymentToJson(d: Deployment, leases: readonly Lease[]): DeploymentJson {
  return {
    instance: d.instance,
    version: d.version,
    repo: d.repo,
    branch: d.branch,
    commit: d.commit,
    reason: d.reason,
    requestId: d.requestId,
    status: d.status,
    namespace: d.namespace,
    jobName: d.jobName,
    teardownJobName: d.teardownJobName,
    kfctlUrl: d.kfctlUrl,
    kfDefUrl: d.kfDefUrl,
    endpoint: d.endpoint,
    credentialsCommand: d.credentialsCommand,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    readyAt: iso(d.readyAt),
    finishedAt: iso(d.finishedAt),
    deletingAt: iso(d.deletingAt),
    deletedAt: iso(d.deletedAt),
    launchLeaseExpiresAt: iso(d.launchLeaseExpiresAt),
    error: d.error,
    kfctlVersion: kfctlVersion(d.kfctlUrl),
    commitUrl: githubCommitUrl(d.repo, d.commit),
    attempt: d.attempt ?? 1,
    origin: d.origin ?? 'launch',
    verifyingAt: iso(d.verifyingAt ?? null),
    probe: d.probe ? { ...d.probe, at: d.probe.at.toISOString() } : null,
    clusterListed: d.cluster ? d.cluster.listed : null,
    teardownAttempts: d.teardownAttempts ?? 0,
    nextTeardownAt: iso(d.nextTeardownAt ?? null),
    leases: leases.filter((lease) => lease.instance === d.instance).map(leaseSummaryToJson),
    github: d.github ? githubToJson(d.github) : null,
  };
}

function githubToJson(record: GitHubDeploymentRecord): GitHubDeploymentJson {
  return {
    deploymentId: record.deploymentId,
    state: record.state,
    postedAt: iso(record.postedAt),
    error: record.error,
    attempts: record.attempts,
    retryAt: iso(record.retryAt),
  };
}

export function decisionToJson(decision: VersionDecision, now: Date): DecisionJson {
  const text = describeDecision(decision, now);
  if (decision.kind === 'deploy') {
    return {
      kind: 'deploy',
      reason: decision.reason,
      commit: decision.commit,
      until: null,
      notBefore: decision.notBefore.toISOString(),
      active: null,
      text,
    };
  }
  return {
    kind: 'wait',
    reason: decision.reason,
    commit: decision.commit ?? null,
    until: iso(decision.until ?? null),
    notBefore: null,
    active: decision.active ?? null,
    text,
  };
}

export function versionToJson(view: VersionView, now: Date): VersionJson {
  return {
    name: view.name,
    repo: view.repo,
    branch: view.branch,
    kfctlUrl: view.kfctlUrl,
    kfctlVersion: kfctlVersion(view.kfctlUrl),
    paused: view.paused,
    head: view.head && {
      sha: view.head.sha,
      deleted: view.head.deleted,
      updatedAt: view.head.updatedAt.toISOString(),
    },
    decision: view.decision && decisionToJson(view.decision, now),
    decidedAt: iso(view.decidedAt),
  };
}

// ---------------------------------------------------------------------------------------------------------
// HTML

/** What the status page shows. */

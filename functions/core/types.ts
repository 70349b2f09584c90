/**
 * Plain data shared by the pure core, the adapters and the functions.
 * Nothing here knows about Firestore, Cloud Tasks, Kubernetes or HTTP.
 */

/** Rate limits and garbage-collection ages; units are in the names. */
export interface Policy {
  /** At least this long between two launches of one version. */
  minMinutesBetweenDeployments: number;
  /** At most this many instances launching, deploying or ready, over all versions. */
  maxActiveDeployments: number;
  /** Redeploy a version this long after its last launch even when its branch has not moved. */
  periodicRedeployHours: number;
  /** An instance is never collected before it is this old. */
  minLifetimeHours: number;
  /** An instance is collected only once the next newer one is this old (and ready). */
  gracePeriodHours: number;
}

/** The policy fields a version may override; `maxActiveDeployments` is global. */
export type VersionPolicyOverrides = Partial<Omit<Policy, 'maxActiveDeployments'>>;

/** One auto-deployed version, with its effective (global merged with override) policy. */
export interface VersionConfig {
  /** Short name; part of Job names, labels and instance names (`kf-<name>-MMDD-abc`). */
  name: string;
  /** GitHub repository `owner/name` holding the KfDef. */
  repo: string;
  /** Branch of `repo` this version follows. */
  branch: string;
  /** Path of the KfDef file inside `repo`. */
  kfDefPath: string;
  /** Where the deploy Job downloads kfctl from. */
  kfctlUrl: string;
  /** Paused in the config file (operators can also pause in Firestore). */
  paused: boolean;
  policy: Policy;
}

/** The validated content of deployments.yaml. */
export interface DeploymentsConfig {
  /** The GCP project Kubeflow instances are deployed into. */
  project: string;
  /** The GCP zone of the instances' clusters. */
  zone: string;
  /** Kubernetes namespace where the deploy Jobs run. */
  namespace: string;
  policy: Policy;
  versions: VersionConfig[];
}

/** Where a recorded commit or head came from. */
export type IntakeSource = 'webhook' | 'poll';

export interface CommitAuthor {
  name: string;
  email: string | null;
  username: string | null;
}

/** One commit of a push, as recorded. */
export interface PushCommit {
  sha: string;
  message: string;
  author: CommitAuthor;
  /** The commit's own timestamp (author date), when known. */
  timestamp: Date | null;
  url: string | null;
  /** False when the commit was already on another branch of the repository. */
  distinct: boolean;
}

/** A push to a git ref, normalised from a webhook payload or a REST poll. */
export interface PushEvent {
  source: IntakeSource;
  /** `X-GitHub-Delivery` of a webhook; a synthetic id for a poll. */
  deliveryId: string;
  /** `owner/name` as GitHub spells it. */
  repo: string;
  /** Full ref, e.g. `refs/heads/main` or `refs/tags/v1`. */
  ref: string;
  /** Head before the push; all zeros when the ref was created. */
  before: string;
  /** Head after the push; all zeros when the ref was deleted. */
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  /** Who pushed (GitHub login or name). */
  pusher: string | null;
  /** When GitHub says the repository was pushed (`repository.pushed_at`). */
  pushedAt: Date | null;
  commits: PushCommit[];
}

/** What is recorded about the head of one followed branch. */
export interface BranchHead {
  repo: string;
  branch: string;
  /** The head commit; after a deletion, the last commit the branch had. */
  sha: string;
  deleted: boolean;
  /** When this record last changed. */
  updatedAt: Date;
  /** `pushedAt` of the push that set this head, when known. */
  pushedAt: Date | null;
  /** Whether the push that set this head was a forced push. */
  forced: boolean;
  source: IntakeSource;
  deliveryId: string | null;
  /** Commits this head has moved past, newest first (bounded): a late delivery of one of them is stale. */
  recentShas: string[];
}

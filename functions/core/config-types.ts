/**
 * The validated deployments file (templates/deployments.yaml), as the pure core reads it.
 * Parsed and checked by config/deployments-file.ts.
 */

/** Rate limits, retries, timeouts and garbage-collection ages; units are in the names (rules: core/policy.ts). */
export interface Policy {
  /** At least this long between two launches of one version. */
  minMinutesBetweenDeployments: number;
  /** At most this many instances that may hold cloud resources, over all versions. */
  maxActiveDeployments: number;
  /** Redeploy a version this long after its last launch even when its branch has not moved. */
  periodicRedeployHours: number;
  /** An instance is never collected before it is this old. */
  minLifetimeHours: number;
  /** An instance is collected only once the next newer one is this old (and ready). */
  gracePeriodHours: number;
  /** How many launches of one commit may fail before the version waits for a new commit (or the periodic rule). */
  maxDeployAttempts: number;
  /** Wait after a failed launch before the next attempt; doubles with each attempt (never sooner than the rate limit). */
  retryBackoffMinutes: number;
  /** A deploy Job running longer is stopped by Kubernetes (`activeDeadlineSeconds`) and counts as failed. */
  deployTimeoutMinutes: number;
  /** Finished deploy and teardown Jobs are deleted this long after the record no longer needs them. */
  jobRetentionHours: number;
  /** Failed, lost and unhealthy instances are collected this long after they stopped serving. */
  failedRetentionHours: number;
  /** How many teardowns may leave the cluster behind before the instance is `teardown-failed`. */
  maxTeardownAttempts: number;
}

/**
 * Readiness: a completed deploy Job means kfctl finished, not that Kubeflow answers. When enabled, an
 * instance is `verifying` until its endpoint answers an expected status, and each tick probes the
 * instances in service.
 */
export interface ReadinessConfig {
  enabled: boolean;
  /** Placeholders `{instance}`, `{version}`, `{project}`, `{zone}`. */
  url: string;
  /** Statuses that mean "up" (IAP answers 302 to its login page). Redirects are not followed. */
  expectStatus: number[];
  timeoutSeconds: number;
  /** Failed probes in a row that make a ready instance `unhealthy`. */
  failuresToUnhealthy: number;
  /** A verifying instance that has not answered within this long is `failed`. */
  verifyTimeoutMinutes: number;
}

/** The cloud inventory: each tick lists the GKE clusters of the project and zone and reconciles. */
export interface InventoryConfig {
  enabled: boolean;
  /** Record clusters named like a configured version's instances that no record knows (`adopted`). */
  adopt: boolean;
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
  /** The effective readiness check (global merged with the version's override). */
  readiness: ReadinessConfig;
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
  readiness: ReadinessConfig;
  inventory: InventoryConfig;
  versions: VersionConfig[];
}

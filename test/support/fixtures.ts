/**
 * Pure fixture builders shared by the unit and integration suites: whole `Deployment`, `DeployRequest`,
 * `VersionConfig`, `VersionState` and `VersionView` values with plain defaults, any field replaceable.
 * No clock and no I/O: every time a fixture carries is one its caller gives.
 */
import type { Lease } from '../../functions/core/leases.js';
import type {
  Deployment,
  DeployRequest,
  Policy,
  ReadinessConfig,
  VersionConfig,
  VersionState,
  VersionSwitches,
  VersionView,
} from '../../functions/core/types.js';

/** The policy the suites plan with: the original reconciler's numbers, spelled out. */
export const TEST_POLICY: Policy = {
  minMinutesBetweenDeployments: 20,
  maxActiveDeployments: 10,
  periodicRedeployHours: 12,
  minLifetimeHours: 3,
  gracePeriodHours: 3,
  maxDeployAttempts: 3,
  retryBackoffMinutes: 20,
  deployTimeoutMinutes: 120,
  jobRetentionHours: 72,
  failedRetentionHours: 1,
  maxTeardownAttempts: 3,
};

/** Readiness as the suites plan with it: off unless a test turns it on (Job completion means ready). */
export const TEST_READINESS: ReadinessConfig = {
  enabled: false,
  url: 'https://{instance}.endpoints.{project}.cloud.goog/',
  expectStatus: [200, 302, 401, 403],
  timeoutSeconds: 10,
  failuresToUnhealthy: 3,
  verifyTimeoutMinutes: 30,
};

/** A real kfctl release; the status page shows its version, `v1.0-0-g94c35cf`. */
export const KFCTL_URL =
  'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0-0-g94c35cf_linux.tar.gz';

/** The commit a fixture is of unless told otherwise. */
export const FIXTURE_SHA = 'a'.repeat(40);

const REPO = 'kubeflow/manifests';

/**
 * A deployment of version master (kubeflow/manifests@master) at `FIXTURE_SHA`, with nothing launched
 * recorded (no Job, empty URLs) and no time but `createdAt`, which `updatedAt` follows.
 */
export function makeDeployment(
  fields: Partial<Deployment> & Pick<Deployment, 'instance' | 'status' | 'createdAt'>,
): Deployment {
  const defaults: Deployment = {
    instance: fields.instance,
    version: 'master',
    repo: REPO,
    branch: 'master',
    commit: FIXTURE_SHA,
    reason: 'new-commit',
    requestId: `req-${fields.instance}`,
    status: fields.status,
    namespace: 'auto-deploy',
    jobName: null,
    teardownJobName: null,
    kfctlUrl: '',
    kfDefUrl: '',
    endpoint: '',
    credentialsCommand: '',
    createdAt: fields.createdAt,
    updatedAt: fields.createdAt,
    readyAt: null,
    finishedAt: null,
    deletingAt: null,
    deletedAt: null,
    launchLeaseExpiresAt: null,
    error: null,
  };
  return { ...defaults, ...fields };
}

/** Where an instance was launched: the GCP project (zone us-east1-d) and the Jobs' namespace. */
export interface LaunchTarget {
  project: string;
  namespace: string;
  /** `KFCTL_URL` unless given. */
  kfctlUrl?: string;
  /** `kfdef/kfctl_gcp_iap.yaml` unless given. */
  kfDefPath?: string;
}

/**
 * The fields the launcher records for `instance` of kubeflow/manifests at `commit`: the commit, the
 * namespace, the kfctl and KfDef URLs, the IAP endpoint and the gcloud command. Spread into
 * `makeDeployment` before the fields a test changes.
 */
export function launchedFields(
  instance: string,
  commit: string,
  target: LaunchTarget,
): Pick<Deployment, 'commit' | 'namespace' | 'kfctlUrl' | 'kfDefUrl' | 'endpoint' | 'credentialsCommand'> {
  const kfDefPath = target.kfDefPath ?? 'kfdef/kfctl_gcp_iap.yaml';
  return {
    commit,
    namespace: target.namespace,
    kfctlUrl: target.kfctlUrl ?? KFCTL_URL,
    kfDefUrl: `https://raw.githubusercontent.com/${REPO}/${commit}/${kfDefPath}`,
    endpoint: `https://${instance}.endpoints.${target.project}.cloud.goog`,
    credentialsCommand: `gcloud --project=${target.project} container clusters get-credentials --zone=us-east1-d ${instance}`,
  };
}

/**
 * An active lease of `instance` (version master at `FIXTURE_SHA`) held by `kubeflow/examples#1`, taken at
 * `createdAt` for an hour (`expiresAt` unless given), no heartbeat yet, no requestId, nobody authenticated.
 */
export function makeLease(fields: Partial<Lease> & Pick<Lease, 'leaseId' | 'instance' | 'createdAt'>): Lease {
  const defaults: Lease = {
    leaseId: fields.leaseId,
    version: 'master',
    instance: fields.instance,
    commit: FIXTURE_SHA,
    endpoint: `https://${fields.instance}.endpoints.kf-ci.cloud.goog`,
    credentialsCommand: `gcloud container clusters get-credentials ${fields.instance}`,
    owner: 'kubeflow/examples#1',
    requestId: null,
    status: 'active',
    ttlSeconds: 3600,
    createdAt: fields.createdAt,
    expiresAt: new Date(fields.createdAt.getTime() + 3_600_000),
    heartbeatAt: null,
    closedAt: null,
    createdBy: null,
  };
  return { ...defaults, ...fields };
}

/** The status and times of a deployment created at `createdAt` that became ready at `readyAt`. */
export function readyTimes(
  createdAt: Date,
  readyAt: Date = createdAt,
): Pick<Deployment, 'status' | 'createdAt' | 'updatedAt' | 'readyAt' | 'finishedAt'> {
  return { status: 'ready', createdAt, updatedAt: readyAt, readyAt, finishedAt: readyAt };
}

/**
 * A pending deploy request of version master at `FIXTURE_SHA` for a new commit, never enqueued, due when
 * created; `updatedAt` follows `createdAt`.
 */
export function makeDeployRequest(
  fields: Partial<DeployRequest> & Pick<DeployRequest, 'id' | 'createdAt'>,
): DeployRequest {
  const defaults: DeployRequest = {
    id: fields.id,
    action: 'deploy',
    version: 'master',
    commit: FIXTURE_SHA,
    reason: 'new-commit',
    instance: null,
    notBefore: fields.createdAt,
    status: 'pending',
    enqueueCount: 0,
    taskName: null,
    createdAt: fields.createdAt,
    updatedAt: fields.createdAt,
    error: null,
  };
  return { ...defaults, ...fields };
}

/**
 * A deploy request enqueued once (task `t`) as the core sees it at `now`: created and last updated
 * 2 minutes before, due 1 minute before.
 */
export function makeEnqueuedRequest(
  now: Date,
  fields: Partial<DeployRequest> & Pick<DeployRequest, 'id'>,
): DeployRequest {
  const minutesBefore = (minutes: number): Date => new Date(now.getTime() - minutes * 60_000);
  return makeDeployRequest({
    notBefore: minutesBefore(1),
    status: 'enqueued',
    enqueueCount: 1,
    taskName: 't',
    createdAt: minutesBefore(2),
    updatedAt: minutesBefore(2),
    ...fields,
  });
}

/**
 * A version of kubeflow/manifests following the branch of its name (`master` unless given), with
 * `TEST_POLICY`, not paused.
 */
export function makeVersionConfig(fields: Partial<VersionConfig> = {}): VersionConfig {
  const name = fields.name ?? 'master';
  return {
    name,
    repo: REPO,
    branch: name,
    kfDefPath: 'kfdef/k.yaml',
    kfctlUrl: 'https://example.com/kfctl',
    paused: false,
    policy: TEST_POLICY,
    readiness: TEST_READINESS,
    ...fields,
  };
}

export interface VersionStateFields {
  config?: Partial<VersionConfig>;
  switches?: Partial<VersionSwitches>;
  /** `{sha: FIXTURE_SHA, deleted: false}` unless given; null: no head recorded. */
  head?: VersionState['head'];
}

/** A version as the planner sees it: `makeVersionConfig`, both switches off, its head at `FIXTURE_SHA`. */
export function makeVersionState(fields: VersionStateFields = {}): VersionState {
  return {
    config: makeVersionConfig(fields.config),
    switches: { paused: false, forceRedeploy: false, ...fields.switches },
    head: fields.head === undefined ? { sha: FIXTURE_SHA, deleted: false } : fields.head,
  };
}

/**
 * A version as the status page reads it: kubeflow/manifests at the branch of its name (`master` unless
 * given), `KFCTL_URL`, not paused, no head and no decision yet.
 */
export function makeVersionView(fields: Partial<VersionView> = {}): VersionView {
  const name = fields.name ?? 'master';
  return {
    name,
    repo: REPO,
    branch: name,
    kfctlUrl: KFCTL_URL,
    paused: false,
    head: null,
    decision: null,
    decidedAt: null,
    ...fields,
  };
}

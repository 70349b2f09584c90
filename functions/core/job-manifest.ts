/**
 * Job manifests: fills the deploy and teardown Job templates (templates/*.yaml, loaded by
 * functions/job-templates.ts) with the values of one deployment. Pure: the template is deep-cloned,
 * never mutated, and never treated as text; every label value goes through toLabelValue.
 */
import { isValidVersionName, toLabelValue } from './names.js';

/** Label keys the pipeline sets on its Jobs and their pods (the original reconciler's, plus action). */
export const JOB_LABELS = {
  /** "true" on every Job this system creates. */
  autoDeploy: 'auto-deploy',
  /** `deploy` or `teardown`. */
  action: 'auto-deploy-action',
  /** The deployed commit (full sha). */
  commit: 'git-manifests',
  /** The branch, made a valid label value (`v1.0-branch` -> `v1-0-branch`). */
  branch: 'git-manifests-branch',
  version: 'auto-version-name',
  instance: 'kf-name',
} as const;

/** Annotations carry what labels cannot hold as is. */
export const JOB_ANNOTATIONS = {
  commit: 'auto-deploy.kubeflow.org/commit',
  repo: 'auto-deploy.kubeflow.org/repo',
  branch: 'auto-deploy.kubeflow.org/branch',
  requestId: 'auto-deploy.kubeflow.org/request-id',
  kfDefUrl: 'auto-deploy.kubeflow.org/kfdef-url',
  kfctlUrl: 'auto-deploy.kubeflow.org/kfctl-url',
  project: 'auto-deploy.kubeflow.org/project',
  zone: 'auto-deploy.kubeflow.org/zone',
} as const;

/** The container whose command the renderers replace, by template. */
export const DEPLOY_CONTAINER_NAME = 'deploy';
export const TEARDOWN_CONTAINER_NAME = 'teardown';

export type JobAction = 'deploy' | 'teardown';

export interface DeployJobParams {
  /** Version name (a DNS label, see isValidVersionName). */
  version: string;
  /** `owner/name` of the manifests repository. */
  repo: string;
  branch: string;
  /** Full commit sha being deployed. */
  commit: string;
  /** Kubeflow instance name, `kf-<version>-MMDD-abc`. */
  instance: string;
  /** Kubernetes namespace of the Job. */
  namespace: string;
  /** GCP project and zone of the instance. */
  project: string;
  zone: string;
  /** kfctl release tarball URL. */
  kfctlUrl: string;
  /** KfDef URL at the commit: `https://raw.githubusercontent.com/<repo>/<commit>/<path>`. */
  kfDefUrl: string;
  /** The deploy request this Job carries out. */
  requestId: string;
  /**
   * Kubernetes stops the Job after this long (`spec.activeDeadlineSeconds`): a hung kfctl becomes a
   * failed attempt instead of blocking its version. Absent: the template's own value, if any.
   */
  activeDeadlineSeconds?: number;
}

export interface TeardownJobParams {
  version: string;
  instance: string;
  namespace: string;
  project: string;
  /** Recorded as an annotation; delete_kf_instance takes no zone. */
  zone: string;
  requestId: string;
}

/** A template that cannot be filled, or parameters that cannot go in a manifest. */
export class JobManifestError extends Error {
  override name = 'JobManifestError';
}

type Manifest = Record<string, unknown>;

function asObject(value: unknown, where: string): Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JobManifestError(`The Job template has no ${where} object.`);
  return value as Manifest;
}

function requireParams(params: object, action: JobAction): void {
  const { activeDeadlineSeconds, ...texts } = params as { activeDeadlineSeconds?: unknown };
  if (
    activeDeadlineSeconds !== undefined &&
    !(Number.isInteger(activeDeadlineSeconds) && (activeDeadlineSeconds as number) > 0)
  )
    throw new JobManifestError(
      `Cannot render the ${action} Job: activeDeadlineSeconds must be a whole number > 0.`,
    );
  const empty = Object.entries(texts)
    .filter(([, value]) => typeof value !== 'string' || value.trim() === '')
    .map(([key]) => key);
  if (empty.length > 0)
    throw new JobManifestError(`Cannot render the ${action} Job: empty ${empty.join(', ')}.`);
  const { version } = params as { version: string };
  if (!isValidVersionName(version))
    throw new JobManifestError(
      `Cannot render the ${action} Job: version ${JSON.stringify(version)} is not a valid version name (a DNS label of at most 24 characters).`,
    );
}

/** Every label value passed through toLabelValue. */
function sanitizeLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, toLabelValue(value)]));
}

/** The value of `--labels`: `k=v,...`, lower-cased because the instance's GCP labels allow no capitals. */
export function toInstanceLabelsFlag(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value.toLowerCase()}`)
    .join(',');
}

/** Deep-clones `template`, sets generateName, namespace, labels (Job and pod) and annotations, replaces the command. */
function render(
  template: object,
  containerName: string,
  fields: {
    generateName: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    command: string[];
    activeDeadlineSeconds?: number | undefined;
  },
): Manifest {
  const job = structuredClone(template) as Manifest;
  const metadata = asObject(job.metadata ?? {}, 'metadata');
  delete metadata.name;
  metadata.generateName = fields.generateName;
  metadata.namespace = fields.namespace;
  metadata.labels = { ...(metadata.labels as Record<string, string> | undefined), ...fields.labels };
  metadata.annotations = {
    ...(metadata.annotations as Record<string, string> | undefined),
    ...fields.annotations,
  };
  job.metadata = metadata;

  const spec = asObject(job.spec, 'spec');
  if (fields.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = fields.activeDeadlineSeconds;
  const podTemplate = asObject(spec.template, 'spec.template');
  const podMetadata = asObject(podTemplate.metadata ?? {}, 'spec.template.metadata');
  podMetadata.labels = { ...(podMetadata.labels as Record<string, string> | undefined), ...fields.labels };
  podTemplate.metadata = podMetadata;
  const podSpec = asObject(podTemplate.spec, 'spec.template.spec');
  const containers = Array.isArray(podSpec.containers) ? (podSpec.containers as unknown[]) : [];
  const container = containers.find(
    (candidate): candidate is Manifest =>
      typeof candidate === 'object' && candidate !== null && (candidate as Manifest).name === containerName,
  );
  if (!container) throw new JobManifestError(`The Job template has no container named "${containerName}".`);
  container.command = [...fields.command];
  delete container.args;
  return job;
}

/** The command of the deploy container, as the original reconciler built it. */
export function deployCommand(p: DeployJobParams, labelsFlag: string): string[] {
  return [
    'python',
    '-m',
    'kubeflow.testing.create_unique_kf_instance',
    '--apps_dir=/src/apps',
    `--kfctl_path=${p.kfctlUrl}`,
    '--kubeflow_repo=',
    `--name=${p.instance}`,
    `--project=${p.project}`,
    `--zone=${p.zone}`,
    `--kfctl_config=${p.kfDefUrl}`,
    `--labels=${labelsFlag}`,
    '--use_self_cert',
  ];
}

/** The command of the teardown container: kubeflow/testing's python-fire CLI `delete_kf`. */
export function teardownCommand(p: TeardownJobParams): string[] {
  return [
    'python',
    '-m',
    'kubeflow.testing.delete_kf_instance',
    'delete_kf',
    `--project=${p.project}`,
    `--name=${p.instance}`,
  ];
}

/** The labels of a deploy Job (sanitized). */
export function deployJobLabels(p: Pick<DeployJobParams, 'version' | 'branch' | 'commit' | 'instance'>) {
  return sanitizeLabels({
    [JOB_LABELS.autoDeploy]: 'true',
    [JOB_LABELS.action]: 'deploy',
    [JOB_LABELS.commit]: p.commit,
    [JOB_LABELS.branch]: p.branch,
    [JOB_LABELS.version]: p.version,
    [JOB_LABELS.instance]: p.instance,
  });
}

/** The labels of a teardown Job (sanitized). */
export function teardownJobLabels(p: Pick<TeardownJobParams, 'version' | 'instance'>) {
  return sanitizeLabels({
    [JOB_LABELS.autoDeploy]: 'true',
    [JOB_LABELS.action]: 'teardown',
    [JOB_LABELS.version]: p.version,
    [JOB_LABELS.instance]: p.instance,
  });
}

/**
 * A deploy Job manifest for `p`: a new object; `template` is left as it was.
 * Throws JobManifestError when a parameter is empty, the version is not a version name,
 * or the template lacks metadata/spec/a `deploy` container.
 */
export function renderDeployJob(template: object, p: DeployJobParams): Manifest {
  requireParams(p, 'deploy');
  const labels = deployJobLabels(p);
  // The instance's own (GCP) labels: the same, without the Job's action.
  const instanceLabels = Object.fromEntries(
    Object.entries(labels).filter(([key]) => key !== JOB_LABELS.action),
  );
  return render(template, DEPLOY_CONTAINER_NAME, {
    generateName: `auto-deploy-${p.version}-`,
    namespace: p.namespace,
    labels,
    annotations: {
      [JOB_ANNOTATIONS.commit]: p.commit,
      [JOB_ANNOTATIONS.repo]: p.repo,
      [JOB_ANNOTATIONS.branch]: p.branch,
      [JOB_ANNOTATIONS.requestId]: p.requestId,
      [JOB_ANNOTATIONS.kfDefUrl]: p.kfDefUrl,
      [JOB_ANNOTATIONS.kfctlUrl]: p.kfctlUrl,
      [JOB_ANNOTATIONS.project]: p.project,
      [JOB_ANNOTATIONS.zone]: p.zone,
    },
    command: deployCommand(p, toInstanceLabelsFlag(instanceLabels)),
    activeDeadlineSeconds: p.activeDeadlineSeconds,
  });
}

/** A teardown Job manifest for `p`: a new object; `template` is left as it was. */
export function renderTeardownJob(template: object, p: TeardownJobParams): Manifest {
  requireParams(p, 'teardown');
  return render(template, TEARDOWN_CONTAINER_NAME, {
    generateName: `auto-teardown-${p.version}-`,
    namespace: p.namespace,
    labels: teardownJobLabels(p),
    annotations: {
      [JOB_ANNOTATIONS.requestId]: p.requestId,
      [JOB_ANNOTATIONS.project]: p.project,
      [JOB_ANNOTATIONS.zone]: p.zone,
    },
    command: teardownCommand(p),
  });
}

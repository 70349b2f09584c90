/**
 * Shared setup of the pipeline's integration suites (Firestore emulator, local kube server): the
 * deployments file they run under, what the launcher records for an instance under it, writers that put
 * fixture documents where the pipeline keeps them, and the deploy Job the worker would have created.
 */
import type { Firestore } from '@google-cloud/firestore';
import { deploymentFromDoc } from '../../functions/adapters/firestore/codec.js';
import { branchRef, deploymentRef, requestRef } from '../../functions/adapters/firestore/refs.js';
import { parseDeploymentsConfig } from '../../functions/config.js';
import { renderDeployJob } from '../../functions/core/job-manifest.js';
import { kfDefUrlAt } from '../../functions/core/names.js';
import type { Deployment, DeploymentsConfig, DeployRequest } from '../../functions/core/types.js';
import type { JobTemplates } from '../../functions/job-templates.js';
import { KFCTL_URL, type LaunchTarget } from './fixtures.js';
import { LOCAL_TEST_NAMESPACE, type LocalKubeTarget } from './kube.js';

const REPO = 'kubeflow/manifests';
const PROJECT = 'kf-ci-test';
const KFDEF_PATH = 'kfdef/kfctl_gcp_iap.yaml';

/** Where `pipelineConfig` launches: project kf-ci-test, the local kube server's test namespace. */
export const PIPELINE_TARGET: LaunchTarget = { project: PROJECT, namespace: LOCAL_TEST_NAMESPACE };

/**
 * The deployments file of the pipeline suites: master and v1 (v1.0-branch) of kubeflow/manifests in
 * project kf-ci-test, zone us-east1-d, Jobs in the local test namespace; the default policy, or one
 * capped at `maxActiveDeployments` when given. `source` names it in errors.
 */
export function pipelineConfig(source: string, maxActiveDeployments?: number): DeploymentsConfig {
  const policy =
    maxActiveDeployments === undefined
      ? ''
      : `policy: {maxActiveDeployments: ${maxActiveDeployments}, minMinutesBetweenDeployments: 20}\n`;
  return parseDeploymentsConfig(
    `
project: ${PROJECT}
zone: us-east1-d
namespace: ${LOCAL_TEST_NAMESPACE}
readiness: {enabled: false}
inventory: {enabled: false}
${policy}versions:
  - {name: master, repo: ${REPO}, branch: master, kfDefPath: ${KFDEF_PATH}, kfctlUrl: "${KFCTL_URL}"}
  - {name: v1, repo: ${REPO}, branch: v1.0-branch, kfDefPath: ${KFDEF_PATH}, kfctlUrl: "${KFCTL_URL}"}
`,
    source,
  );
}

/** Writes `d` as its deployments/{instance} document. */
export async function putDeployment(db: Firestore, d: Deployment): Promise<void> {
  await deploymentRef(db, d.instance).set({ ...d });
}

/** Writes `request` as its deployRequests/{id} document. */
export async function putRequest(db: Firestore, request: DeployRequest): Promise<void> {
  const { id, ...fields } = request;
  await requestRef(db, id).set(fields);
}

/** Records `sha` as the head of `repo@branch`, as intake would, now. */
export async function putBranchHead(db: Firestore, repo: string, branch: string, sha: string): Promise<void> {
  await branchRef(db, repo, branch).set({ repo, branch, sha, deleted: false, updatedAt: new Date() });
}

/** Every deployment document, read back. */
export async function readDeployments(db: Firestore): Promise<Deployment[]> {
  const snapshot = await db.collection('deployments').get();
  return snapshot.docs.map(deploymentFromDoc).filter((d): d is Deployment => d !== null);
}

/**
 * Creates on the kube server, from the real template, the deploy Job the worker would create under
 * `pipelineConfig` for `instance` of master at `commit`; returns its name.
 */
export async function createMasterDeployJob(
  kube: LocalKubeTarget,
  templates: JobTemplates,
  job: { instance: string; commit: string; requestId: string },
): Promise<string> {
  const created = await kube.launcher().createJob(
    LOCAL_TEST_NAMESPACE,
    renderDeployJob(templates.deploy, {
      version: 'master',
      repo: REPO,
      branch: 'master',
      commit: job.commit,
      instance: job.instance,
      namespace: LOCAL_TEST_NAMESPACE,
      project: PROJECT,
      zone: 'us-east1-d',
      kfctlUrl: KFCTL_URL,
      kfDefUrl: kfDefUrlAt(REPO, job.commit, KFDEF_PATH),
      requestId: job.requestId,
    }),
  );
  return created.name;
}

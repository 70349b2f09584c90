/**
 * Job manifest rendering (functions/core/job-manifest.ts): pure, no I/O. The template here mirrors
 * templates/deploy-kubeflow.yaml; the integration suite renders the real files.
 */
import assert from 'node:assert/strict';
import {
  type DeployJobParams,
  JOB_ANNOTATIONS,
  JOB_LABELS,
  JobManifestError,
  jobName,
  renderDeployJob,
  renderTeardownJob,
  type TeardownJobParams,
} from '../../functions/core/job-manifest.js';
import { isValidLabelValue } from '../../functions/core/names.js';

const IMAGE =
  'gcr.io/kubeflow-ci/test-worker@sha256:dd559f89b3cbd926ec563559995f25025eecc6290b3146f17f82d2f084d07ee2';

function jobTemplate(container: string) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      generateName: 'placeholder-',
      labels: { 'app.kubernetes.io/managed-by': 'kubeflow-auto-deploy' },
    },
    spec: {
      backoffLimit: 1,
      template: {
        metadata: {
          annotations: { 'sidecar.istio.io/inject': 'false' },
          labels: { 'app.kubernetes.io/managed-by': 'kubeflow-auto-deploy' },
        },
        spec: {
          initContainers: [{ name: 'checkout', image: IMAGE, command: ['/usr/local/bin/checkout_repos.sh'] }],
          containers: [
            { name: container, image: IMAGE, command: ['/bin/sh', '-c', 'exit 2'], args: ['stale'] },
          ],
          serviceAccount: 'default-editor',
          restartPolicy: 'Never',
          volumes: [{ name: 'src', emptyDir: {} }],
        },
      },
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const COMMIT = '36f99ce6a1b2c3d4e5f60718293a4b5c6d7e8f90';
const KFCTL_URL =
  'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0-0-g94c35cf_linux.tar.gz';
const KFDEF_URL = `https://raw.githubusercontent.com/kubeflow/manifests/${COMMIT}/kfdef/kfctl_gcp_iap.v1.0.0.yaml`;

const DEPLOY: DeployJobParams = {
  version: 'v1',
  repo: 'kubeflow/manifests',
  branch: 'v1.0-branch',
  commit: COMMIT,
  instance: 'kf-v1-0226-6ce',
  namespace: 'auto-deploy',
  project: 'kubeflow-ci-deployment',
  zone: 'us-east1-c',
  kfctlUrl: KFCTL_URL,
  kfDefUrl: KFDEF_URL,
  requestId: 'req-42',
};

const TEARDOWN: TeardownJobParams = {
  version: 'v1',
  instance: 'kf-v1-0226-6ce',
  namespace: 'auto-deploy',
  project: 'kubeflow-ci-deployment',
  zone: 'us-east1-c',
  requestId: 'req-43',
  attempt: 1,
};

interface Rendered {
  metadata: {
    name: string;
    generateName?: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    backoffLimit: number;
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: {
        containers: Array<{ name: string; image: string; command: string[]; args?: string[] }>;
        initContainers: Array<{ command: string[] }>;
      };
    };
  };
}

const asRendered = (manifest: Record<string, unknown>) => manifest as unknown as Rendered;

describe('renderDeployJob', () => {
  it('sets the name (fixed by the instance), namespace, and the same labels on the Job and its pods', () => {
    const job = asRendered(renderDeployJob(jobTemplate('deploy'), DEPLOY));
    assert.equal(job.metadata.name, 'auto-deploy-v1-0226-6ce');
    assert.equal(job.metadata.generateName, undefined);
    assert.equal(job.metadata.namespace, 'auto-deploy');
    const expected = {
      'app.kubernetes.io/managed-by': 'kubeflow-auto-deploy',
      'auto-deploy': 'true',
      'auto-deploy-action': 'deploy',
      'git-manifests': COMMIT,
      'git-manifests-branch': 'v1-0-branch',
      'auto-version-name': 'v1',
      'kf-name': 'kf-v1-0226-6ce',
    };
    assert.deepEqual(job.metadata.labels, expected);
    assert.deepEqual(job.spec.template.metadata.labels, expected);
  });

  it('records the full commit, repo, branch, URLs and request id as annotations, keeping the pod annotation', () => {
    const job = asRendered(renderDeployJob(jobTemplate('deploy'), { ...DEPLOY, branch: 'release/v1.0' }));
    assert.deepEqual(job.metadata.annotations, {
      [JOB_ANNOTATIONS.commit]: COMMIT,
      [JOB_ANNOTATIONS.repo]: 'kubeflow/manifests',
      [JOB_ANNOTATIONS.branch]: 'release/v1.0',
      [JOB_ANNOTATIONS.requestId]: 'req-42',
      [JOB_ANNOTATIONS.kfDefUrl]: KFDEF_URL,
      [JOB_ANNOTATIONS.kfctlUrl]: KFCTL_URL,
      [JOB_ANNOTATIONS.project]: 'kubeflow-ci-deployment',
      [JOB_ANNOTATIONS.zone]: 'us-east1-c',
    });
    assert.deepEqual(job.spec.template.metadata.annotations, { 'sidecar.istio.io/inject': 'false' });
  });

  it("replaces the deploy container's command with the original reconciler's, exactly", () => {
    const job = asRendered(renderDeployJob(jobTemplate('deploy'), DEPLOY));
    const [container] = job.spec.template.spec.containers;
    assert.deepEqual(container?.command, [
      'python',
      '-m',
      'kubeflow.testing.create_unique_kf_instance',
      '--apps_dir=/src/apps',
      `--kfctl_path=${KFCTL_URL}`,
      '--kubeflow_repo=',
      '--name=kf-v1-0226-6ce',
      '--project=kubeflow-ci-deployment',
      '--zone=us-east1-c',
      `--kfctl_config=${KFDEF_URL}`,
      `--labels=auto-deploy=true,git-manifests=${COMMIT},git-manifests-branch=v1-0-branch,auto-version-name=v1,kf-name=kf-v1-0226-6ce`,
      '--use_self_cert',
    ]);
    assert.equal(container?.args, undefined, 'stale args would be appended to the command');
    assert.equal(container?.image, IMAGE);
    assert.deepEqual(job.spec.template.spec.initContainers[0]?.command, ['/usr/local/bin/checkout_repos.sh']);
    assert.equal(job.spec.backoffLimit, 1);
  });

  const branches: Array<[string, string]> = [
    ['master', 'master'],
    ['v1.0-branch', 'v1-0-branch'],
    ['release/v1.0', 'release-v1-0'],
    ['feature/ünïcode-ß', 'feature--n-code'],
    ['日本語', ''],
    ['-leading.and.trailing-', 'leading-and-trailing'],
    ['Upper_Case', 'Upper_Case'],
    [`very/${'long-'.repeat(30)}branch`, `very-${'long-'.repeat(30)}`.slice(0, 63).replace(/-+$/, '')],
  ];
  for (const [branch, label] of branches) {
    it(`makes every label valid for the branch ${JSON.stringify(branch)} (-> ${JSON.stringify(label)})`, () => {
      const job = asRendered(renderDeployJob(jobTemplate('deploy'), { ...DEPLOY, branch }));
      assert.equal(job.metadata.labels[JOB_LABELS.branch], label);
      for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
        for (const [key, value] of Object.entries(labels))
          assert.ok(isValidLabelValue(value), `${key}=${JSON.stringify(value)} is not a valid label value`);
      }
      assert.equal(job.metadata.annotations[JOB_ANNOTATIONS.branch], branch);
      const labelsFlag = job.spec.template.spec.containers[0]?.command.find((arg) =>
        arg.startsWith('--labels='),
      );
      assert.ok(labelsFlag?.includes(`git-manifests-branch=${label.toLowerCase()},`), labelsFlag);
    });
  }

  it('lower-cases the --labels values (GCP labels allow no capitals) but keeps the Job labels as they are', () => {
    const job = asRendered(renderDeployJob(jobTemplate('deploy'), { ...DEPLOY, branch: 'Feature/X' }));
    assert.equal(job.metadata.labels[JOB_LABELS.branch], 'Feature-X');
    assert.ok(
      job.spec.template.spec.containers[0]?.command.includes(
        `--labels=auto-deploy=true,git-manifests=${COMMIT},git-manifests-branch=feature-x,auto-version-name=v1,kf-name=kf-v1-0226-6ce`,
      ),
    );
  });

  it('leaves the template untouched (a frozen template works) and shares nothing with it', () => {
    const template = jobTemplate('deploy');
    const before = structuredClone(template);
    const job = asRendered(renderDeployJob(deepFreeze(template), DEPLOY));
    assert.deepEqual(template, before);
    job.spec.template.spec.initContainers[0]?.command.push('--changed');
    job.metadata.labels.extra = 'x';
    assert.deepEqual(template, before);
    const again = asRendered(
      renderDeployJob(template, { ...DEPLOY, version: 'master', instance: 'kf-master-0226-6ce' }),
    );
    assert.equal(again.metadata.name, 'auto-deploy-master-0226-6ce');
    assert.equal(again.metadata.labels.extra, undefined);
  });

  it("replaces the template's name or generateName with the instance's Job name", () => {
    for (const metadata of [{ name: 'fixed' }, { generateName: 'placeholder-' }]) {
      const rendered = asRendered(renderDeployJob({ ...jobTemplate('deploy'), metadata }, DEPLOY));
      assert.deepEqual(
        [rendered.metadata.name, rendered.metadata.generateName],
        ['auto-deploy-v1-0226-6ce', undefined],
      );
    }
  });

  it("names the longest valid instance within the 63 characters of the pods' job-name label", () => {
    const version = 'v'.repeat(24);
    const instance = `kf-${version}-1130-abc`;
    assert.equal(jobName('deploy', instance), `auto-deploy-${version}-1130-abc`);
    assert.ok(jobName('teardown', instance, 99).length <= 63, jobName('teardown', instance, 99));
  });

  const invalid: Array<[string, object, DeployJobParams, RegExp]> = [
    ['an empty commit', jobTemplate('deploy'), { ...DEPLOY, commit: '' }, /empty commit/],
    [
      'empty project and zone',
      jobTemplate('deploy'),
      { ...DEPLOY, project: ' ', zone: '' },
      /empty project, zone/,
    ],
    [
      'a version that is no DNS label',
      jobTemplate('deploy'),
      { ...DEPLOY, version: 'V1.0' },
      /not a valid version name/,
    ],
    ['a template without the deploy container', jobTemplate('main'), DEPLOY, /no container named "deploy"/],
    ['a template without spec', { apiVersion: 'batch/v1', kind: 'Job' }, DEPLOY, /no spec object/],
  ];
  for (const [title, template, params, message] of invalid) {
    it(`throws JobManifestError for ${title}`, () => {
      assert.throws(
        () => renderDeployJob(template, params),
        (error: unknown) => error instanceof JobManifestError && message.test(error.message),
      );
    });
  }
});

describe('renderTeardownJob', () => {
  it('names the Job per attempt (auto-teardown-<instance>-<attempt>), the teardown labels, and the delete_kf_instance command', () => {
    const template = deepFreeze(jobTemplate('teardown'));
    const job = asRendered(renderTeardownJob(template, TEARDOWN));
    assert.equal(job.metadata.name, 'auto-teardown-v1-0226-6ce-1');
    assert.equal(
      asRendered(renderTeardownJob(template, { ...TEARDOWN, attempt: 2 })).metadata.name,
      'auto-teardown-v1-0226-6ce-2',
    );
    assert.throws(
      () => renderTeardownJob(template, { ...TEARDOWN, attempt: 0 }),
      /attempt must be a whole number > 0/,
    );
    assert.equal(job.metadata.namespace, 'auto-deploy');
    const expected = {
      'app.kubernetes.io/managed-by': 'kubeflow-auto-deploy',
      'auto-deploy': 'true',
      'auto-deploy-action': 'teardown',
      'auto-version-name': 'v1',
      'kf-name': 'kf-v1-0226-6ce',
    };
    assert.deepEqual(job.metadata.labels, expected);
    assert.deepEqual(job.spec.template.metadata.labels, expected);
    assert.deepEqual(job.metadata.annotations, {
      [JOB_ANNOTATIONS.requestId]: 'req-43',
      [JOB_ANNOTATIONS.project]: 'kubeflow-ci-deployment',
      [JOB_ANNOTATIONS.zone]: 'us-east1-c',
    });
    assert.deepEqual(job.spec.template.spec.containers[0]?.command, [
      'python',
      '-m',
      'kubeflow.testing.delete_kf_instance',
      'delete_kf',
      '--project=kubeflow-ci-deployment',
      '--name=kf-v1-0226-6ce',
    ]);
  });

  it('throws JobManifestError for a template without the teardown container or an empty instance', () => {
    assert.throws(() => renderTeardownJob(jobTemplate('deploy'), TEARDOWN), /no container named "teardown"/);
    assert.throws(
      () => renderTeardownJob(jobTemplate('teardown'), { ...TEARDOWN, instance: '' }),
      JobManifestError,
    );
  });
});

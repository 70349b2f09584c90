/**
 * KubeJobLauncher with the real @kubernetes/client-node over HTTPS.
 *
 * The first suite runs against `startKubeTarget()`: the local kube server by default, a real cluster
 * when AUTO_DEPLOY_TEST_KUBECONFIG is set (its Jobs are suspended and deleted afterwards).
 * Driving a Job's status and injecting faults need the local server, so those cases are in a suite
 * that always uses it, in both modes. Also here: loadKubeConfig and the real Job templates.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKubeJobLauncher,
  DELETE_PROPAGATION_POLICY,
  KubeConfigError,
  loadKubeConfig,
  toLabelSelector,
} from '../../functions/adapters/kube-jobs.js';
import { JOB_LABELS, renderDeployJob, renderTeardownJob } from '../../functions/core/job-manifest.js';
import { isValidLabelValue } from '../../functions/core/names.js';
import { JobApiError } from '../../functions/core/ports.js';
import { JobTemplateError, loadJobTemplates } from '../../functions/job-templates.js';
import { renderLocalKubeconfig } from '../../scripts/kube-server/server.js';
import {
  describeKubeTarget,
  eventually,
  type KubeTarget,
  type LocalKubeTarget,
  startKubeTarget,
  startLocalKubeTarget,
  testJobManifest,
  unreachableKubeConfig,
} from '../support/kube.js';

/** Asserts `promise` rejects with a JobApiError of that status and transience; returns it. */
async function rejectsWithJobApiError(
  promise: Promise<unknown>,
  expected: { status: number | null; isTransient: boolean },
): Promise<JobApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JobApiError, `expected a JobApiError, got ${String(error)}`);
    assert.equal(error.name, 'JobApiError');
    assert.deepEqual({ status: error.status, isTransient: error.isTransient }, expected, error.message);
    return error;
  }
  assert.fail('expected a rejection');
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

const DEPLOY_PARAMS = {
  version: 'v1',
  repo: 'kubeflow/manifests',
  branch: 'v1.0-branch',
  commit: '36f99ce6a1b2c3d4e5f60718293a4b5c6d7e8f90',
  instance: 'kf-v1-0226-6ce',
  project: 'kubeflow-ci-deployment',
  zone: 'us-east1-c',
  kfctlUrl: 'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0-0-g94c35cf_linux.tar.gz',
  kfDefUrl:
    'https://raw.githubusercontent.com/kubeflow/manifests/36f99ce6a1b2c3d4e5f60718293a4b5c6d7e8f90/kfdef/kfctl_gcp_iap.v1.0.0.yaml',
  requestId: 'req-1',
};

describe(`KubeJobLauncher against ${describeKubeTarget()}`, () => {
  let target: KubeTarget;

  before(async function () {
    this.timeout(60_000);
    target = await startKubeTarget();
  });
  after(async function () {
    this.timeout(60_000);
    await target?.stop();
  });

  it('creates a Job from a manifest with generateName and returns it running', async () => {
    const launcher = target.launcher();
    const created = await launcher.createJob(
      target.namespace,
      testJobManifest(target, { labels: { case: 'create' } }),
    );
    assert.match(created.name, /^kube-test-[a-z0-9]{5}$/);
    assert.equal(created.namespace, target.namespace);
    assert.equal(created.state, 'running');
    assert.equal(created.message, null);
    assert.deepEqual(created.labels, { ...target.runLabels, case: 'create' });
    assert.ok(created.createdAt instanceof Date);
    assert.ok(Math.abs((created.createdAt as Date).getTime() - Date.now()) < 5 * 60_000);
  });

  it('lists the Jobs that carry every given label, and none for a label nobody has', async () => {
    const launcher = target.launcher();
    const a = await launcher.createJob(
      target.namespace,
      testJobManifest(target, { labels: { case: 'list', pick: 'yes' } }),
    );
    const b = await launcher.createJob(
      target.namespace,
      testJobManifest(target, { labels: { case: 'list', pick: 'yes' } }),
    );
    await launcher.createJob(
      target.namespace,
      testJobManifest(target, { labels: { case: 'list', pick: 'no' } }),
    );

    const picked = await launcher.listJobs(target.namespace, {
      ...target.runLabels,
      case: 'list',
      pick: 'yes',
    });
    assert.deepEqual(picked.map((job) => job.name).sort(), [a.name, b.name].sort());
    assert.ok(picked.every((job) => job.state === 'running' && job.labels.pick === 'yes'));
    assert.equal(
      (await launcher.listJobs(target.namespace, { ...target.runLabels, case: 'list' })).length,
      3,
    );
    assert.deepEqual(await launcher.listJobs(target.namespace, { ...target.runLabels, case: 'nobody' }), []);
  });

  it('deletes a Job, after which it is absent; deleting it again is not an error', async () => {
    const launcher = target.launcher();
    const created = await launcher.createJob(
      target.namespace,
      testJobManifest(target, { labels: { case: 'delete' } }),
    );
    await launcher.deleteJob(target.namespace, created.name);
    const isGone = await eventually(async () =>
      (await launcher.listJobs(target.namespace, { ...target.runLabels, case: 'delete' })).every(
        (job) => job.name !== created.name,
      ),
    );
    assert.ok(isGone, `${created.name} is still listed after deleteJob`);
    await launcher.deleteJob(target.namespace, created.name);
    await launcher.deleteJob(target.namespace, uniqueName('never-existed'));
  });

  it('rejects a taken name: 409, not transient', async () => {
    const launcher = target.launcher();
    const name = uniqueName('kube-test-conflict');
    await launcher.createJob(target.namespace, testJobManifest(target, { name }));
    const error = await rejectsWithJobApiError(
      launcher.createJob(target.namespace, testJobManifest(target, { name })),
      {
        status: 409,
        isTransient: false,
      },
    );
    assert.ok(error.message.includes(`jobs.batch "${name}" already exists`), error.message);
  });

  it("rejects an invalid label value: 422, not transient, with the API server's message", async () => {
    const launcher = target.launcher();
    const error = await rejectsWithJobApiError(
      launcher.createJob(target.namespace, testJobManifest(target, { labels: { branch: 'release/v1.0' } })),
      { status: 422, isTransient: false },
    );
    // Newer API servers generate the name after validation, so it may be empty here.
    assert.match(error.message, /^Job\.batch "(kube-test-[a-z0-9]{5})?" is invalid: /);
    assert.ok(error.message.includes('metadata.labels: Invalid value: "release/v1.0"'), error.message);
  });

  it('rejects a wrong bearer token: 401, not transient, saying to check the credentials', async () => {
    const error = await rejectsWithJobApiError(
      target.launcherWithToken('not-the-token').listJobs(target.namespace, target.runLabels),
      { status: 401, isTransient: false },
    );
    assert.match(error.message, /Unauthorized/);
    assert.match(error.message, /credentials/);
  });

  it('refuses, before any call, to list by a label value that would change the selector', async () => {
    const launcher = target.launcher();
    await rejectsWithJobApiError(launcher.listJobs(target.namespace, { a: 'x,b!=y' }), {
      status: null,
      isTransient: false,
    });
    assert.equal(toLabelSelector({ a: 'b', 'example.com/c': 'd' }), 'a=b,example.com/c=d');
    assert.equal(toLabelSelector({}), '');
  });

  it('creates deploy and teardown Jobs rendered from the real templates', async () => {
    const launcher = target.launcher();
    const templates = loadJobTemplates();
    // Suspended, so a real cluster accepts and validates them but runs nothing.
    const suspend = (manifest: Record<string, unknown>) => {
      const spec = manifest.spec as Record<string, unknown>;
      spec.suspend = true;
      (manifest.metadata as { labels: Record<string, string> }).labels = {
        ...(manifest.metadata as { labels: Record<string, string> }).labels,
        ...target.runLabels,
      };
      return manifest;
    };
    const deploy = await launcher.createJob(
      target.namespace,
      suspend(renderDeployJob(templates.deploy, { ...DEPLOY_PARAMS, namespace: target.namespace })),
    );
    assert.equal(deploy.name, 'auto-deploy-v1-0226-6ce');
    assert.equal(deploy.labels[JOB_LABELS.branch], 'v1-0-branch');
    assert.equal(deploy.labels[JOB_LABELS.action], 'deploy');
    const teardown = await launcher.createJob(
      target.namespace,
      suspend(
        renderTeardownJob(templates.teardown, {
          version: 'v1',
          instance: 'kf-v1-0226-6ce',
          namespace: target.namespace,
          project: DEPLOY_PARAMS.project,
          zone: DEPLOY_PARAMS.zone,
          requestId: 'req-2',
          attempt: 1,
        }),
      ),
    );
    assert.equal(teardown.name, 'auto-teardown-v1-0226-6ce-1');
    const byInstance = await launcher.listJobs(target.namespace, {
      ...target.runLabels,
      [JOB_LABELS.instance]: 'kf-v1-0226-6ce',
    });
    assert.deepEqual(byInstance.map((job) => job.labels[JOB_LABELS.action]).sort(), ['deploy', 'teardown']);
  });
});

describe('KubeJobLauncher with the local kube server only: status driving and fault injection (also when AUTO_DEPLOY_TEST_KUBECONFIG is set)', () => {
  let local: LocalKubeTarget;

  before(async () => {
    local = await startLocalKubeTarget();
  });
  after(async () => {
    await local?.stop();
  });
  beforeEach(() => local.server.reset());

  const createOne = (labels: Record<string, string> = {}) =>
    local.launcher().createJob(local.namespace, testJobManifest(local, { labels }));

  it('reports a Job complete once its Complete condition is "True"', async () => {
    const created = await createOne({ case: 'complete' });
    local.server.startJob(local.namespace, created.name);
    assert.equal(
      (await local.launcher().listJobs(local.namespace, { case: 'complete' }))[0]?.state,
      'running',
    );
    local.server.completeJob(local.namespace, created.name);
    const [job] = await local.launcher().listJobs(local.namespace, { case: 'complete' });
    assert.equal(job?.state, 'complete');
    assert.equal(job?.message, null);
  });

  it("reports a Job failed with the Failed condition's reason and message", async () => {
    const created = await createOne({ case: 'fail' });
    local.server.failJob(local.namespace, created.name, 'Job has reached the specified backoff limit');
    const [job] = await local.launcher().listJobs(local.namespace, { case: 'fail' });
    assert.equal(job?.state, 'failed');
    assert.equal(job?.message, 'BackoffLimitExceeded: Job has reached the specified backoff limit');
  });

  it('reuses its TLS connection from one call to the next (kube-connections.ts)', async () => {
    const launcher = local.launcher();
    await launcher.listJobs(local.namespace, { case: 'reuse' });
    const before = local.server.connections();
    const created = await createOne({ case: 'reuse' });
    await launcher.listJobs(local.namespace, { case: 'reuse' });
    await local.launcher().listJobs(local.namespace, { case: 'reuse' });
    await launcher.deleteJob(local.namespace, created.name);
    assert.equal(local.server.connections() - before, 0, 'a call opened a new connection');
  });

  it('asks for Background propagation and an equality selector, over the real client', async () => {
    const created = await createOne({ case: 'wire' });
    await local.launcher().listJobs(local.namespace, { case: 'wire', 'auto-deploy': 'true' });
    await local.launcher().deleteJob(local.namespace, created.name);
    const requests = local.server.requests();
    const list = requests.find((request) => request.method === 'GET');
    assert.equal(list?.query.labelSelector, 'case=wire,auto-deploy=true');
    const deletion = requests.find((request) => request.method === 'DELETE');
    assert.equal(deletion?.path, `/apis/batch/v1/namespaces/${local.namespace}/jobs/${created.name}`);
    assert.equal(deletion?.query.propagationPolicy, DELETE_PROPAGATION_POLICY);
  });

  const statuses: Array<[number, boolean]> = [
    [500, true],
    [503, true],
    [504, true],
    [429, true],
    [408, true],
    [400, false],
    [403, false],
    [404, false],
  ];
  for (const [status, isTransient] of statuses) {
    it(`maps an injected ${status} on create to a ${isTransient ? 'transient' : 'permanent'} JobApiError`, async () => {
      local.server.injectFaults({ status, method: 'POST', message: `injected ${status}` });
      const error = await rejectsWithJobApiError(createOne(), { status, isTransient });
      assert.ok(error.message.startsWith(`injected ${status} (HTTP ${status}`), error.message);
    });
  }

  it('maps injected 500s on list and delete to transient errors, then works again', async () => {
    const created = await createOne({ case: 'recover' });
    local.server.injectFaults({ status: 500, count: 2 });
    await rejectsWithJobApiError(local.launcher().listJobs(local.namespace, { case: 'recover' }), {
      status: 500,
      isTransient: true,
    });
    await rejectsWithJobApiError(local.launcher().deleteJob(local.namespace, created.name), {
      status: 500,
      isTransient: true,
    });
    await local.launcher().deleteJob(local.namespace, created.name);
    assert.deepEqual(local.server.jobs(local.namespace), []);
  });

  it('maps a dropped connection to a transient error without status', async () => {
    local.server.injectFaults({ dropConnection: true });
    await rejectsWithJobApiError(local.launcher().listJobs(local.namespace, {}), {
      status: null,
      isTransient: true,
    });
  });

  it('gives up on a call that gets no answer within requestTimeoutMs: transient, no status', async () => {
    // The server holds its answer far longer than the test may run: only the client's own timeout
    // can end the call (without it the test fails on mocha's timeout).
    local.server.injectFaults({ delayMs: 10 * 60_000, status: 500 });
    const error = await rejectsWithJobApiError(
      local.launcher({ requestTimeoutMs: 200 }).listJobs(local.namespace, {}),
      { status: null, isTransient: true },
    );
    assert.match(error.message, /timed out/);
    assert.deepEqual(local.server.requests(), [], 'the server never answered: the client gave up first');
  });
});

describe('KubeJobLauncher with no server', () => {
  it('maps connection refused to a transient JobApiError without status, for every call', async () => {
    const launcher = createKubeJobLauncher(await unreachableKubeConfig());
    for (const call of [
      () => launcher.createJob('ns', testJobManifest({ namespace: 'ns', runLabels: {} })),
      () => launcher.listJobs('ns', { a: 'b' }),
      () => launcher.deleteJob('ns', 'x'),
    ]) {
      const error = await rejectsWithJobApiError(call(), { status: null, isTransient: true });
      assert.match(error.message, /ECONNREFUSED/);
    }
  });
});

describe('loadKubeConfig', () => {
  let dir: string;
  const kubeconfig = (server: string, context: string, namespace = 'default') =>
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${context}, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
      `users: [{name: ${context}, user: {token: t-${context}}}]`,
      `contexts: [{name: ${context}, context: {cluster: ${context}, user: ${context}, namespace: ${namespace}}}]`,
      `current-context: ${context}`,
    ].join('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("loads KUBECONFIG with its current context; several files merge, the first one's context wins", () => {
    writeFileSync(join(dir, 'a'), kubeconfig('https://a.example:6443', 'ctx-a'));
    writeFileSync(join(dir, 'b'), kubeconfig('https://b.example:6443', 'ctx-b'));
    const kc = loadKubeConfig({ KUBECONFIG: `${join(dir, 'a')}:${join(dir, 'b')}`, HOME: dir });
    assert.equal(kc.getCurrentContext(), 'ctx-a');
    assert.equal(kc.getCurrentCluster()?.server, 'https://a.example:6443');
    assert.deepEqual(
      kc.getContexts().map((context) => context.name),
      ['ctx-a', 'ctx-b'],
    );
    const other = loadKubeConfig({ KUBECONFIG: `${join(dir, 'a')}:${join(dir, 'b')}` }, { context: 'ctx-b' });
    assert.equal(other.getCurrentCluster()?.server, 'https://b.example:6443');
  });

  it('falls back to $HOME/.kube/config, and prefers it to the in-cluster account', () => {
    mkdirSync(join(dir, '.kube'));
    writeFileSync(join(dir, '.kube', 'config'), kubeconfig('https://home.example', 'home'));
    const kc = loadKubeConfig({ HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    assert.equal(kc.getCurrentCluster()?.server, 'https://home.example');
  });

  it('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set and there is no kubeconfig', () => {
    writeFileSync(join(dir, 'namespace'), 'auto-deploy\n');
    const kc = loadKubeConfig(
      { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      { serviceAccountDir: dir },
    );
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443');
    assert.equal(kc.getCurrentCluster()?.caFile, join(dir, 'ca.crt'));
    assert.equal(kc.getCurrentUser()?.authProvider?.config?.tokenFile, join(dir, 'token'));
    assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'auto-deploy');
  });

  it('throws a KubeConfigError that says what to set', () => {
    assert.throws(
      () => loadKubeConfig({ HOME: dir }),
      (error: unknown) => {
        assert.ok(error instanceof KubeConfigError);
        assert.match(error.message, /set KUBECONFIG/);
        return true;
      },
    );
    assert.throws(
      () => loadKubeConfig({ KUBECONFIG: join(dir, 'missing') }),
      /KUBECONFIG names .*missing, which does not exist/,
    );
    writeFileSync(join(dir, 'a'), kubeconfig('https://a.example', 'ctx-a'));
    assert.throws(
      () => loadKubeConfig({ KUBECONFIG: join(dir, 'a') }, { context: 'nope' }),
      /Context "nope" is not in/,
    );
    writeFileSync(
      join(dir, 'no-current'),
      kubeconfig('https://a.example', 'ctx-a').replace('current-context: ctx-a', ''),
    );
    assert.throws(() => loadKubeConfig({ KUBECONFIG: join(dir, 'no-current') }), /names no known cluster/);
  });

  it('loads the kubeconfig the kube server CLI writes, and it reaches the server', async () => {
    const local = await startLocalKubeTarget('from-file');
    try {
      writeFileSync(join(dir, 'local'), renderLocalKubeconfig(local.server, 'from-file'));
      const launcher = createKubeJobLauncher(loadKubeConfig({ KUBECONFIG: join(dir, 'local') }));
      await launcher.createJob('from-file', testJobManifest(local));
      assert.equal((await launcher.listJobs('from-file', local.runLabels)).length, 1);
    } finally {
      await local.stop();
    }
  });
});

describe('loadJobTemplates (templates/*.yaml)', () => {
  let dir: string;
  const writeTemplates = (deploy: string, teardown: string) => {
    writeFileSync(join(dir, 'deploy-kubeflow.yaml'), deploy);
    writeFileSync(join(dir, 'teardown-kubeflow.yaml'), teardown);
  };
  const minimal = (container: string) =>
    `apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: ${container}\n          image: busybox\n`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'job-templates-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the repository templates once: valid batch/v1 Jobs, frozen, the same objects on every call', () => {
    const templates = loadJobTemplates();
    assert.equal(loadJobTemplates(), templates);
    for (const [template, container] of [
      [templates.deploy, 'deploy'],
      [templates.teardown, 'teardown'],
    ] as const) {
      assert.equal(template.apiVersion, 'batch/v1');
      assert.equal(template.kind, 'Job');
      assert.ok(Object.isFrozen(template));
      const spec = template.spec as {
        backoffLimit: number;
        template: { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> };
      };
      assert.equal(spec.backoffLimit, 1);
      assert.equal(spec.template.metadata.annotations['sidecar.istio.io/inject'], 'false');
      assert.equal(spec.template.spec.serviceAccount, 'default-editor');
      assert.equal(spec.template.spec.restartPolicy, 'Never');
      assert.deepEqual(
        (spec.template.spec.containers as Array<{ name: string }>).map((c) => c.name),
        [container],
      );
      assert.deepEqual(spec.template.spec.volumes, [{ name: 'src', emptyDir: {} }]);
    }
  });

  it('renders the repository templates into manifests with valid labels', () => {
    const templates = loadJobTemplates();
    const deploy = renderDeployJob(templates.deploy, { ...DEPLOY_PARAMS, namespace: 'auto-deploy' });
    const labels = (deploy.metadata as { labels: Record<string, string> }).labels;
    assert.ok(Object.values(labels).every(isValidLabelValue));
    assert.equal(labels['app.kubernetes.io/managed-by'], 'kubeflow-auto-deploy');
  });

  const broken: Array<[string, string, RegExp]> = [
    ['not YAML', 'a: [1, 2', /is not valid YAML/],
    ['a list', '- 1\n- 2', /one YAML mapping/],
    ['another kind', minimal('deploy').replace('kind: Job', 'kind: Pod'), /kind must be Job, got "Pod"/],
    [
      'another apiVersion',
      minimal('deploy').replace('batch/v1', 'batch/v1beta1'),
      /apiVersion must be batch\/v1/,
    ],
    ['a wrongly named container', minimal('main'), /must be named "deploy", got "main"/],
    [
      'two containers',
      `${minimal('deploy')}        - name: extra\n          image: busybox\n`,
      /exactly one container named "deploy", found 2/,
    ],
    [
      'restartPolicy Always',
      minimal('deploy').replace('Never', 'Always'),
      /restartPolicy must be Never or OnFailure/,
    ],
    ['no pod spec', 'apiVersion: batch/v1\nkind: Job\nspec: {}\n', /spec.template.spec is missing/],
  ];
  for (const [title, text, problem] of broken) {
    it(`throws a JobTemplateError naming the file for ${title}`, () => {
      writeTemplates(text, minimal('teardown'));
      assert.throws(
        () => loadJobTemplates(dir),
        (error: unknown) => {
          assert.ok(error instanceof JobTemplateError);
          assert.equal(error.file, join(dir, 'deploy-kubeflow.yaml'));
          assert.ok(error.message.includes(join(dir, 'deploy-kubeflow.yaml')), error.message);
          assert.match(error.message, problem);
          return true;
        },
      );
    });
  }

  it('names the teardown file when that one is wrong, and a missing file', () => {
    writeTemplates(minimal('deploy'), minimal('deploy'));
    assert.throws(
      () => loadJobTemplates(dir),
      /teardown-kubeflow\.yaml is not a usable batch\/v1 Job: .*"teardown"/,
    );
    rmSync(join(dir, 'teardown-kubeflow.yaml'));
    assert.throws(() => loadJobTemplates(dir), /Cannot read Job template .*teardown-kubeflow\.yaml/);
  });
});

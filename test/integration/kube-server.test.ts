/**
 * The local Kubernetes API server (scripts/kube-server) over raw HTTPS: the wire behaviour the real
 * client relies on (auth, Status errors, generateName, label selectors) and the control API.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import {
  type KubeJob,
  type KubeServer,
  KubeServerError,
  type KubeStatus,
  startKubeServer,
} from '../../scripts/kube-server/server.js';
import { COLD_START_TEST_TIMEOUT_MS } from '../support/cold-start.js';
import { requestKubeServer } from '../support/kube.js';

const NS = 'auto-deploy';
const CLI_PATH = fileURLToPath(new URL('../../scripts/kube-server/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function job(
  metadata: Record<string, unknown>,
  podSpec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox', command: ['true'] }],
          ...podSpec,
        },
      },
    },
  };
}

describe('local kube server (scripts/kube-server)', () => {
  let server: KubeServer;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token: string | null = server.token,
    // biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields of the JSON it reads.
  ): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await requestKubeServer(server, method, path, {
      token,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: response.text ? JSON.parse(response.text) : undefined };
  };
  const jobsPath = (ns = NS) => `/apis/batch/v1/namespaces/${ns}/jobs`;
  const create = async (metadata: Record<string, unknown>, ns = NS): Promise<KubeJob> => {
    const response = await call('POST', jobsPath(ns), job(metadata));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  };
  const assertStatus = (body: KubeStatus, code: number, reason: string) => {
    assert.equal(body.kind, 'Status');
    assert.equal(body.apiVersion, 'v1');
    assert.deepEqual(body.metadata, {});
    assert.equal(body.status, 'Failure');
    assert.equal(body.code, code);
    assert.equal(body.reason, reason);
    assert.equal(typeof body.message, 'string');
  };

  before(async () => {
    server = await startKubeServer({ token: 'test-token' });
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => server.reset());

  describe('authentication', () => {
    for (const [title, token] of [
      ['no Authorization header', null],
      ['a wrong bearer token', 'wrong-token'],
    ] as const) {
      it(`answers 401 with an Unauthorized Status for ${title}`, async () => {
        const response = await call('GET', jobsPath(), undefined, token);
        assert.equal(response.status, 401);
        assertStatus(response.body, 401, 'Unauthorized');
        assert.equal(response.body.message, 'Unauthorized');
      });
    }

    it('protects the control API too', async () => {
      const response = await call('POST', '/_control/faults', { status: 500 }, 'wrong-token');
      assert.equal(response.status, 401);
    });
  });

  describe('create', () => {
    it('names a Job from generateName plus 5 lowercase alphanumerics and fills the server fields', async () => {
      const before = Date.now();
      const created = await create({ generateName: 'auto-deploy-v1-', labels: { a: 'b' } });
      assert.match(created.metadata.name, /^auto-deploy-v1-[a-z0-9]{5}$/);
      assert.equal(created.metadata.generateName, 'auto-deploy-v1-');
      assert.equal(created.metadata.namespace, NS);
      assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.match(created.metadata.resourceVersion, /^\d+$/);
      assert.match(created.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Date.parse(created.metadata.creationTimestamp) >= Math.floor(before / 1000) * 1000);
      assert.deepEqual(created.status, {});
      assert.deepEqual(created.metadata.labels, { a: 'b' });
      const podLabels = (created.spec.template as { metadata: { labels: Record<string, string> } }).metadata
        .labels;
      assert.equal(podLabels['job-name'], created.metadata.name);
      assert.equal(podLabels['controller-uid'], created.metadata.uid);
    });

    it('generates distinct names for the same generateName', async () => {
      const names = new Set<string>();
      for (let i = 0; i < 20; i++) names.add((await create({ generateName: 'same-' })).metadata.name);
      assert.equal(names.size, 20);
    });

    it('answers 409 AlreadyExists for a taken name', async () => {
      await create({ name: 'taken' });
      const response = await call('POST', jobsPath(), job({ name: 'taken' }));
      assert.equal(response.status, 409);
      assertStatus(response.body, 409, 'AlreadyExists');
      assert.equal(response.body.message, 'jobs.batch "taken" already exists');
      assert.deepEqual(response.body.details, { name: 'taken', group: 'batch', kind: 'jobs' });
    });

    it('keeps namespaces apart: one name may exist in two namespaces', async () => {
      await create({ name: 'twin' }, 'ns-a');
      await create({ name: 'twin' }, 'ns-b');
      assert.equal(server.jobs('ns-a').length, 1);
      assert.equal(server.jobs().length, 2);
    });

    const invalid: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ['an upper-case name', { name: 'Bad-Name' }, 'metadata.name', /RFC 1123 subdomain/],
      ['a 64-character name', { name: 'a'.repeat(64) }, 'metadata.name', /no more than 63 characters/],
      ['an upper-case generateName', { generateName: 'Auto-' }, 'metadata.name', /RFC 1123 subdomain/],
      ['neither name nor generateName', {}, 'metadata.name', /name or generateName is required/],
      [
        'a label value with a slash',
        { name: 'x', labels: { branch: 'release/v1.0' } },
        'metadata.labels',
        /valid label/,
      ],
      ['a 64-character label value', { name: 'x', labels: { a: 'b'.repeat(64) } }, 'metadata.labels', /63/],
      ['a label key with a space', { name: 'x', labels: { 'bad key': 'v' } }, 'metadata.labels', /name part/],
      [
        'a label key with two slashes',
        { name: 'x', labels: { 'a/b/c': 'v' } },
        'metadata.labels',
        /qualified name/,
      ],
      [
        'an annotation key with a space',
        { name: 'x', annotations: { 'bad key': 'v' } },
        'metadata.annotations',
        /name part/,
      ],
    ];
    for (const [title, metadata, field, detail] of invalid) {
      it(`answers 422 Invalid for ${title}`, async () => {
        const response = await call('POST', jobsPath(), job(metadata));
        assert.equal(response.status, 422);
        assertStatus(response.body, 422, 'Invalid');
        assert.match(response.body.message, /^Job\.batch ".*" is invalid: /);
        assert.ok(
          response.body.message.includes(`${field}: Invalid value`) ||
            response.body.message.includes(`${field}: Required value`),
          response.body.message,
        );
        assert.match(response.body.message, detail);
        assert.equal(response.body.details.kind, 'Job');
        assert.equal(response.body.details.group, 'batch');
        assert.ok(response.body.details.causes.some((cause: { field: string }) => cause.field === field));
        assert.equal(server.jobs().length, 0);
      });
    }

    it('accepts the longest valid name and prefixed label keys, and an empty label value', async () => {
      await create({
        name: 'a'.repeat(63),
        labels: { 'example.com/key': 'v', 'app.kubernetes.io/name': 'x', empty: '' },
      });
    });

    it('lists every problem of a manifest in one 422', async () => {
      const response = await call(
        'POST',
        jobsPath(),
        job({ name: 'x', labels: { a: 'b/c' } }, { restartPolicy: 'Always', containers: [{ name: 'main' }] }),
      );
      assert.equal(response.status, 422);
      const fields = response.body.details.causes.map((cause: { field: string }) => cause.field);
      assert.deepEqual(fields, [
        'metadata.labels',
        'spec.template.spec.restartPolicy',
        'spec.template.spec.containers[0].image',
      ]);
      assert.match(response.body.message, /is invalid: \[/);
    });

    it('answers 400 BadRequest for a body in another namespace, another kind, or not JSON', async () => {
      for (const body of [
        job({ name: 'x', namespace: 'elsewhere' }),
        { ...job({ name: 'x' }), kind: 'Pod' },
        '{not json',
      ]) {
        const response = await call('POST', jobsPath(), body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assertStatus(response.body, 400, 'BadRequest');
      }
    });
  });

  describe('get and delete', () => {
    it('returns a Job by name', async () => {
      const created = await create({ generateName: 'get-' });
      const response = await call('GET', `${jobsPath()}/${created.metadata.name}`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, created);
    });

    it("answers 404 NotFound with the API server's Status for a missing Job", async () => {
      const response = await call('GET', `${jobsPath()}/missing`);
      assert.equal(response.status, 404);
      assert.deepEqual(response.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'jobs.batch "missing" not found',
        reason: 'NotFound',
        details: { name: 'missing', group: 'batch', kind: 'jobs' },
        code: 404,
      });
    });

    it('deletes with a propagationPolicy, answers a Success Status, and the Job is gone', async () => {
      const created = await create({ name: 'doomed' });
      const response = await call('DELETE', `${jobsPath()}/doomed?propagationPolicy=Background`);
      assert.equal(response.status, 200);
      assert.equal(response.body.kind, 'Status');
      assert.equal(response.body.status, 'Success');
      assert.equal(response.body.details.uid, created.metadata.uid);
      assert.equal((await call('GET', `${jobsPath()}/doomed`)).status, 404);
      const again = await call('DELETE', `${jobsPath()}/doomed`);
      assert.equal(again.status, 404);
      assertStatus(again.body, 404, 'NotFound');
    });

    it('answers 400 for an unknown propagationPolicy, 405 for other methods, 404 for unknown paths', async () => {
      await create({ name: 'kept' });
      assert.equal((await call('DELETE', `${jobsPath()}/kept?propagationPolicy=Sometimes`)).status, 400);
      const put = await call('PUT', `${jobsPath()}/kept`, job({ name: 'kept' }));
      assert.equal(put.status, 405);
      assertStatus(put.body, 405, 'MethodNotAllowed');
      const unknown = await call('GET', '/api/v1/namespaces/x/configmaps');
      assert.equal(unknown.status, 404);
      assertStatus(unknown.body, 404, 'NotFound');
    });
  });

  describe('list with label selectors', () => {
    beforeEach(async () => {
      await create({ name: 'j1', labels: { app: 'kf', version: 'v1', branch: 'master' } });
      await create({ name: 'j2', labels: { app: 'kf', version: 'v2' } });
      await create({ name: 'j3', labels: { app: 'other', tier: '3' } });
      await create({ name: 'j4' });
      await create({ name: 'elsewhere', labels: { app: 'kf', version: 'v1' } }, 'other-namespace');
    });

    const cases: Array<[string, string[]]> = [
      ['', ['j1', 'j2', 'j3', 'j4']],
      ['app=kf', ['j1', 'j2']],
      ['app==kf', ['j1', 'j2']],
      ['app!=kf', ['j3', 'j4']],
      ['app=kf,version=v1', ['j1']],
      ['app = kf , version = v2', ['j2']],
      ['version in (v1,v2)', ['j1', 'j2']],
      ['version in (v2, v3)', ['j2']],
      ['version notin (v1)', ['j2', 'j3', 'j4']],
      ['branch', ['j1']],
      ['!branch', ['j2', 'j3', 'j4']],
      ['app,!version', ['j3']],
      ['app in (kf,other),version notin (v2),!branch', ['j3']],
      ['tier>2', ['j3']],
      ['tier<3', []],
      ['app=nothing', []],
    ];
    for (const [selector, expected] of cases) {
      it(`selects ${JSON.stringify(selector)} -> ${expected.join(', ') || 'none'}`, async () => {
        const response = await call('GET', `${jobsPath()}?labelSelector=${encodeURIComponent(selector)}`);
        assert.equal(response.status, 200);
        assert.equal(response.body.kind, 'JobList');
        assert.equal(response.body.apiVersion, 'batch/v1');
        assert.match(response.body.metadata.resourceVersion, /^\d+$/);
        assert.deepEqual(
          response.body.items.map((item: KubeJob) => item.metadata.name),
          expected,
        );
      });
    }

    const bad = [
      'app=kf,',
      'a=b=c',
      'version in v1',
      'version in ()',
      'version in (v1',
      'app=release/v1',
      'bad key=x',
      '=x',
      'tier>x',
    ];
    for (const selector of bad) {
      it(`answers 400 BadRequest for the selector ${JSON.stringify(selector)}`, async () => {
        const response = await call('GET', `${jobsPath()}?labelSelector=${encodeURIComponent(selector)}`);
        assert.equal(response.status, 400);
        assertStatus(response.body, 400, 'BadRequest');
        assert.match(response.body.message, /^unable to parse requirement: /);
      });
    }

    it('lists across namespaces at /apis/batch/v1/jobs', async () => {
      const response = await call(
        'GET',
        `/apis/batch/v1/jobs?labelSelector=${encodeURIComponent('version=v1')}`,
      );
      assert.deepEqual(
        response.body.items.map((item: KubeJob) => `${item.metadata.namespace}/${item.metadata.name}`),
        [`${NS}/j1`, 'other-namespace/elsewhere'],
      );
    });

    it('refuses field selectors on fields it cannot select by rather than ignoring them', async () => {
      const response = await call('GET', `${jobsPath()}?fieldSelector=spec.parallelism%3D1`);
      assert.equal(response.status, 400);
      assert.equal(response.body.message, 'field label not supported: spec.parallelism');
    });

    it('selects by the field selectors a real server supports for Jobs (metadata.name, status.successful)', async () => {
      server.completeJob(NS, 'j2');
      for (const [selector, expected] of [
        ['metadata.name=j1', ['j1']],
        ['metadata.name!=j1,metadata.namespace=auto-deploy', ['j2', 'j3', 'j4']],
        ['status.successful=1', ['j2']],
      ] as const) {
        const response = await call('GET', `${jobsPath()}?fieldSelector=${encodeURIComponent(selector)}`);
        assert.equal(response.status, 200, selector);
        assert.deepEqual(
          response.body.items.map((item: KubeJob) => item.metadata.name),
          expected,
          selector,
        );
      }
    });
  });

  describe('control API', () => {
    it('completes a Job like a finished Kubernetes Job (condition Complete "True", completionTime, succeeded)', async () => {
      await create({ name: 'done' });
      const response = await call('POST', `/_control/namespaces/${NS}/jobs/done/complete`);
      assert.equal(response.status, 200);
      const status = (await call('GET', `${jobsPath()}/done`)).body.status;
      assert.equal(status.succeeded, 1);
      assert.match(status.completionTime, /Z$/);
      assert.match(status.startTime, /Z$/);
      assert.equal(status.conditions.length, 1);
      assert.deepEqual(
        { type: status.conditions[0].type, status: status.conditions[0].status },
        { type: 'Complete', status: 'True' },
      );
      assert.equal(status.conditions[0].lastTransitionTime, status.completionTime);
    });

    it('fails a Job with a reason and message and counts backoffLimit + 1 failures', async () => {
      await call('POST', jobsPath(), {
        ...job({ name: 'broken' }),
        spec: { ...(job({}).spec as object), backoffLimit: 1 },
      });
      const response = await call('POST', `/_control/namespaces/${NS}/jobs/broken/fail`, {
        message: 'kfctl apply failed',
      });
      assert.equal(response.status, 200);
      const status = response.body.status;
      assert.equal(status.failed, 2);
      assert.equal(status.conditions[0].type, 'Failed');
      assert.equal(status.conditions[0].status, 'True');
      assert.equal(status.conditions[0].reason, 'BackoffLimitExceeded');
      assert.equal(status.conditions[0].message, 'kfctl apply failed');
    });

    it('starts a Job (startTime, active) and bumps resourceVersion on every change', async () => {
      const created = await create({ name: 'started' });
      const started = server.startJob(NS, 'started');
      assert.equal(started.status.active, 1);
      assert.ok(Number(started.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    });

    it('answers 404 over HTTP and throws KubeServerError in-process for a missing Job', async () => {
      const response = await call('POST', `/_control/namespaces/${NS}/jobs/missing/complete`);
      assert.equal(response.status, 404);
      assert.throws(() => server.completeJob(NS, 'missing'), KubeServerError);
      assert.throws(() => server.failJob(NS, 'missing', 'x'), /jobs\.batch "missing" not found/);
    });

    it('hands out copies: changing what jobs() returns changes nothing on the server', async () => {
      await create({ name: 'copied', labels: { a: 'b' } });
      const [copy] = server.jobs(NS);
      (copy as KubeJob).metadata.labels = { a: 'changed' };
      assert.deepEqual(server.getJob(NS, 'copied')?.metadata.labels, { a: 'b' });
      assert.equal(server.getJob(NS, 'nope'), null);
    });

    it('fails the next N matching calls with an injected status, then serves normally', async () => {
      const injected = await call('POST', '/_control/faults', { status: 500, count: 2, method: 'POST' });
      assert.equal(injected.status, 200);
      assert.deepEqual(injected.body.faults, [{ status: 500, count: 2, method: 'POST' }]);
      assert.equal((await call('GET', jobsPath())).status, 200, 'GET does not match method POST');
      for (let i = 0; i < 2; i++) {
        const response = await call('POST', jobsPath(), job({ name: 'later' }));
        assert.equal(response.status, 500);
        assertStatus(response.body, 500, 'InternalError');
      }
      assert.equal((await call('POST', jobsPath(), job({ name: 'later' }))).status, 201);
      assert.deepEqual(
        server.requests().map((request) => [request.method, request.status, request.isFault]),
        [
          ['GET', 200, false],
          ['POST', 500, true],
          ['POST', 500, true],
          ['POST', 201, false],
        ],
      );
    });

    it('injects 429 with Retry-After, and in-process faults for any method', async () => {
      server.injectFaults({ status: 429 });
      const response = await requestKubeServer(server, 'GET', jobsPath(), { token: server.token });
      assert.equal(response.status, 429);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal((JSON.parse(response.text) as KubeStatus).reason, 'TooManyRequests');
    });

    it('drops the connection when asked', async () => {
      server.injectFaults({ dropConnection: true });
      await assert.rejects(call('GET', jobsPath()));
      assert.equal((await call('GET', jobsPath())).status, 200);
    });

    it('rejects a malformed fault with 400 and clears faults on DELETE', async () => {
      for (const fault of [{ status: 200 }, { count: 0, status: 500 }, {}, { status: 500, method: 7 }]) {
        const response = await call('POST', '/_control/faults', fault);
        assert.equal(response.status, 400, JSON.stringify(fault));
      }
      assert.throws(() => server.injectFaults({ status: 99 }), KubeServerError);
      await call('POST', '/_control/faults', { status: 503, count: 5 });
      await call('DELETE', '/_control/faults');
      assert.equal((await call('GET', jobsPath())).status, 200);
    });

    it('resets jobs, faults and the request log', async () => {
      await create({ name: 'x' });
      server.injectFaults({ status: 500, count: 3 });
      const response = await call('POST', '/_control/reset');
      assert.equal(response.status, 200);
      assert.deepEqual(server.jobs(), []);
      assert.equal((await call('GET', jobsPath())).status, 200);
      assert.equal(server.requests().length, 1);
    });
  });

  describe('CLI (scripts/kube-server/main.ts)', () => {
    it('prints its URL and writes a kubeconfig that reaches it', async function () {
      this.timeout(COLD_START_TEST_TIMEOUT_MS);
      const dir = mkdtempSync(join(tmpdir(), 'kube-server-cli-'));
      const kubeconfig = join(dir, 'kubeconfig');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CLI_PATH, '--port', '0', '--namespace', 'cli-ns', '--kubeconfig', kubeconfig],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        let output = '';
        child.stdout.setEncoding('utf8');
        const url = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (chunk: string) => {
            output += chunk;
            const match = /kube server listening on (https:\/\/\S+)/.exec(output);
            if (match && output.includes('kubeconfig written')) resolve(match[1] as string);
          });
          child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${output}`)));
        });
        // biome-ignore lint/suspicious/noExplicitAny: a kubeconfig as written, read field by field below
        const config = parseYaml(readFileSync(kubeconfig, 'utf8')) as any;
        assert.equal(config['current-context'], 'kube-server');
        assert.equal(config.clusters[0].cluster.server, url);
        const caPem = Buffer.from(
          config.clusters[0].cluster['certificate-authority-data'],
          'base64',
        ).toString();
        assert.match(caPem, /^-----BEGIN CERTIFICATE-----/);
        assert.equal(config.contexts[0].context.namespace, 'cli-ns');
        const token = config.users[0].user.token as string;
        const response = await requestKubeServer(
          { url, caPem },
          'GET',
          '/apis/batch/v1/namespaces/cli-ns/jobs',
          {
            token,
          },
        );
        assert.equal(response.status, 200, 'the CA in the kubeconfig verifies the server');
        assert.equal((JSON.parse(response.text) as { kind: string }).kind, 'JobList');
      } finally {
        child.kill('SIGTERM');
        if (child.exitCode === null) await once(child, 'exit');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

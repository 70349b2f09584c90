/**
 * The local kube server's discovery documents, Table output, and the pods and events it derives
 * from Jobs, over raw HTTPS: the wire shapes kubectl relies on (kube-server-kubectl.test.ts runs
 * kubectl itself).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import type { KubeJob, KubeServer } from '../../scripts/kube-server/server.js';
import { startKubeServer } from '../../scripts/kube-server/server.js';
import { requestKubeServer } from '../support/kube.js';

const NS = 'auto-deploy';
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const START = new Date('2026-03-01T12:00:00Z');

describe('local kube server: discovery, Tables, pods and events', () => {
  let server: KubeServer;
  let clock: Date;

  const get = async (
    path: string,
    accept = 'application/json',
    // biome-ignore lint/suspicious/noExplicitAny: each test asserts the fields of the JSON it reads.
  ): Promise<{ status: number; body: any; type: string }> => {
    const response = await requestKubeServer(server, 'GET', path, {
      token: server.token,
      headers: { Accept: accept },
    });
    return {
      status: response.status,
      body: JSON.parse(response.text),
      type: String(response.headers['content-type']),
    };
  };
  const createJob = async (
    metadata: Record<string, unknown>,
    spec: Record<string, unknown> = {},
  ): Promise<KubeJob> => {
    const response = await requestKubeServer(server, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      token: server.token,
      body: JSON.stringify({
        metadata,
        spec: {
          ...spec,
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
          },
        },
      }),
    });
    assert.equal(response.status, 201, response.text);
    return JSON.parse(response.text) as KubeJob;
  };

  before(async () => {
    clock = START;
    server = await startKubeServer({ now: () => clock });
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => {
    server.reset();
    clock = START;
  });

  describe('TLS', () => {
    /** Whether a TLS client trusting `caPem` accepts the server under the name `servername`. */
    const isTrusted = async (caPem: string, servername: string): Promise<boolean> => {
      // An IP is checked against the certificate as the host; only a DNS name goes in SNI.
      const socket = connect({
        host: '127.0.0.1',
        port: server.port,
        ca: caPem,
        ...(isIP(servername) ? {} : { servername }),
      });
      try {
        await once(socket, 'secureConnect');
        return socket.authorized;
      } catch {
        return false;
      } finally {
        socket.destroy();
      }
    };

    it('serves a certificate for 127.0.0.1 and localhost, signed by the CA it hands out', async () => {
      assert.equal(await isTrusted(server.caPem, '127.0.0.1'), true);
      assert.equal(await isTrusted(server.caPem, 'localhost'), true);
      assert.equal(await isTrusted(server.caPem, 'example.com'), false, 'not for other names');
    });

    it("makes a new CA at every start: another server's CA does not verify it", async () => {
      const other = await startKubeServer();
      try {
        assert.notEqual(other.caPem, server.caPem);
        assert.equal(await isTrusted(other.caPem, '127.0.0.1'), false);
      } finally {
        await other.stop();
      }
    });
  });

  describe('discovery', () => {
    it('answers /version like an API server of Kubernetes 1.32', async () => {
      const { status, body } = await get('/version');
      assert.equal(status, 200);
      assert.equal(body.major, '1');
      assert.equal(body.minor, '32');
      assert.match(body.gitVersion, /^v1\.32\.\d+/);
      assert.equal(typeof body.platform, 'string');
    });

    it('lists the core version at /api and the served groups at /apis', async () => {
      const api = await get('/api');
      assert.equal(api.body.kind, 'APIVersions');
      assert.deepEqual(api.body.versions, ['v1']);
      assert.equal(api.body.serverAddressByClientCIDRs[0].serverAddress, `127.0.0.1:${server.port}`);
      const apis = await get('/apis');
      assert.deepEqual(apis.body, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'batch',
            versions: [{ groupVersion: 'batch/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'batch/v1', version: 'v1' },
          },
        ],
      });
      const batch = await get('/apis/batch');
      assert.equal(batch.body.kind, 'APIGroup');
      assert.equal(batch.body.name, 'batch');
    });

    it('lists exactly the resources it serves, with their verbs and short names', async () => {
      const batch = await get('/apis/batch/v1');
      assert.equal(batch.body.kind, 'APIResourceList');
      assert.equal(batch.body.groupVersion, 'batch/v1');
      assert.deepEqual(
        batch.body.resources.map((resource: { name: string; kind: string; namespaced: boolean }) => [
          resource.name,
          resource.kind,
          resource.namespaced,
        ]),
        [['jobs', 'Job', true]],
      );
      assert.deepEqual(batch.body.resources[0].verbs, ['create', 'delete', 'get', 'list', 'watch']);
      const core = await get('/api/v1');
      assert.equal(core.body.groupVersion, 'v1');
      assert.deepEqual(
        core.body.resources.map((resource: { name: string; shortNames: string[] }) => [
          resource.name,
          resource.shortNames,
        ]),
        [
          ['pods', ['po']],
          ['events', ['ev']],
        ],
      );
    });

    it('answers 404 for groups and versions it does not serve, and 401 without the token', async () => {
      assert.equal((await get('/apis/apps')).status, 404);
      assert.equal((await get('/apis/batch/v2')).status, 404);
      assert.equal((await get('/api/v2')).status, 404);
      const anonymous = await requestKubeServer(server, 'GET', '/api', { token: null });
      assert.equal(anonymous.status, 401);
    });
  });

  describe('Table output (what kubectl get asks for)', () => {
    it('answers a meta.k8s.io/v1 Table with the Job columns and metadata-only rows when asked', async () => {
      const created = await createJob({ name: 'tabled', labels: { app: 'kf' } });
      clock = new Date(START.getTime() + 90_000);
      server.completeJob(NS, 'tabled');
      const { status, body, type } = await get(`/apis/batch/v1/namespaces/${NS}/jobs`, TABLE_ACCEPT);
      assert.equal(status, 200);
      assert.equal(type, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      assert.equal(body.kind, 'Table');
      assert.equal(body.apiVersion, 'meta.k8s.io/v1');
      assert.deepEqual(
        body.columnDefinitions.map((column: { name: string; priority: number }) => [
          column.name,
          column.priority,
        ]),
        [
          ['Name', 0],
          ['Status', 0],
          ['Completions', 0],
          ['Duration', 0],
          ['Age', 0],
          ['Containers', 1],
          ['Images', 1],
          ['Selector', 1],
        ],
      );
      assert.deepEqual(body.rows[0].cells, [
        'tabled',
        'Complete',
        '1/1',
        // startTime falls back to the creation time when the Job was never started.
        '90s',
        '90s',
        'main',
        'busybox:1.36',
        `batch.kubernetes.io/controller-uid=${created.metadata.uid}`,
      ]);
      assert.equal(body.rows[0].object.kind, 'PartialObjectMetadata');
      assert.deepEqual(body.rows[0].object.metadata.labels, { app: 'kf' });
      assert.equal(body.rows[0].object.spec, undefined);
    });

    it('puts the whole object in the rows with includeObject=Object, none with None; a single Job is a one-row Table', async () => {
      await createJob({ name: 'whole' });
      const whole = await get(`/apis/batch/v1/namespaces/${NS}/jobs?includeObject=Object`, TABLE_ACCEPT);
      assert.equal(whole.body.rows[0].object.kind, 'Job');
      const none = await get(`/apis/batch/v1/namespaces/${NS}/jobs?includeObject=None`, TABLE_ACCEPT);
      assert.equal(none.body.rows[0].object, undefined);
      const one = await get(`/apis/batch/v1/namespaces/${NS}/jobs/whole`, TABLE_ACCEPT);
      assert.equal(one.body.kind, 'Table');
      assert.deepEqual(one.body.rows[0].cells.slice(0, 3), ['whole', 'Running', '0/1']);
    });

    it('answers plain JSON when the Accept header puts JSON first or asks for nothing', async () => {
      await createJob({ name: 'plain' });
      for (const accept of [
        'application/json',
        'application/json, application/json;as=Table;v=v1;g=meta.k8s.io',
        '*/*',
      ]) {
        const { body } = await get(`/apis/batch/v1/namespaces/${NS}/jobs`, accept);
        assert.equal(body.kind, 'JobList', accept);
      }
    });
  });

  describe('pods of Jobs', () => {
    it('derives one pod per Job, labelled like the Job controller does, whose phase follows the Job', async () => {
      const job = await createJob({ name: 'runner' });
      const { body } = await get(`/api/v1/namespaces/${NS}/pods?labelSelector=job-name%3Drunner`);
      assert.equal(body.kind, 'PodList');
      assert.equal(body.apiVersion, 'v1');
      assert.equal(body.items.length, 1);
      const pod = body.items[0];
      assert.match(pod.metadata.name, /^runner-[a-z0-9]{5}$/);
      assert.equal(pod.metadata.labels['controller-uid'], job.metadata.uid);
      assert.deepEqual(pod.metadata.ownerReferences[0].uid, job.metadata.uid);
      assert.equal(pod.status.phase, 'Running');

      server.failJob(NS, 'runner');
      const failed = await get(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`);
      assert.equal(failed.body.metadata.uid, pod.metadata.uid, 'the same pod, not a new one');
      assert.equal(failed.body.status.phase, 'Failed');
      assert.equal(failed.body.status.containerStatuses[0].state.terminated.reason, 'Error');
    });

    it('has no pod for a suspended Job, none after its Job is deleted, and 404 for an unknown pod', async () => {
      await createJob({ name: 'suspended' }, { suspend: true });
      await createJob({ name: 'deleted' });
      await requestKubeServer(server, 'DELETE', `/apis/batch/v1/namespaces/${NS}/jobs/deleted`, {
        token: server.token,
      });
      assert.deepEqual((await get(`/api/v1/namespaces/${NS}/pods`)).body.items, []);
      const missing = await get(`/api/v1/namespaces/${NS}/pods/nope`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.message, 'pods "nope" not found');
      assert.deepEqual(missing.body.details, { name: 'nope', kind: 'pods' });
    });

    it('selects pods by status.phase and lists every namespace at /api/v1/pods', async () => {
      await createJob({ name: 'a' });
      await createJob({ name: 'b' });
      server.completeJob(NS, 'b');
      const succeeded = await get(`/api/v1/pods?fieldSelector=status.phase%3DSucceeded`);
      assert.deepEqual(
        succeeded.body.items.map(
          (pod: { metadata: { labels: Record<string, string> } }) => pod.metadata.labels['job-name'],
        ),
        ['b'],
      );
    });
  });

  describe('events of Jobs', () => {
    it('answers the events kubectl describe selects by involvedObject, oldest first', async () => {
      const job = await createJob({ name: 'eventful' });
      await createJob({ name: 'quiet' });
      clock = new Date(START.getTime() + 60_000);
      server.completeJob(NS, 'eventful');
      const selector = [
        'involvedObject.name=eventful',
        `involvedObject.namespace=${NS}`,
        'involvedObject.kind=Job',
        `involvedObject.uid=${job.metadata.uid}`,
      ].join(',');
      const { status, body } = await get(
        `/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(selector)}`,
      );
      assert.equal(status, 200);
      assert.equal(body.kind, 'EventList');
      assert.deepEqual(
        body.items.map((event: { type: string; reason: string; firstTimestamp: string }) => [
          event.type,
          event.reason,
          event.firstTimestamp,
        ]),
        [
          ['Normal', 'SuccessfulCreate', '2026-03-01T12:00:00Z'],
          ['Normal', 'Completed', '2026-03-01T12:01:00Z'],
        ],
      );
      assert.equal(body.items[0].source.component, 'job-controller');
    });

    it('refuses a field it cannot select events by', async () => {
      const { status, body } = await get(`/api/v1/namespaces/${NS}/events?fieldSelector=message%3Dx`);
      assert.equal(status, 400);
      assert.equal(body.message, 'field label not supported: message');
    });
  });
});

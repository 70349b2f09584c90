/**
 * The ClusterManager fake (scripts/container-emulator), driven by the real `@google-cloud/container`
 * ClusterManagerClient over gRPC, and by hand through its in-process and HTTP control APIs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { ClusterManagerClient } from '@google-cloud/container';
import { grpc } from 'google-gax';
import {
  type ContainerEmulator,
  PLACEHOLDER_CA_PEM,
  startContainerEmulator,
} from '../../scripts/container-emulator/server.js';
import { runScriptToExit } from '../support/cli.js';

const PROJECT = 'demo-container-emulator-test';
const ZONE = 'us-east1-c';
const PARENT = `projects/${PROJECT}/locations/${ZONE}`;
const CREATED_AT = new Date('2030-01-02T03:04:05.000Z');

function clusterClient(port: number): ClusterManagerClient {
  return new ClusterManagerClient({
    apiEndpoint: '127.0.0.1',
    port,
    sslCreds: grpc.credentials.createInsecure(),
  });
}

/** Asserts that `promise` fails with gRPC status `code` and returns the error's details. */
async function rejectsWithCode(promise: Promise<unknown>, code: grpc.status): Promise<string> {
  let details = '';
  await assert.rejects(promise, (error: { code?: number; details?: string; message?: string }) => {
    assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${error.code}: ${error.message}`);
    details = error.details ?? '';
    return true;
  });
  return details;
}

async function control(
  emulator: ContainerEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${emulator.controlUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('container emulator (real ClusterManagerClient over gRPC)', () => {
  let emulator: ContainerEmulator;
  let client: ClusterManagerClient;

  before(async () => {
    emulator = await startContainerEmulator({
      project: PROJECT,
      location: ZONE,
      now: () => CREATED_AT.getTime(),
      log: () => {},
    });
    client = clusterClient(emulator.port);
  });

  beforeEach(() => {
    emulator.reset();
  });

  after(async () => {
    await client.close();
    await emulator.stop();
  });

  async function listedNames(
    request: Parameters<ClusterManagerClient['listClusters']>[0],
  ): Promise<string[]> {
    const [response] = await client.listClusters(request);
    return (response.clusters ?? []).map((cluster) => `${cluster.location}/${cluster.name}`);
  }

  describe('ListClusters', () => {
    beforeEach(() => {
      emulator.addCluster({ name: 'kf-master-0102-bbb' });
      emulator.addCluster({ name: 'kf-master-0101-aaa' });
      emulator.addCluster({ name: 'kf-v1-0101-ccc', location: 'europe-west1-b' });
      emulator.addCluster({ name: 'elsewhere', project: 'demo-other-project' });
    });

    it('lists the clusters of a project and location (parent), by name', async () => {
      assert.deepEqual(await listedNames({ parent: PARENT }), [
        `${ZONE}/kf-master-0101-aaa`,
        `${ZONE}/kf-master-0102-bbb`,
      ]);
    });

    it('lists every location of the project with location "-"', async () => {
      assert.deepEqual(await listedNames({ parent: `projects/${PROJECT}/locations/-` }), [
        'europe-west1-b/kf-v1-0101-ccc',
        `${ZONE}/kf-master-0101-aaa`,
        `${ZONE}/kf-master-0102-bbb`,
      ]);
    });

    it('honours the deprecated project_id and zone fields', async () => {
      assert.deepEqual(await listedNames({ projectId: PROJECT, zone: 'europe-west1-b' }), [
        'europe-west1-b/kf-v1-0101-ccc',
      ]);
      assert.equal((await listedNames({ projectId: PROJECT, zone: '-' })).length, 3);
    });

    it('answers an empty list for a location without clusters', async () => {
      const [response] = await client.listClusters({ parent: `projects/${PROJECT}/locations/asia-east1-a` });
      assert.deepEqual(response.clusters, []);
      assert.deepEqual(response.missingZones, []);
    });

    it('rejects a malformed or missing parent with INVALID_ARGUMENT', async () => {
      await rejectsWithCode(client.listClusters({ parent: 'projects/p' }), grpc.status.INVALID_ARGUMENT);
      await rejectsWithCode(client.listClusters({}), grpc.status.INVALID_ARGUMENT);
    });
  });

  describe('GetCluster', () => {
    it('returns name, location, status, endpoint, CA (base64 PEM), labels and create time', async () => {
      const labels = { 'auto-deploy-version': 'master', commit: 'abc123' };
      emulator.addCluster({ name: 'kf-master-0101-aaa', labels, endpoint: '10.1.2.3' });
      const [cluster] = await client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` });
      assert.equal(cluster.name, 'kf-master-0101-aaa');
      assert.equal(cluster.location, ZONE);
      assert.equal(cluster.status, 'RUNNING');
      assert.equal(cluster.endpoint, '10.1.2.3');
      assert.deepEqual(cluster.resourceLabels, labels);
      assert.equal(cluster.createTime, CREATED_AT.toISOString());
      const pem = Buffer.from(cluster.masterAuth?.clusterCaCertificate ?? '', 'base64').toString('utf8');
      assert.equal(pem, PLACEHOLDER_CA_PEM);
      assert.equal(new X509Certificate(pem).ca, true, 'the placeholder is a parseable CA certificate');
    });

    it('reports the status, endpoint and CA a cluster was added with', async () => {
      const otherCa = PLACEHOLDER_CA_PEM.replace('CERTIFICATE-----', 'CERTIFICATE-----\n');
      emulator.addCluster({ name: 'kf-broken', status: 'ERROR', caCertificatePem: otherCa });
      const [cluster] = await client.getCluster({ projectId: PROJECT, zone: ZONE, clusterId: 'kf-broken' });
      assert.equal(cluster.status, 'ERROR');
      assert.match(cluster.endpoint ?? '', /^203\.0\.113\.\d+$/, 'a documentation address by default');
      assert.equal(Buffer.from(cluster.masterAuth?.clusterCaCertificate ?? '', 'base64').toString(), otherCa);
    });

    it('answers NOT_FOUND for an unknown cluster, naming it', async () => {
      emulator.addCluster({ name: 'kf-master-0101-aaa', location: 'europe-west1-b' });
      const details = await rejectsWithCode(
        client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` }),
        grpc.status.NOT_FOUND,
      );
      assert.match(details, new RegExp(`${PARENT}/clusters/kf-master-0101-aaa`));
    });

    it('rejects a malformed name, and location "-", with INVALID_ARGUMENT', async () => {
      await rejectsWithCode(client.getCluster({ name: 'clusters/x' }), grpc.status.INVALID_ARGUMENT);
      await rejectsWithCode(
        client.getCluster({ name: `projects/${PROJECT}/locations/-/clusters/x` }),
        grpc.status.INVALID_ARGUMENT,
      );
    });
  });

  describe('DeleteCluster', () => {
    it('removes the cluster and returns a DONE DELETE_CLUSTER operation', async () => {
      emulator.addCluster({ name: 'kf-master-0101-aaa' });
      emulator.addCluster({ name: 'kf-master-0102-bbb' });
      const [operation] = await client.deleteCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` });
      assert.equal(operation.operationType, 'DELETE_CLUSTER');
      assert.equal(operation.status, 'DONE');
      assert.match(operation.targetLink ?? '', /\/clusters\/kf-master-0101-aaa$/);
      assert.deepEqual(await listedNames({ parent: PARENT }), [`${ZONE}/kf-master-0102-bbb`]);
      await rejectsWithCode(
        client.deleteCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` }),
        grpc.status.NOT_FOUND,
      );
    });
  });

  it('answers UNIMPLEMENTED, naming the RPCs it serves, for the others', async () => {
    const details = await rejectsWithCode(
      client.createCluster({ parent: PARENT, cluster: { name: 'new' } }),
      grpc.status.UNIMPLEMENTED,
    );
    assert.match(
      details,
      /^ClusterManager\.CreateCluster is not implemented by the container emulator; it serves ListClusters, GetCluster, DeleteCluster/,
    );
    await rejectsWithCode(client.getServerConfig({ name: PARENT }), grpc.status.UNIMPLEMENTED);
  });

  describe('control API over HTTP', () => {
    it('adds a cluster that the client then lists and gets', async () => {
      const added = await control(emulator, 'POST', '/_control/clusters', {
        name: 'kf-master-0101-aaa',
        labels: { version: 'master' },
        status: 'PROVISIONING',
        createTime: '2031-05-06T07:08:09.000Z',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(
        (added.body.cluster as { resourceName: string }).resourceName,
        `${PARENT}/clusters/kf-master-0101-aaa`,
      );
      assert.deepEqual(await listedNames({ parent: PARENT }), [`${ZONE}/kf-master-0101-aaa`]);
      const [cluster] = await client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` });
      assert.equal(cluster.status, 'PROVISIONING');
      assert.deepEqual(cluster.resourceLabels, { version: 'master' });
      assert.equal(cluster.createTime, '2031-05-06T07:08:09.000Z');

      const listed = await control(emulator, 'GET', '/_control/clusters');
      assert.deepEqual(
        (listed.body.clusters as Array<{ name: string }>).map((c) => c.name),
        ['kf-master-0101-aaa'],
      );
    });

    it('refuses a taken name (409) and a bad cluster (400), naming the field', async () => {
      assert.equal((await control(emulator, 'POST', '/_control/clusters', { name: 'kf-a' })).status, 201);
      const taken = await control(emulator, 'POST', '/_control/clusters', { name: 'kf-a' });
      assert.equal(taken.status, 409);
      assert.match(String(taken.body.error), /already exists/);
      const cases: Array<[unknown, RegExp]> = [
        [{ name: 'Bad_Name' }, /name must be lower-case/],
        [{ name: 'kf-b', status: 'SLEEPING' }, /status must be one of/],
        [{ name: 'kf-b', labels: { a: 1 } }, /labels must be an object of string values/],
        [{ name: 'kf-b', createTime: 'yesterday' }, /createTime must be an ISO 8601/],
        [{ labels: {} }, /name is required/],
        [[1, 2], /must be a JSON object/],
      ];
      for (const [body, message] of cases) {
        const answer = await control(emulator, 'POST', '/_control/clusters', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.match(String(answer.body.error), message);
      }
      assert.equal(emulator.listClusters().length, 1);
    });

    it('deletes a cluster by hand: the client no longer finds it', async () => {
      emulator.addCluster({ name: 'kf-master-0101-aaa' });
      emulator.addCluster({ name: 'kf-master-0101-aaa', location: 'europe-west1-b' });
      const deleted = await control(emulator, 'DELETE', '/_control/clusters/kf-master-0101-aaa');
      assert.equal(deleted.status, 200);
      await rejectsWithCode(
        client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` }),
        grpc.status.NOT_FOUND,
      );
      assert.equal((await listedNames({ parent: `projects/${PROJECT}/locations/-` })).length, 1);
      const elsewhere = await control(
        emulator,
        'DELETE',
        '/_control/clusters/kf-master-0101-aaa?location=europe-west1-b',
      );
      assert.equal(elsewhere.status, 200);
      assert.equal((await control(emulator, 'DELETE', '/_control/clusters/kf-master-0101-aaa')).status, 404);
      assert.deepEqual(await listedNames({ parent: `projects/${PROJECT}/locations/-` }), []);
    });

    it('answers 404 for an unknown route and 405 for a wrong method', async () => {
      assert.equal((await control(emulator, 'GET', '/_control/nothing')).status, 404);
      assert.equal((await control(emulator, 'PUT', '/_control/clusters')).status, 405);
    });
  });

  describe('faults', () => {
    beforeEach(() => {
      emulator.addCluster({ name: 'kf-master-0101-aaa' });
    });

    it('fails exactly the next N ListClusters calls with the given code (HTTP control)', async () => {
      const queued = await control(emulator, 'POST', '/_control/faults', {
        code: 'PERMISSION_DENIED',
        count: 2,
        message: 'no access today',
      });
      assert.equal(queued.status, 201, JSON.stringify(queued.body));
      for (let call = 1; call <= 2; call += 1) {
        const details = await rejectsWithCode(
          client.listClusters({ parent: PARENT }),
          grpc.status.PERMISSION_DENIED,
        );
        assert.equal(details, 'no access today');
      }
      assert.deepEqual(await listedNames({ parent: PARENT }), [`${ZONE}/kf-master-0101-aaa`]);
      assert.deepEqual((await control(emulator, 'GET', '/_control/faults')).body.faults, []);
    });

    it('targets only the method it names', async () => {
      emulator.injectFault({ method: 'GetCluster', code: grpc.status.INTERNAL });
      assert.deepEqual(await listedNames({ parent: PARENT }), [`${ZONE}/kf-master-0101-aaa`]);
      await rejectsWithCode(
        client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` }),
        grpc.status.INTERNAL,
      );
      const [cluster] = await client.getCluster({ name: `${PARENT}/clusters/kf-master-0101-aaa` });
      assert.equal(cluster.name, 'kf-master-0101-aaa');
    });

    it('UNAVAILABLE is retried by the client itself: two faults, then the third attempt succeeds', async () => {
      emulator.injectFault({ code: 'UNAVAILABLE', count: 2 });
      assert.deepEqual(await listedNames({ parent: PARENT }), [`${ZONE}/kf-master-0101-aaa`]);
      assert.deepEqual(emulator.pendingFaults(), [], 'both faults were served to the retried attempts');
      // Without the client's retries the first failure reaches the caller.
      emulator.injectFault({ code: 'UNAVAILABLE' });
      await rejectsWithCode(
        client.listClusters({ parent: PARENT }, { retry: null }),
        grpc.status.UNAVAILABLE,
      );
    });

    it('unreachable zones: ListClusters leaves their clusters out and names them in missingZones', async () => {
      emulator.addCluster({ name: 'kf-v1-0101-ccc', location: 'europe-west1-b' });
      const set = await control(emulator, 'PUT', '/_control/unreachable-zones', { zones: [ZONE] });
      assert.deepEqual(set, { status: 200, body: { zones: [ZONE] } });
      const missingIn = async (location: string) => {
        const [response] = await client.listClusters({ parent: `projects/${PROJECT}/locations/${location}` });
        return {
          names: (response.clusters ?? []).map((cluster) => cluster.name),
          missingZones: response.missingZones,
        };
      };
      assert.deepEqual(await missingIn(ZONE), { names: [], missingZones: [ZONE] });
      assert.deepEqual(await missingIn('us-east1'), { names: [], missingZones: [ZONE] });
      assert.deepEqual(await missingIn('-'), { names: ['kf-v1-0101-ccc'], missingZones: [ZONE] });
      assert.deepEqual(await missingIn('europe-west1-b'), { names: ['kf-v1-0101-ccc'], missingZones: [] });

      assert.equal(
        (await control(emulator, 'PUT', '/_control/unreachable-zones', { zones: ['-'] })).status,
        400,
      );
      assert.throws(() => emulator.setUnreachableZones(['Not A Zone']), TypeError);
      await control(emulator, 'DELETE', '/_control/faults');
      assert.deepEqual(await missingIn(ZONE), { names: ['kf-master-0101-aaa'], missingZones: [] });
    });

    it('refuses a bad fault spec (400 over HTTP, TypeError in process)', async () => {
      for (const body of [
        { code: 0 },
        { code: 'NOPE' },
        { code: 14, count: 0 },
        { code: 14, method: 'CreateCluster' },
      ]) {
        const answer = await control(emulator, 'POST', '/_control/faults', body);
        assert.equal(answer.status, 400, JSON.stringify(body));
      }
      assert.throws(() => emulator.injectFault({ code: 99 }), TypeError);
      assert.deepEqual(emulator.pendingFaults(), []);
    });
  });
});

describe('container emulator command line (scripts/container-emulator/main.ts)', () => {
  it('starts with --project, --location and --cluster, serves the real client and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/container-emulator/main.ts',
        '--port',
        '0',
        '--project',
        'demo-cli',
        '--location',
        'us-west1-a',
        '--cluster',
        'kf-one',
        '--cluster',
        'kf-two',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit');
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match =
            /container emulator listening on 127\.0\.0\.1:(\d+), control API on http:\/\/127\.0\.0\.1:\d+/.exec(
              output,
            );
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening`)));
      });
      const cliClient = clusterClient(port);
      try {
        const [response] = await cliClient.listClusters({ parent: 'projects/demo-cli/locations/us-west1-a' });
        assert.deepEqual(
          (response.clusters ?? []).map((cluster) => cluster.name),
          ['kf-one', 'kf-two'],
        );
      } finally {
        await cliClient.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0);
  });

  it('exits with status 2 and the usage on a bad flag', async () => {
    const { code, stderr } = await runScriptToExit('scripts/container-emulator/main.ts', ['--port', 'x']);
    assert.equal(code, 2);
    assert.match(stderr, /--port must be an integer/);
    assert.match(stderr, /usage: container-emulator/);
  });
});

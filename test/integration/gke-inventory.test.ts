/**
 * GkeInventory against the container emulator with the real ClusterManagerClient over gRPC: the
 * listing, and every way it can fail (a gRPC error, a deadline, an unreachable zone) reading as an
 * InventoryError, never as a list.
 */
import assert from 'node:assert/strict';
import type { ClusterManagerClient } from '@google-cloud/container';
import { grpc } from 'google-gax';
import {
  type ClusterLister,
  createContainerClient,
  GkeInventory,
  InventoryError,
} from '../../functions/adapters/gke-inventory.js';
import { type ContainerEmulator, startContainerEmulator } from '../../scripts/container-emulator/server.js';
import { hostOf } from '../support/host.js';

const PROJECT = 'demo-gke-inventory';
const ZONE = 'us-east1-c';
const CREATED_AT = new Date('2030-01-02T03:04:05.000Z');

function isInventoryError(
  expected: { code: number | null; isTransient: boolean; message?: RegExp },
  check?: (error: InventoryError) => void,
) {
  return (error: unknown) => {
    assert.ok(error instanceof InventoryError, `expected an InventoryError, got ${error}`);
    assert.equal(error.name, 'InventoryError');
    assert.equal(error.code, expected.code, error.message);
    assert.equal(error.isTransient, expected.isTransient, error.message);
    if (expected.message) assert.match(error.message, expected.message);
    check?.(error);
    return true;
  };
}

describe('GkeInventory (container emulator, real ClusterManagerClient)', () => {
  let emulator: ContainerEmulator;
  let client: ClusterManagerClient;
  let inventory: GkeInventory;

  before(async () => {
    emulator = await startContainerEmulator({
      project: PROJECT,
      location: ZONE,
      now: () => CREATED_AT.getTime(),
      log: () => {},
    });
    client = createContainerClient({ emulator: hostOf(emulator.address), projectId: PROJECT });
    inventory = new GkeInventory({ client });
  });

  beforeEach(() => emulator.reset());

  after(async () => {
    await client.close();
    await emulator.stop();
  });

  it('lists the clusters of the project and location with status, labels and create time', async () => {
    emulator.addCluster({
      name: 'kf-master-0101-aaa',
      labels: { 'kf-version': 'master', 'auto-deploy': 'true' },
    });
    emulator.addCluster({
      name: 'kf-v1-0101-bbb',
      status: 'PROVISIONING',
      createTime: new Date('2030-01-01T00:00:00Z'),
    });
    emulator.addCluster({ name: 'other-zone', location: 'europe-west1-b' });
    emulator.addCluster({ name: 'other-project', project: 'demo-someone-else' });
    assert.deepEqual(await inventory.listClusters(PROJECT, ZONE), [
      {
        name: 'kf-master-0101-aaa',
        location: ZONE,
        status: 'RUNNING',
        labels: { 'kf-version': 'master', 'auto-deploy': 'true' },
        createdAt: CREATED_AT,
      },
      {
        name: 'kf-v1-0101-bbb',
        location: ZONE,
        status: 'PROVISIONING',
        labels: {},
        createdAt: new Date('2030-01-01T00:00:00Z'),
      },
    ]);
    assert.deepEqual(
      (await inventory.listClusters(PROJECT, '-')).map((cluster) => `${cluster.location}/${cluster.name}`),
      ['europe-west1-b/other-zone', `${ZONE}/kf-master-0101-aaa`, `${ZONE}/kf-v1-0101-bbb`],
    );
  });

  it('an empty project is an empty list, not an error', async () => {
    emulator.addCluster({ name: 'elsewhere', project: 'demo-someone-else' });
    assert.deepEqual(await inventory.listClusters(PROJECT, ZONE), []);
  });

  it('a permanent gRPC failure is an InventoryError that is not transient, with a hint', async () => {
    emulator.injectFault({ code: 'PERMISSION_DENIED', message: 'no access today' });
    await assert.rejects(
      inventory.listClusters(PROJECT, ZONE),
      isInventoryError({
        code: grpc.status.PERMISSION_DENIED,
        isTransient: false,
        message: new RegExp(
          `projects/${PROJECT}/locations/${ZONE} \\(7 PERMISSION_DENIED\\).*no access today.*container\\.clusters\\.list`,
        ),
      }),
    );
    emulator.injectFault({ code: 'NOT_FOUND' });
    await assert.rejects(
      inventory.listClusters(PROJECT, ZONE),
      isInventoryError({ code: grpc.status.NOT_FOUND, isTransient: false, message: /Check the project/ }),
    );
  });

  it('UNAVAILABLE once is retried inside the call: the listing succeeds', async () => {
    emulator.addCluster({ name: 'kf-master-0101-aaa' });
    emulator.injectFault({ code: 'UNAVAILABLE' });
    const clusters = await inventory.listClusters(PROJECT, ZONE);
    assert.deepEqual(
      clusters.map((cluster) => cluster.name),
      ['kf-master-0101-aaa'],
    );
    assert.deepEqual(emulator.pendingFaults(), []);
  });

  it('UNAVAILABLE on every attempt: retried until the deadline, then a transient InventoryError', async () => {
    emulator.addCluster({ name: 'kf-master-0101-aaa' });
    const attempts = 1_000_000;
    emulator.injectFault({ code: 'UNAVAILABLE', count: attempts });
    const bounded = new GkeInventory({ client, timeoutMs: 500 });
    await assert.rejects(
      bounded.listClusters(PROJECT, ZONE),
      isInventoryError({
        code: grpc.status.DEADLINE_EXCEEDED,
        isTransient: true,
        message: /UNAVAILABLE/,
      }),
    );
    const left = emulator.pendingFaults()[0]?.count ?? 0;
    assert.ok(attempts - left > 1, `retried: ${attempts - left} attempts`);
  });

  it('an unreachable zone makes the listing an error, even though the answer is OK', async () => {
    emulator.addCluster({ name: 'kf-master-0101-aaa' });
    emulator.addCluster({ name: 'kf-v1-0101-bbb', location: 'europe-west1-b' });
    emulator.setUnreachableZones([ZONE]);
    for (const location of [ZONE, 'us-east1', '-']) {
      await assert.rejects(
        inventory.listClusters(PROJECT, location),
        isInventoryError(
          { code: null, isTransient: true, message: /is incomplete: GKE could not reach us-east1-c/ },
          (error) => assert.deepEqual(error.missingZones, [ZONE]),
        ),
      );
    }
    // A zone that cannot hold the location's clusters does not matter.
    assert.deepEqual(
      (await inventory.listClusters(PROJECT, 'europe-west1-b')).map((cluster) => cluster.name),
      ['kf-v1-0101-bbb'],
    );
  });

  it('a malformed project or location is refused before any call', async () => {
    const calls: unknown[] = [];
    const recording: ClusterLister = {
      listClusters: async (request) => {
        calls.push(request);
        return [{ clusters: [], missingZones: [] }];
      },
    };
    const checked = new GkeInventory({ client: recording });
    for (const [project, location] of [
      ['', ZONE],
      [PROJECT, ''],
      [PROJECT, 'us-east1-c/clusters/x'],
      ['a/b', ZONE],
    ]) {
      await assert.rejects(
        checked.listClusters(project as string, location as string),
        isInventoryError({ code: null, isTransient: false }),
      );
    }
    assert.deepEqual(calls, []);
    await checked.listClusters(PROJECT, ZONE);
    assert.deepEqual(calls, [{ parent: `projects/${PROJECT}/locations/${ZONE}` }]);
  });

  it('passes the bounded call options: 20 s by default, retrying UNAVAILABLE and DEADLINE_EXCEEDED', async () => {
    const seen: unknown[] = [];
    const recording: ClusterLister = {
      listClusters: async (_request, options) => {
        seen.push(options);
        return [{ clusters: [] }];
      },
    };
    await new GkeInventory({ client: recording }).listClusters(PROJECT, ZONE);
    const options = seen[0] as {
      timeout: number;
      retry: {
        retryCodes: number[];
        backoffSettings: { totalTimeoutMillis: number; maxRetryDelayMillis: number };
      };
    };
    assert.equal(options.timeout, 20_000);
    assert.equal(options.retry.backoffSettings.totalTimeoutMillis, 20_000);
    assert.ok(options.retry.backoffSettings.maxRetryDelayMillis <= 2_000);
    assert.deepEqual(options.retry.retryCodes, [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
    assert.throws(() => new GkeInventory({ client: recording, timeoutMs: 0 }), RangeError);
  });

  it('missing credentials (real client, no ADC): one InventoryError, and no unhandled rejection left behind', async () => {
    // google-gax leaves an unhandled rejection when the stub cannot get credentials
    // (googleapis/google-cloud-node#9085); the adapter loads them first (resolveCredentials).
    const previous = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/auto-deploy-test-credentials.json';
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', listener);
    const real = createContainerClient({ emulator: null, projectId: PROJECT });
    try {
      await assert.rejects(
        new GkeInventory({ client: real }).listClusters(PROJECT, ZONE),
        isInventoryError({ code: null, isTransient: false, message: /auto-deploy-test-credentials/ }),
      );
      // Rejections are reported after the microtask queue drains: give them two turns of the loop.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled.map(String), []);
    } finally {
      process.off('unhandledRejection', listener);
      for (const original of mochaListeners) process.on('unhandledRejection', original);
      if (previous === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = previous;
      await real.close();
    }
  });
});

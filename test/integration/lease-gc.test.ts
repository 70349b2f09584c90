/**
 * Leases keep garbage collection off an instance, on the Firestore emulator: the planner's snapshot
 * (FirestorePlanStore) skips a leased instance and collects it once released; the worker's teardown
 * transaction (FirestoreLaunchStore) defers a teardown a lease came before, and an acquire racing a
 * teardown cannot both win; the tick's step closes expired leases, kept a week for the record.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { deploymentFromDoc, requestFromDoc } from '../../functions/adapters/firestore/codec.js';
import { FirestoreDeploymentStore } from '../../functions/adapters/firestore/deployment-store.js';
import { FirestoreLaunchStore } from '../../functions/adapters/firestore/launch-store.js';
import { leasesFromDocs } from '../../functions/adapters/firestore/lease-codec.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import { deploymentRef, leaseRef, requestRef } from '../../functions/adapters/firestore/refs.js';
import { decideAcquire } from '../../functions/core/lease-acquire.js';
import { isLeaseLive } from '../../functions/core/leases.js';
import { claimTeardown } from '../../functions/core/teardown.js';
import { silentLogger } from '../../functions/log.js';
import { closeExpiredLeases } from '../../functions/use-cases/close-expired-leases.js';
import { planAndEnqueue } from '../../functions/use-cases/plan-and-enqueue.js';
import { runDeployRequest } from '../../functions/use-cases/run-deploy-request.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { makeDeployRequest } from '../support/fixtures.js';
import {
  callApi,
  LEASE_CONFIG,
  type LeaseStack,
  masterDeployment,
  putDeployments,
  startLeaseStack,
} from '../support/lease-stack.js';
import { MemoryJobs, MemoryQueue } from '../support/memory-stores.js';
import { putBranchHead, putRequest } from '../support/pipeline-fixtures.js';
import { TEST_TEMPLATES } from '../support/use-case-fixtures.js';

const REPO = 'kubeflow/manifests';
const SHA_OLD = 'b2'.repeat(20);
const SHA_NEW = 'a1'.repeat(20);
const OLD = 'kf-master-0301-o11';
const NEW = 'kf-master-0301-n22';
const OWNER = 'kubeflow/examples#1234';
const TEARDOWN = `teardown-${OLD}-0`;

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

describe('leases and garbage collection (Firestore emulator)', () => {
  let db: Firestore;
  let stack: LeaseStack;
  let queue: MemoryQueue;
  let jobs: MemoryJobs;
  const api = (method: string, path: string, body?: unknown) => callApi(stack.url, method, path, body);
  const plan = () =>
    planAndEnqueue(
      {
        config: LEASE_CONFIG,
        store: new FirestorePlanStore(db),
        queue,
        clock: stack.clock.read,
        logger: silentLogger,
      },
      null,
    );
  const work = (requestId: string) =>
    runDeployRequest(
      {
        config: LEASE_CONFIG,
        store: new FirestoreLaunchStore(db),
        jobs,
        templates: TEST_TEMPLATES,
        clock: stack.clock.read,
        logger: silentLogger,
      },
      requestId,
    );
  /** OLD's teardown request, enqueued now (as the planner would), with `fields` on top. */
  const putTeardownRequest = (fields: { force?: boolean } = {}) =>
    putRequest(
      db,
      makeDeployRequest({
        id: TEARDOWN,
        action: 'teardown',
        instance: OLD,
        status: 'enqueued',
        createdAt: stack.clock.read(),
        ...fields,
      }),
    );
  const deployment = async (instance: string) => deploymentFromDoc(await deploymentRef(db, instance).get());
  const request = async (id: string) => requestFromDoc(await requestRef(db, id).get());
  const leaseOn = async (instance: string, ttlSeconds = 3600) => {
    const { status, body } = await api('POST', '/api/leases', {
      version: 'master',
      owner: OWNER,
      instance,
      ttlSeconds,
    });
    assert.equal(status, 201, JSON.stringify(body));
    return String(body.leaseId);
  };

  useEmulatorSuite((client) => {
    db = client;
  });

  beforeEach(async () => {
    stack = await startLeaseStack(db);
    queue = new MemoryQueue();
    jobs = new MemoryJobs(stack.clock.read);
    // OLD is superseded by NEW (the head), both past every GC age: GC collects OLD unless it is held.
    await putBranchHead(db, REPO, 'master', SHA_NEW);
    await putDeployments(db, masterDeployment(OLD, SHA_OLD, 10), masterDeployment(NEW, SHA_NEW, 5));
  });

  afterEach(async () => {
    await stack.stop();
  });

  it('the planner does not collect a leased instance, and collects it once the lease is released', async () => {
    const leaseId = await leaseOn(OLD);

    assert.deepEqual((await plan()).collect, []);
    assert.equal((await db.collection('deployRequests').get()).size, 0);

    assert.equal((await api('DELETE', `/api/leases/${leaseId}`)).status, 200);
    const released = await plan();
    assert.deepEqual(released.collect, [OLD]);
    assert.deepEqual(released.enqueued, [TEARDOWN]);
  });

  it('the planner collects it once the lease has expired, before the tick closes it', async () => {
    await leaseOn(OLD, 60);
    assert.deepEqual((await plan()).collect, []);
    stack.clock.advanceSeconds(61);
    assert.deepEqual((await plan()).collect, [OLD]);
  });

  it('the worker defers a teardown a lease came before, and tears down once the lease is over', async () => {
    assert.deepEqual((await plan()).enqueued, [TEARDOWN]);
    const leaseId = await leaseOn(OLD);

    const refused = await work(TEARDOWN);

    assert.deepEqual(refused, { kind: 'done', result: 'teardown-closed' });
    assert.equal((await deployment(OLD))?.status, 'ready');
    assert.equal(jobs.jobs.length, 0);
    const deferred = await request(TEARDOWN);
    assert.equal(deferred?.status, 'deferred');
    assert.match(deferred?.error ?? '', new RegExp(`^not torn down yet: leased by ${OWNER} until \\d{4}-`));
    assert.deepEqual((await plan()).enqueued, []);

    await api('DELETE', `/api/leases/${leaseId}`);
    assert.deepEqual((await plan()).enqueued, [TEARDOWN]);
    const outcome = await work(TEARDOWN);
    assert.equal(outcome.kind === 'done' && outcome.result, 'teardown-started');
    assert.equal((await deployment(OLD))?.status, 'deleting');
  });

  it("a forced teardown goes through a live lease and revokes it: the holder's heartbeat answers 410", async () => {
    const leaseId = await leaseOn(OLD);
    await putTeardownRequest({ force: true });

    const outcome = await work(TEARDOWN);

    assert.equal(outcome.kind === 'done' && outcome.result, 'teardown-started');
    assert.equal((await deployment(OLD))?.status, 'deleting');
    const stored = (await leaseRef(db, leaseId).get()).data();
    assert.equal(stored?.status, 'revoked');
    assert.ok(stored?.closedAt, 'closedAt is set');
    const heartbeat = await api('POST', `/api/leases/${leaseId}/heartbeat`, {});
    assert.equal(heartbeat.status, 410, JSON.stringify(heartbeat.body));
    assert.equal(heartbeat.body.reason, 'revoked');
    assert.equal((await api('DELETE', `/api/leases/${leaseId}`)).status, 200, 'releasing it is still fine');
    const active = await api('GET', '/api/leases');
    assert.deepEqual(active.body, []);
  });

  describe('an acquire racing a teardown of the same instance: never both', () => {
    beforeEach(() => putTeardownRequest());

    /** Fails when the instance is being torn down while a live lease holds it. */
    async function assertNotBoth(): Promise<'lease' | 'teardown'> {
      const leases = leasesFromDocs((await db.collection('leases').where('instance', '==', OLD).get()).docs);
      const isLeased = leases.some((lease) => isLeaseLive(lease, stack.clock.read()));
      const isTornDown = (await deployment(OLD))?.status === 'deleting';
      assert.ok(isLeased !== isTornDown, `leased: ${isLeased}, torn down: ${isTornDown}`);
      return isLeased ? 'lease' : 'teardown';
    }

    const leaseRequest = {
      version: 'master',
      owner: OWNER,
      ttlSeconds: 3600,
      requestId: null,
      instance: OLD,
    };
    const leaseContext = () => ({ leaseId: 'lease-master-race', now: stack.clock.read(), createdBy: null });

    it('the teardown read first and holds its transaction open while the acquire runs', async function () {
      this.timeout(60_000);
      const teardownRead = signal();
      const releaseTeardown = signal();
      const acquireRead = signal();
      const teardown = new FirestoreLaunchStore(db).claimTeardown(TEARDOWN, async (view) => {
        teardownRead.fire();
        await releaseTeardown.promise;
        return claimTeardown(view, stack.clock.read());
      });
      await teardownRead.promise;
      const acquire = stack.store.acquire({ leaseId: 'lease-master-race', instance: OLD }, (view) => {
        acquireRead.fire();
        return decideAcquire(leaseRequest, view, leaseContext());
      });
      await acquireRead.promise;
      releaseTeardown.fire();

      const [step, outcome] = await Promise.all([teardown, acquire]);
      const winner = await assertNotBoth();
      assert.equal(winner === 'teardown', step.kind === 'teardown', `${winner} vs step ${step.kind}`);
      assert.equal(winner === 'lease', outcome.kind === 'created', `${winner} vs acquire ${outcome.kind}`);
    });

    it('the acquire read first and holds its transaction open while the teardown runs', async function () {
      this.timeout(60_000);
      const acquireRead = signal();
      const releaseAcquire = signal();
      const teardownRead = signal();
      const acquire = stack.store.acquire({ leaseId: 'lease-master-race', instance: OLD }, async (view) => {
        acquireRead.fire();
        await releaseAcquire.promise;
        return decideAcquire(leaseRequest, view, leaseContext());
      });
      await acquireRead.promise;
      const teardown = new FirestoreLaunchStore(db).claimTeardown(TEARDOWN, (view) => {
        teardownRead.fire();
        return claimTeardown(view, stack.clock.read());
      });
      await teardownRead.promise;
      releaseAcquire.fire();

      const [outcome, step] = await Promise.all([acquire, teardown]);
      const winner = await assertNotBoth();
      assert.equal(winner === 'teardown', step.kind === 'teardown', `${winner} vs step ${step.kind}`);
      assert.equal(winner === 'lease', outcome.kind === 'created', `${winner} vs acquire ${outcome.kind}`);
    });
  });

  it("the tick's step closes an expired lease, kept in Firestore a week after it closed", async () => {
    const leaseId = await leaseOn(OLD, 60);
    const live = await leaseOn(NEW, 3600);
    stack.clock.advanceSeconds(120);

    const report = await closeExpiredLeases({
      store: stack.store,
      deployments: new FirestoreDeploymentStore(db),
      clock: stack.clock.read,
      logger: silentLogger,
    });

    assert.deepEqual(report, { ok: true, live: 1, expired: [leaseId], revoked: [] });
    const stored = (await leaseRef(db, leaseId).get()).data();
    assert.equal(stored?.status, 'expired');
    const closedAt = stored?.closedAt.toDate() as Date;
    assert.ok(Math.abs(closedAt.getTime() - stack.clock.read().getTime()) < 10_000);
    assert.equal(stored?.expireAt.toDate().getTime(), closedAt.getTime() + 7 * 24 * 3_600_000);
    assert.equal((await leaseRef(db, live).get()).data()?.status, 'active');
    assert.equal((await api('GET', `/api/leases/${leaseId}`)).body.status, 'expired');
  });

  it("the tick's step revokes a lease on an instance whose cluster is gone; its heartbeat answers 410", async () => {
    const leaseId = await leaseOn(NEW, 3600);
    // The inventory step found NEW's cluster gone (core/inventory.ts).
    await deploymentRef(db, NEW).update({
      status: 'lost',
      cluster: { listed: false, checkedAt: stack.clock.read() },
    });

    const report = await closeExpiredLeases({
      store: stack.store,
      deployments: new FirestoreDeploymentStore(db),
      clock: stack.clock.read,
      logger: silentLogger,
    });

    assert.deepEqual(report, { ok: true, live: 0, expired: [], revoked: [leaseId] });
    const stored = (await leaseRef(db, leaseId).get()).data();
    assert.equal(stored?.status, 'revoked');
    assert.equal(
      stored?.expireAt.toDate().getTime(),
      stored?.closedAt.toDate().getTime() + 7 * 24 * 3_600_000,
    );
    const heartbeat = await api('POST', `/api/leases/${leaseId}/heartbeat`, {});
    assert.equal(heartbeat.status, 410, JSON.stringify(heartbeat.body));
    assert.equal(heartbeat.body.reason, 'revoked');
  });
});

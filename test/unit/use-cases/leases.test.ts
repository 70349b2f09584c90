/**
 * Leases on in-memory ports: the API's use cases, the planner keeping a leased instance, the worker
 * refusing a teardown a lease came before, and the tick closing expired leases. The emulator suite
 * (test/integration/leases.test.ts) covers the same over HTTP and Firestore.
 */
import assert from 'node:assert/strict';
import { leaseIdFor } from '../../../functions/core/leases.js';
import type { Deployment } from '../../../functions/core/types.js';
import { silentLogger } from '../../../functions/log.js';
import { closeExpiredLeases } from '../../../functions/use-cases/close-expired-leases.js';
import {
  acquireLease,
  heartbeatLeaseById,
  type LeaseActionDeps,
  releaseLeaseById,
} from '../../../functions/use-cases/lease-actions.js';
import { planAndEnqueue } from '../../../functions/use-cases/plan-and-enqueue.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import { makeDeployment } from '../../support/fixtures.js';
import { MemoryDeploymentStore, MemoryLeaseStore } from '../../support/memory-stores.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const OLD_SHA = 'b2'.repeat(20);
const HOUR = 3_600_000;
const OLD = 'kf-master-1129-old';
const NEW = 'kf-master-1129-new';
const OWNER = 'kubeflow/examples#1234';

function ready(instance: string, hoursAgo: number, commit: string): Deployment {
  return makeDeployment({
    instance,
    status: 'ready',
    commit,
    createdAt: new Date(NOW.getTime() - hoursAgo * HOUR),
  });
}

describe('leases (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let deps: LeaseActionDeps;
  let hex: number;

  beforeEach(() => {
    world = memoryWorld(NOW);
    hex = 0;
    deps = {
      store: new MemoryLeaseStore(world.state),
      versions: ['master', 'v1'],
      clock: world.clock.read,
      randomHex: () => (++hex).toString(16).padStart(16, '0'),
    };
    // OLD is superseded by NEW, both past every GC age: the planner collects OLD unless it is held.
    world.state.setHead(REPO, 'master', SHA);
    world.state.deployments.set(OLD, ready(OLD, 10, OLD_SHA));
    world.state.deployments.set(NEW, ready(NEW, 5, SHA));
  });

  const acquire = (body: Record<string, unknown>) => acquireLease(deps, { owner: OWNER, ...body }, null);
  const leaseOf = async (body: Record<string, unknown>) => {
    const answer = await acquire(body);
    assert.ok('lease' in answer, JSON.stringify(answer));
    return answer.lease;
  };

  describe('the API use cases', () => {
    it('acquire: a lease on the newest ready instance, recorded active', async () => {
      const answer = await acquire({ version: 'master', ttlSeconds: 600 });
      assert.equal(answer.kind, 'created');
      const lease = 'lease' in answer ? answer.lease : null;
      assert.equal(lease?.leaseId, 'lease-master-0000000000000001');
      assert.equal(lease?.instance, NEW);
      assert.deepEqual(lease?.expiresAt, new Date(NOW.getTime() + 600_000));
      assert.equal(world.state.leases.get('lease-master-0000000000000001')?.status, 'active');
    });

    it('acquire with a requestId twice: one lease, named from the key, the second answer "existing"', async () => {
      const first = await acquire({ version: 'master', requestId: 'run-7' });
      const second = await acquire({ version: 'master', requestId: 'run-7' });
      assert.equal(first.kind, 'created');
      assert.equal(second.kind, 'existing');
      assert.deepEqual([...world.state.leases.keys()], [leaseIdFor('master', OWNER, 'run-7')]);
    });

    it('acquire of an unknown version, or with a bad body, touches nothing', async () => {
      assert.deepEqual(await acquire({ version: 'nope' }), { kind: 'unknown-version', version: 'nope' });
      const invalid = await acquire({ version: 'master', ttlSeconds: 5 });
      assert.equal(invalid.kind, 'invalid');
      assert.equal(world.state.calls.get('acquire'), undefined);
    });

    it('heartbeat extends; after expiry it is gone (410) and the lease is closed as expired', async () => {
      const lease = await leaseOf({ version: 'master', ttlSeconds: 600 });
      world.clock.advanceMinutes(9);
      const extended = await heartbeatLeaseById(deps, lease.leaseId, undefined);
      assert.equal(extended.kind, 'extended');
      assert.deepEqual(
        'lease' in extended && extended.lease.expiresAt,
        new Date(NOW.getTime() + 19 * 60_000),
      );

      world.clock.advanceMinutes(10);
      const gone = await heartbeatLeaseById(deps, lease.leaseId, { ttlSeconds: 600 });
      assert.deepEqual(gone.kind === 'gone' && gone.reason, 'expired');
      assert.equal(world.state.leases.get(lease.leaseId)?.status, 'expired');
    });

    it('release twice: released, then answered as it is; an unknown id is unknown', async () => {
      const lease = await leaseOf({ version: 'master' });
      const first = await releaseLeaseById(deps, lease.leaseId);
      world.clock.advanceMinutes(1);
      const second = await releaseLeaseById(deps, lease.leaseId);
      assert.equal(first.kind, 'released');
      assert.equal(second.kind, 'already-closed');
      assert.deepEqual('lease' in second && second.lease.closedAt, NOW);
      assert.deepEqual(await releaseLeaseById(deps, 'lease-master-ffffffffffffffff'), { kind: 'unknown' });
      assert.deepEqual(await heartbeatLeaseById(deps, lease.leaseId, undefined), {
        kind: 'gone',
        reason: 'released',
        lease: world.state.leases.get(lease.leaseId),
      });
    });
  });

  describe('GC', () => {
    it('never collects an instance with a live lease; collects it by the ordinary rules once released', async () => {
      const lease = await leaseOf({ version: 'master', instance: OLD });

      const held = await planAndEnqueue(world.plan, null);
      assert.deepEqual(held.collect, []);
      assert.equal(world.state.requests.size, 0);

      await releaseLeaseById(deps, lease.leaseId);
      const released = await planAndEnqueue(world.plan, null);
      assert.deepEqual(released.collect, [OLD]);
      assert.deepEqual(released.enqueued, [`teardown-${OLD}-0`]);
    });

    it('collects it once the lease expires, without waiting for the tick to close it', async () => {
      await leaseOf({ version: 'master', instance: OLD, ttlSeconds: 60 });
      assert.deepEqual((await planAndEnqueue(world.plan, null)).collect, []);
      world.clock.advanceMinutes(1);
      assert.deepEqual((await planAndEnqueue(world.plan, null)).collect, [OLD]);
    });
  });

  describe('the worker', () => {
    it('a lease taken between the plan and the teardown wins; the teardown goes ahead once it is over', async () => {
      const planned = await planAndEnqueue(world.plan, null);
      const id = `teardown-${OLD}-0`;
      assert.deepEqual(planned.enqueued, [id]);
      const lease = await leaseOf({ version: 'master', instance: OLD });

      const refused = await runDeployRequest(world.worker, id);
      assert.deepEqual(refused, { kind: 'done', result: 'teardown-closed' });
      assert.equal(world.state.deployments.get(OLD)?.status, 'ready');
      assert.equal(world.jobs.jobs.length, 0);
      const deferred = world.state.requests.get(id);
      assert.equal(deferred?.status, 'deferred');
      assert.equal(deferred?.error, `not torn down yet: leased by ${OWNER} until 2026-11-29T15:00:00.000Z`);

      // While the lease lives, the planner neither collects the instance nor queues the deferred request.
      assert.deepEqual((await planAndEnqueue(world.plan, null)).enqueued, []);

      await releaseLeaseById(deps, lease.leaseId);
      assert.deepEqual((await planAndEnqueue(world.plan, null)).enqueued, [id]);
      const outcome = await runDeployRequest(world.worker, id);
      assert.equal(outcome.kind === 'done' && outcome.result, 'teardown-started');
      assert.equal(world.state.deployments.get(OLD)?.status, 'deleting');
    });
  });

  describe('closeExpiredLeases (tick step)', () => {
    it('closes the leases past their time and leaves live ones', async () => {
      const short = await leaseOf({ version: 'master', ttlSeconds: 60 });
      const long = await leaseOf({ version: 'master', ttlSeconds: 3600 });
      world.clock.advanceMinutes(2);
      const leaseDeps = {
        store: deps.store,
        deployments: new MemoryDeploymentStore(world.state),
        clock: world.clock.read,
        logger: silentLogger,
      };

      assert.deepEqual(await closeExpiredLeases(leaseDeps), {
        ok: true,
        live: 1,
        expired: [short.leaseId],
        revoked: [],
      });
      assert.equal(world.state.leases.get(short.leaseId)?.status, 'expired');
      assert.deepEqual(world.state.leases.get(short.leaseId)?.closedAt, world.clock.read());
      assert.equal(world.state.leases.get(long.leaseId)?.status, 'active');
      assert.deepEqual(await closeExpiredLeases(leaseDeps), { ok: true, live: 1, expired: [], revoked: [] });
    });

    it('revokes a live lease whose instance lost its cluster: the next heartbeat answers gone (revoked)', async () => {
      const onNew = await leaseOf({ version: 'master', ttlSeconds: 3600 });
      const onOld = await leaseOf({ version: 'master', ttlSeconds: 3600, instance: OLD });
      const leaseDeps = {
        store: deps.store,
        deployments: new MemoryDeploymentStore(world.state),
        clock: world.clock.read,
        logger: silentLogger,
      };
      // The inventory saw NEW's cluster gone; OLD is lost only by its Job (its cluster still listed).
      const checkedAt = world.clock.read();
      world.state.deployments.set(NEW, {
        ...ready(NEW, 5, SHA),
        status: 'lost',
        cluster: { listed: false, checkedAt },
      });
      world.state.deployments.set(OLD, {
        ...ready(OLD, 10, OLD_SHA),
        status: 'lost',
        cluster: { listed: true, checkedAt },
      });

      assert.deepEqual(await closeExpiredLeases(leaseDeps), {
        ok: true,
        live: 1,
        expired: [],
        revoked: [onNew.leaseId],
      });
      assert.equal(world.state.leases.get(onNew.leaseId)?.status, 'revoked');
      assert.deepEqual(world.state.leases.get(onNew.leaseId)?.closedAt, world.clock.read());
      assert.equal(world.state.leases.get(onOld.leaseId)?.status, 'active');
      const heartbeat = await heartbeatLeaseById(deps, onNew.leaseId, undefined);
      assert.deepEqual(heartbeat.kind === 'gone' && heartbeat.reason, 'revoked');
    });

    it('with no live lease it reads no deployment', async () => {
      let reads = 0;
      const deployments = new MemoryDeploymentStore(world.state);
      const counted = {
        listDeployments: (statuses: Parameters<typeof deployments.listDeployments>[0]) => {
          reads += 1;
          return deployments.listDeployments(statuses);
        },
      };
      const report = await closeExpiredLeases({
        store: deps.store,
        deployments: counted,
        clock: world.clock.read,
        logger: silentLogger,
      });
      assert.deepEqual(report, { ok: true, live: 0, expired: [], revoked: [] });
      assert.equal(reads, 0);
    });
  });
});

/**
 * The operator API's use cases on in-memory ports: each action changes the switch the planner reads and
 * records who asked and why; the versions it touched are planned at once (the webhook's hook) when
 * the function can queue; a teardown becomes the request GC would make, and the worker carries it out.
 */
import assert from 'node:assert/strict';
import { taskNameFor } from '../../../functions/core/names.js';
import type { DeployEvaluator } from '../../../functions/core/ports.js';
import { silentLogger } from '../../../functions/log.js';
import {
  changeDrain,
  changeVersion,
  type OperatorDeps,
  readPlan,
  teardownInstance,
} from '../../../functions/use-cases/operator-actions.js';
import { createPushEvaluator, planAndEnqueue } from '../../../functions/use-cases/plan-and-enqueue.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import { makeDeployment, makeLease } from '../../support/fixtures.js';
import { MemoryOperatorStore } from '../../support/memory-operator-store.js';
import { MemoryPlanStore } from '../../support/memory-stores.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-30T10:00:00Z');
const SHA = 'a1'.repeat(20);
const HOUR = 3_600_000;
const ALICE = 'alice@example.com';
const INSTANCE = 'kf-master-1129-abc';

describe('operator actions (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let deps: OperatorDeps;

  beforeEach(() => {
    world = memoryWorld(NOW);
    deps = {
      store: new MemoryOperatorStore(world.state),
      snapshots: new MemoryPlanStore(world.state),
      config: world.config,
      clock: world.clock.read,
      logger: silentLogger,
      evaluator: createPushEvaluator(world.plan),
    };
    world.state.setHead(REPO, 'master', SHA);
  });

  it('pause: the planner waits paused at once, and the event says who and why; pausing again changes nothing', async () => {
    const answer = await changeVersion(deps, 'pause', 'master', { reason: 'flaky kfctl' }, ALICE);
    assert.equal(answer.kind, 'done');
    if (answer.kind !== 'done') return;
    assert.equal(answer.changed, true);
    assert.equal(answer.planned, true);
    assert.deepEqual(
      { paused: answer.control.paused, reason: answer.control.pausedReason, by: answer.control.pausedBy },
      { paused: true, reason: 'flaky kfctl', by: ALICE },
    );
    assert.equal(world.state.decisions.get('master')?.decision.reason, 'paused');
    assert.deepEqual(world.queue.tasks, [], 'nothing deploys');
    assert.deepEqual(
      world.state.events.map((e) => [e.version, e.action, e.by, e.reason]),
      [['master', 'pause', ALICE, 'flaky kfctl']],
    );

    const again = await changeVersion(deps, 'pause', 'master', { reason: 'other' }, 'bob@example.com');
    assert.equal(again.kind === 'done' && again.changed, false);
    assert.equal(again.kind === 'done' && again.planned, null);
    assert.equal(again.kind === 'done' && again.control.pausedReason, 'flaky kfctl');
    assert.equal(world.state.events.length, 1);
  });

  it('resume after a pause: the version deploys its head at once', async () => {
    await changeVersion(deps, 'pause', 'master', { reason: 'r' }, null);
    const answer = await changeVersion(deps, 'resume', 'master', undefined, null);
    assert.equal(answer.kind === 'done' && answer.changed, true);
    assert.equal(world.state.decisions.get('master')?.decision.reason, 'new-commit');
    assert.equal(world.queue.tasks.length, 1);
  });

  it('redeploy: the force switch, used once by the plan it triggers (a manual deploy, rate limit aside)', async () => {
    world.state.deployments.set(
      'kf-master-1130-new',
      makeDeployment({
        instance: 'kf-master-1130-new',
        status: 'ready',
        commit: SHA,
        requestId: 'r',
        createdAt: new Date(NOW.getTime() - 60_000),
      }),
    );
    await planAndEnqueue(world.plan, null);
    assert.equal(world.state.decisions.get('master')?.decision.reason, 'up-to-date');
    const answer = await changeVersion(deps, 'redeploy', 'master', { reason: 'new kfctl' }, ALICE);
    assert.equal(answer.kind === 'done' && answer.changed, true);
    const decision = world.state.decisions.get('master')?.decision;
    assert.equal(decision?.kind === 'deploy' && decision.reason, 'manual');
    assert.equal(world.state.switches.get('master')?.forceRedeploy, false, 'used once');
  });

  it('an unknown version: unknown-version, nothing recorded; a bad body: invalid', async () => {
    const unknown = await changeVersion(deps, 'pause', 'nope', { reason: 'r' }, null);
    assert.deepEqual(unknown, { kind: 'unknown-version', version: 'nope', versions: ['master', 'v1'] });
    const invalid = await changeVersion(deps, 'pause', 'master', { reason: 'r', force: true }, null);
    assert.equal(invalid.kind, 'invalid');
    assert.deepEqual(world.state.events, []);
    assert.equal(world.state.calls.get('changeVersion'), undefined);
  });

  it('without a queue (evaluator null): the switch is set, planned null (the tick plans it)', async () => {
    const answer = await changeVersion(
      { ...deps, evaluator: null },
      'pause',
      'master',
      { reason: 'r' },
      null,
    );
    assert.equal(answer.kind === 'done' && answer.planned, null);
    assert.equal(world.state.switches.get('master')?.paused, true);
    assert.equal(world.state.decisions.get('master'), undefined);
  });

  it('a planning failure is reported (planned false), the change stands', async () => {
    const failing: DeployEvaluator = {
      evaluate: async () => {
        throw new Error('UNAVAILABLE');
      },
    };
    const answer = await changeVersion(
      { ...deps, evaluator: failing },
      'pause',
      'master',
      { reason: 'r' },
      null,
    );
    assert.equal(answer.kind === 'done' && answer.planned, false);
    assert.equal(world.state.switches.get('master')?.paused, true);
  });

  it('drain: every version waits drained; undrain restores each version as it was (a paused one stays paused)', async () => {
    world.state.setHead(REPO, 'v1.0-branch', SHA);
    await changeVersion(deps, 'pause', 'v1', { reason: 'v1 is broken' }, ALICE);
    const drained = await changeDrain(deps, 'drain', { reason: 'GKE incident' }, ALICE);
    assert.equal(drained.kind === 'done' && drained.drain.drained, true);
    assert.equal(world.state.decisions.get('master')?.decision.reason, 'drained');
    assert.equal(world.state.decisions.get('v1')?.decision.reason, 'paused');
    assert.deepEqual(world.queue.tasks, []);

    const again = await changeDrain(deps, 'drain', { reason: 'again' }, ALICE);
    assert.equal(again.kind === 'done' && again.changed, false);

    const undrained = await changeDrain(deps, 'undrain', undefined, ALICE);
    assert.equal(undrained.kind === 'done' && undrained.drain.drained, false);
    assert.equal(world.state.decisions.get('master')?.decision.reason, 'new-commit');
    assert.equal(world.state.decisions.get('v1')?.decision.reason, 'paused');
    assert.deepEqual(
      world.state.events.map((e) => `${e.version}:${e.action}`),
      ['v1:pause', 'master:drain', 'v1:drain', 'master:undrain', 'v1:undrain'],
    );
  });

  describe('teardown now', () => {
    beforeEach(() => {
      world.state.deployments.set(
        INSTANCE,
        makeDeployment({
          instance: INSTANCE,
          status: 'ready',
          commit: SHA,
          createdAt: new Date(NOW.getTime() - HOUR),
        }),
      );
      world.state.leases.set(
        'lease-master-1',
        makeLease({ leaseId: 'lease-master-1', instance: INSTANCE, owner: 'ci#9', createdAt: NOW }),
      );
    });

    it('refused while leased; with force, queued at once and carried out by the worker despite the lease', async () => {
      const refused = await teardownInstance(deps, INSTANCE, { reason: 'broken' }, ALICE);
      assert.equal(refused.kind, 'leased');
      assert.equal(world.state.requests.size, 0);

      const forced = await teardownInstance(deps, INSTANCE, { reason: 'broken', force: true }, ALICE);
      assert.equal(forced.kind, 'requested');
      if (forced.kind !== 'requested') return;
      assert.equal(forced.planned, true);
      const id = forced.request.id;
      assert.deepEqual(world.queue.tasks, [{ requestId: id, taskName: taskNameFor(id, 1), notBefore: NOW }]);
      assert.equal(world.state.requests.get(id)?.status, 'enqueued');

      const outcome = await runDeployRequest(world.worker, id);
      assert.equal(outcome.kind, 'done');
      assert.equal(world.state.deployments.get(INSTANCE)?.status, 'deleting');
      assert.equal(world.jobs.jobs.length, 1, 'the teardown Job');
      assert.deepEqual(
        world.state.events.map((e) => [e.action, e.instance, e.force, e.requestId]),
        [['teardown', INSTANCE, true, id]],
      );
    });

    it('an unknown instance: unknown-instance', async () => {
      const answer = await teardownInstance(deps, 'kf-master-1129-zzz', undefined, null);
      assert.equal(answer.kind, 'unknown-instance');
    });
  });

  it('readPlan: the dry run writes nothing', async () => {
    await changeVersion({ ...deps, evaluator: null }, 'pause', 'v1', { reason: 'r' }, ALICE);
    const before = JSON.stringify([...world.state.requests], null, 0);
    const view = await readPlan(deps);
    assert.deepEqual(
      view.versions.map((v) => [v.version, v.kind, v.reason]),
      [
        ['master', 'deploy', 'new-commit'],
        ['v1', 'wait', 'paused'],
      ],
    );
    assert.equal(view.versions[1]?.paused?.by, ALICE);
    assert.equal(JSON.stringify([...world.state.requests], null, 0), before);
    assert.deepEqual(world.queue.tasks, []);
    assert.equal(world.state.decisions.size, 0);
  });
});

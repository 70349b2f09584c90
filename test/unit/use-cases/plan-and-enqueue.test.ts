/** planAndEnqueue on in-memory ports: what it records, what it queues, and what a failure leaves. */
import assert from 'node:assert/strict';
import { taskNameFor } from '../../../functions/core/names.js';
import { createPushEvaluator, planAndEnqueue } from '../../../functions/use-cases/plan-and-enqueue.js';
import { makeDeployment } from '../../support/fixtures.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const OTHER = 'b2'.repeat(20);
const HOUR = 3_600_000;

describe('planAndEnqueue (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;

  beforeEach(() => {
    world = memoryWorld(NOW);
  });

  it('a new head: one deploy request, one task named from it, the decision stored in words', async () => {
    world.state.setHead(REPO, 'master', SHA);
    const report = await planAndEnqueue(world.plan, null);
    const id = `deploy-master-${SHA.slice(0, 12)}-c`;
    assert.deepEqual(report, {
      ok: true,
      decisions: { master: 'deploy:new-commit', v1: 'wait:no-commit' },
      collect: [],
      enqueued: [id],
      launched: [],
      enqueueFailed: [],
    });
    assert.deepEqual(world.queue.tasks, [{ requestId: id, taskName: taskNameFor(id, 1), notBefore: NOW }]);
    const stored = world.state.requests.get(id);
    assert.equal(stored?.status, 'enqueued');
    assert.equal(stored?.enqueueCount, 1);
    assert.equal(world.state.decisions.get('master')?.text, 'deploy a1a1a1a queued (new commit)');
    assert.equal(world.state.decisions.get('v1')?.text, 'no commit recorded yet');
  });

  it('a second pass creates nothing new: the open request is waited for', async () => {
    world.state.setHead(REPO, 'master', SHA);
    await planAndEnqueue(world.plan, null);
    const report = await planAndEnqueue(world.plan, null);
    assert.deepEqual(report.enqueued, []);
    assert.equal(report.decisions.master, 'wait:in-progress');
    assert.equal(world.queue.tasks.length, 1);
    assert.equal(world.state.requests.size, 1);
  });

  it('a queue failure leaves the request pending with the error; the next pass queues it', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.queue.failNext = 1;
    const first = await planAndEnqueue(world.plan, null);
    const id = `deploy-master-${SHA.slice(0, 12)}-c`;
    assert.deepEqual(first.enqueueFailed, [id]);
    assert.equal(world.state.requests.get(id)?.status, 'pending');
    assert.match(world.state.requests.get(id)?.error ?? '', /^enqueue failed: UNAVAILABLE/);
    const second = await planAndEnqueue(world.plan, null);
    assert.deepEqual(second.enqueued, [id]);
    assert.equal(world.state.requests.get(id)?.status, 'enqueued');
  });

  it('marks a request enqueued before its task exists (the worker may run at once and must not race that write)', async () => {
    world.state.setHead(REPO, 'master', SHA);
    const seen: string[] = [];
    const enqueue = world.queue.enqueue.bind(world.queue);
    world.queue.enqueue = async (task) => {
      seen.push(String(world.state.requests.get(task.requestId)?.status));
      return enqueue(task);
    };
    await planAndEnqueue(world.plan, null);
    assert.deepEqual(seen, ['enqueued']);
  });

  it('a pass after a push (only some versions) plans only those and collects nothing', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.state.setHead(REPO, 'v1.0-branch', OTHER);
    // An old ready instance of master that GC would collect in a full pass.
    for (const [instance, hoursAgo] of [
      ['kf-master-1128-old', 10],
      ['kf-master-1129-new', 5],
    ] as const) {
      world.state.deployments.set(
        instance,
        makeDeployment({
          instance,
          status: 'ready',
          commit: SHA,
          createdAt: new Date(NOW.getTime() - hoursAgo * HOUR),
        }),
      );
    }
    const report = await planAndEnqueue(world.plan, new Set(['v1']));
    assert.deepEqual(Object.keys(report.decisions), ['v1']);
    assert.deepEqual(report.collect, []);
    assert.deepEqual([...world.state.requests.keys()], [`deploy-v1-${OTHER.slice(0, 12)}-c`]);
    assert.deepEqual([...world.state.decisions.keys()], ['v1']);

    const full = await planAndEnqueue(world.plan, null);
    assert.deepEqual(full.collect, ['kf-master-1128-old']);
    assert.ok(world.state.requests.has('teardown-kf-master-1128-old-0'));
  });

  it('forceRedeploy: a manual request now, and the switch is used once', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.state.deployments.set(
      'kf-master-1129-abc',
      makeDeployment({
        instance: 'kf-master-1129-abc',
        status: 'ready',
        commit: SHA,
        createdAt: new Date(NOW.getTime() - 60_000),
      }),
    );
    world.state.switches.set('master', { paused: false, forceRedeploy: true });
    const report = await planAndEnqueue(world.plan, new Set(['master']));
    assert.equal(report.decisions.master, 'deploy:manual');
    assert.equal(world.state.switches.get('master')?.forceRedeploy, false);
  });

  it('the push evaluator plans the versions it is given', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.state.setHead(REPO, 'v1.0-branch', OTHER);
    await createPushEvaluator(world.plan).evaluate(['master'], { kind: 'push', deliveryId: 'd-1' });
    assert.deepEqual([...world.state.requests.keys()], [`deploy-master-${SHA.slice(0, 12)}-c`]);
  });
});

/**
 * Fault: the Tasks emulator down while pushes arrive. The outage is a real stop of the emulator (its
 * port closed: every enqueue fails UNAVAILABLE) for as long as the pushes and a tick take, a few real
 * seconds, while the functions' clock is moved 60 s on: what the outage could change is what time does
 * to the records (requests waiting, rate limits, leases), and the clock shows that without waiting a
 * minute. Then: requests stay pending with the error (an ERROR line; the status page says `not queued`
 * with the error, not `deploying`), the webhook still
 * answers 200, the first tick after the emulator is back enqueues them, and there is exactly one Job each.
 * The status page's Pipeline line and `api/health` say what the tick could not queue, until a tick does.
 */
import assert from 'node:assert/strict';
import type { Clock } from '../../functions/core/ports.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import { startTasksEmulator, type TasksEmulator } from '../../scripts/tasks-emulator/server.js';
import {
  capturingLogger,
  createQueueIn,
  E2E_REPO,
  E2E_VERSIONS,
  jobsOf,
  readCollection,
  sendPush,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { assertOneJobPerDeployment, logEntries, pipelineHealth, problemsOf } from '../support/fault-stack.js';
import { startFaultStack } from '../support/fault-worker.js';
import { resetFirestore } from '../support/firestore.js';

const OUTAGE_CLOCK_MS = 60_000;

describe('fault: the Tasks emulator down (60 s on the functions clock)', function () {
  this.timeout(120_000);

  let teardown: Teardown;
  let tasks: TasksEmulator;
  let stack: LocalStack;
  let lines: string[];
  let offsetMs: number;

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
    offsetMs = 0;
    tasks = await startTasksEmulator({ log: () => {}, now: () => Date.now() + offsetMs });
    teardown.add(() => tasks.stop());
    const captured = capturingLogger();
    lines = captured.lines;
    const fault = await startFaultStack(teardown, {
      env: { CLOUD_TASKS_EMULATOR_HOST: tasks.address },
      logger: captured.logger,
    });
    const clock: Clock = () => new Date(Date.now() + offsetMs);
    ({ stack } = await fault.serveFunctions({ clock, logger: captured.logger }));
  });

  afterEach(async () => {
    await teardown.run();
  });

  it('keeps the requests pending, and the next tick enqueues them: one Job each', async () => {
    const { port } = tasks;
    await tasks.stop();

    const heads = new Map(
      E2E_VERSIONS.map((version) => [version.name, fakeSha(`tasks-down-${version.name}`)]),
    );
    for (const version of E2E_VERSIONS) {
      const sha = heads.get(version.name) ?? '';
      const answer = await sendPush(stack, { repo: E2E_REPO, ref: version.branch, after: sha });
      assert.equal(answer.status, 200, 'the push is recorded although it cannot be queued');
    }
    offsetMs += OUTAGE_CLOCK_MS / 2;
    const during = await stack.tick();
    const plan = (during.body as { plan: { enqueueFailed: string[] } }).plan;
    assert.equal(
      plan.enqueueFailed.length,
      E2E_VERSIONS.length,
      'the tick reports what it could not enqueue',
    );
    offsetMs += OUTAGE_CLOCK_MS / 2;

    // Pending, with the error, visible in the records and the logs; nothing launched.
    const requests = [...(await readCollection(stack, 'deployRequests')).values()];
    assert.equal(requests.length, E2E_VERSIONS.length);
    for (const request of requests) {
      assert.equal(request.status, 'pending');
      assert.match(String(request.error), /UNAVAILABLE|unavailable|connect/i);
    }
    assert.ok(logEntries(lines, 'enqueue failed; the request stays pending for the next tick').length >= 2);
    assert.equal(jobsOf(stack).length, 0);
    assert.equal((await statusDeployments(stack)).length, 0);
    for (const version of E2E_VERSIONS) {
      const shown = await statusVersion(stack, version.name);
      assert.equal(shown.decision?.reason, 'not-queued', `${version.name}: ${shown.decision?.text}`);
      assert.match(
        shown.decision?.text ?? '',
        /not queued \(enqueue failed: .*UNAVAILABLE.*\); the next tick tries again/,
      );
    }

    // Visible on the status page and api/health: the plan could not queue them; the next tick retries.
    const down = await pipelineHealth(stack);
    assert.equal(down.json.state, 'failing', JSON.stringify(down.json));
    assert.equal(down.bannerState, 'failing');
    const expected = `could not queue ${E2E_VERSIONS.length} requests; they stay pending and the next tick retries`;
    assert.deepEqual(problemsOf(down.json, 'plan'), [{ step: 'plan', severity: 'error', message: expected }]);
    assert.ok(down.bannerText.includes(`plan: ${expected}`), down.bannerText);

    // The emulator comes back (empty, on the same port); the next tick that reaches it enqueues them.
    tasks = await startTasksEmulator({ port, log: () => {}, now: () => Date.now() + offsetMs });
    teardown.add(() => tasks.stop());
    const settings = stack.config.tasks;
    if ('problem' in settings) throw new Error(settings.problem);
    // Right after the restart the client's channel may still be in its reconnect backoff: retry.
    await waitFor('the queue created again', async () => {
      await createQueueIn(tasks.address, settings.queuePath, stack.config.projectId);
      return true;
    });
    await waitFor('a tick that enqueues', async () => (await stack.tick()).status === 200, {
      timeoutMs: 60_000,
    });
    await tasks.drain(30_000);
    // The tick that queued them recorded no problem: the line is ok again.
    const back = await pipelineHealth(stack);
    assert.deepEqual(problemsOf(back.json, 'plan'), []);
    assert.equal(back.json.state, 'ok', JSON.stringify(back.json));
    assert.equal(back.bannerState, 'ok');

    const deployments = await waitFor('one deployment per version, deploying', async () => {
      const all = await statusDeployments(stack);
      return all.filter((d) => d.status === 'deploying').length === E2E_VERSIONS.length ? all : null;
    });
    for (const version of E2E_VERSIONS) {
      const own = deployments.filter((d) => d.version === version.name);
      assert.equal(own.length, 1);
      assert.equal(own[0]?.commit, heads.get(version.name));
    }
    assert.equal(jobsOf(stack, 'deploy').length, E2E_VERSIONS.length);
    await assertOneJobPerDeployment(stack);
    // Ticks after that enqueue nothing more.
    await stack.tick();
    await tasks.drain(30_000);
    assert.equal(jobsOf(stack, 'deploy').length, E2E_VERSIONS.length);
  });
});

/**
 * Fault: the clock jumping forwards and backwards by an hour between ticks. Every function, the Tasks
 * emulator and the tests read one movable clock (real time plus an offset the test moves both ways).
 * Checked after every jump: every tick answers 200, no commit is launched twice, nothing is collected
 * before its minimum lifetime (3 h) on any reading of the clock, and the status page still words a decision.
 */
import assert from 'node:assert/strict';
import { JOB_LABELS } from '../../functions/core/job-manifest.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import { startTasksEmulator, type TasksEmulator } from '../../scripts/tasks-emulator/server.js';
import {
  capturingLogger,
  E2E_NAMESPACE,
  E2E_REPO,
  jobsOf,
  kubeOf,
  sendPush,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { assertOneJobPerDeployment, logEntries } from '../support/fault-stack.js';
import { startFaultStack } from '../support/fault-worker.js';
import { resetFirestore } from '../support/firestore.js';

const HOUR_MS = 3_600_000;
const MASTER_ONLY = [{ name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' }];

/** Real time plus an offset that jumps both ways. */
class JumpingClock {
  offsetMs = 0;
  readonly read = (): Date => new Date(Date.now() + this.offsetMs);
  jump(hours: number): void {
    this.offsetMs += hours * HOUR_MS;
  }
}

describe('fault: the clock jumping forwards and backwards by an hour between ticks', function () {
  this.timeout(120_000);

  let teardown: Teardown;
  let clock: JumpingClock;
  let tasks: TasksEmulator;
  let stack: LocalStack;
  let lines: string[];

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
    clock = new JumpingClock();
    tasks = await startTasksEmulator({ log: () => {}, now: () => clock.read().getTime() });
    teardown.add(() => tasks.stop());
    const captured = capturingLogger();
    lines = captured.lines;
    const fault = await startFaultStack(teardown, {
      versions: MASTER_ONLY,
      // 30 min between launches, 3 h minimum lifetime (+3 h grace): an hour's jump crosses neither twice.
      policy: { minMinutesBetweenDeployments: 30, minLifetimeHours: 3, gracePeriodHours: 3 },
      env: { CLOUD_TASKS_EMULATOR_HOST: tasks.address },
      logger: captured.logger,
    });
    ({ stack } = await fault.serveFunctions({ clock: clock.read, logger: captured.logger }));
  });

  afterEach(async () => {
    await teardown.run();
  });

  /** A tick that must answer 200, then the queue run dry (on the jumped clock, due tasks run). */
  async function tickOk(): Promise<void> {
    const tick = await stack.tick();
    assert.equal(
      tick.status,
      200,
      `tick at offset ${clock.offsetMs / HOUR_MS} h: ${JSON.stringify(tick.body)}`,
    );
    await settleDueTasks();
  }

  /**
   * Runs the tasks due on the jumped clock and waits until none is in flight. (Not `drain()`: a task
   * scheduled for later on the clock, e.g. a rate-limited launch, rightly stays queued.)
   */
  async function settleDueTasks(): Promise<void> {
    tasks.poke();
    await waitFor('no task in flight', () => tasks.stats().inFlight === 0);
  }

  /** Pushes `sha` and runs it until its instance is ready (Job completed by hand, then probed). */
  async function deployToReady(sha: string): Promise<string> {
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha })).status, 200);
    await settleDueTasks();
    const job = await waitFor('the deploy Job', () =>
      jobsOf(stack, 'deploy').find((candidate) => candidate.metadata.labels?.[JOB_LABELS.commit] === sha),
    );
    await waitFor('the Job recorded', async () =>
      (await statusDeployments(stack)).some(
        (d) => d.jobName === job.metadata.name && d.status === 'deploying',
      ),
    );
    kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
    const ready = await waitFor('the instance ready', async () => {
      await tickOk();
      return (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'ready');
    });
    return ready.instance;
  }

  /** Nothing launched twice, nothing torn down, the decision worded. */
  async function assertSafe(when: string): Promise<void> {
    const commits = jobsOf(stack, 'deploy').map((job) => job.metadata.labels?.[JOB_LABELS.commit]);
    assert.equal(new Set(commits).size, commits.length, `${when}: a commit launched twice`);
    await assertOneJobPerDeployment(stack);
    assert.deepEqual(jobsOf(stack, 'teardown'), [], `${when}: an instance collected before its lifetime`);
    const deployments = await statusDeployments(stack);
    assert.ok(
      deployments.every((d) => d.status !== 'deleting' && d.status !== 'deleted'),
      when,
    );
    const master = await statusVersion(stack, 'master');
    assert.ok(master.decision?.text, `${when}: the status page words no decision`);
  }

  it('never launches a commit twice, never collects early, never fails a tick', async () => {
    const first = fakeSha('clock-first');
    await deployToReady(first);
    await assertSafe('after the first deploy');

    // An hour later: a new commit launches (the rate limit has passed) and becomes ready.
    clock.jump(+1);
    const second = fakeSha('clock-second');
    await deployToReady(second);
    await assertSafe('an hour later, after the second deploy');

    // Back an hour, and another: the newest launch now lies "in the future".
    for (const step of [-1, -1]) {
      clock.jump(step);
      await tickOk();
      await tickOk();
      await assertSafe(`after jumping ${step} h (offset ${clock.offsetMs / HOUR_MS} h)`);
    }

    // A push while the clock is behind (offset -1 h, the last launch at +1 h): rate-limited until the
    // clock is past +1.5 h, then launched exactly once, however the clock goes back and forth after.
    const third = fakeSha('clock-third');
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: third })).status, 200);
    let hasBeenDue = false;
    for (const step of [+1, -1, +1, +1, +1, -1, +1]) {
      clock.jump(step);
      await tickOk();
      await assertSafe(`after the third push and a jump of ${step} h`);
      const launchedThird = jobsOf(stack, 'deploy').some(
        (job) => job.metadata.labels?.[JOB_LABELS.commit] === third,
      );
      hasBeenDue ||= clock.offsetMs >= 1.5 * HOUR_MS;
      if (!hasBeenDue) assert.equal(launchedThird, false, 'launched before the rate limit allows');
    }
    const thirdJobs = jobsOf(stack, 'deploy').filter(
      (job) => job.metadata.labels?.[JOB_LABELS.commit] === third,
    );
    assert.equal(thirdJobs.length, 1, 'the third commit launched once it was due, and only once');
    assert.deepEqual(
      logEntries(lines, /failed/).filter((entry) => entry.severity === 'ERROR'),
      [],
      'no step failed',
    );
  });
});

/** The tick's poll fanned out as one task per branch (use-cases/poll-tasks.ts), on in-memory ports. */
import assert from 'node:assert/strict';
import { pollTaskName } from '../../../functions/core/task-body.js';
import { fanOutPoll, runPollTask, shouldFanOut } from '../../../functions/use-cases/poll-tasks.js';
import { MemoryCommitSource, MemoryPollStore } from '../../support/memory-stores.js';
import { memoryPollDeps, memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);

describe('poll tasks (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let commits: MemoryCommitSource;

  beforeEach(() => {
    world = memoryWorld(NOW);
    commits = new MemoryCommitSource();
  });

  const pollDeps = () => memoryPollDeps(world, commits);

  it('fans out from the threshold on, never without a queue or a commit source', () => {
    const queue = world.queue;
    assert.equal(shouldFanOut(pollDeps(), { queue, minBranches: 2 }), true);
    assert.equal(shouldFanOut(pollDeps(), { queue, minBranches: 3 }), false);
    assert.equal(shouldFanOut(pollDeps(), undefined), false);
    assert.equal(shouldFanOut({ ...pollDeps(), commits: null }, { queue, minBranches: 1 }), false);
  });

  it('queues one poll task per branch, named from it and the minute (an overlapping tick queues none more), polls nothing itself', async () => {
    const report = await fanOutPoll(pollDeps(), { queue: world.queue, minBranches: 1 });
    assert.deepEqual(report, {
      ok: true,
      branches: 2,
      fannedOut: 2,
      recorded: [],
      failed: [],
      taskFailures: [],
    });
    const again = await fanOutPoll(pollDeps(), { queue: world.queue, minBranches: 1 });
    assert.equal(again.ok, true);
    assert.deepEqual(
      [...world.queue.workTasks.entries()],
      [
        [pollTaskName({ repo: REPO, branch: 'master' }, NOW), { kind: 'poll', repo: REPO, branch: 'master' }],
        [
          pollTaskName({ repo: REPO, branch: 'v1.0-branch' }, NOW),
          { kind: 'poll', repo: REPO, branch: 'v1.0-branch' },
        ],
      ],
    );
    assert.equal(commits.asked.length, 0);
  });

  it('a branch whose task could not be queued fails the step (the next tick polls it)', async () => {
    world.queue.failNext = 1;
    const report = await fanOutPoll(pollDeps(), { queue: world.queue, minBranches: 1 });
    assert.equal(report.ok, false);
    assert.equal(report.fannedOut, 1);
    assert.equal(report.failed.length, 1);
    assert.match(report.error ?? '', /could not queue the poll of 1 branches: UNAVAILABLE/);
    assert.match(
      report.queueError ?? '',
      /^[^;]*UNAVAILABLE/,
      'the queue error alone, for the Pipeline line',
    );
    assert.doesNotMatch(report.queueError ?? '', /could not queue the poll/);
  });

  it('a poll task that finds a new head records it and plans its version at once', async () => {
    commits.answers.set(`${REPO}@master`, {
      kind: 'found',
      sha: SHA,
      etag: 'W/"1"',
      message: 'Update',
      author: { name: 'Jane', email: null, username: 'jane' },
      timestamp: null,
      url: null,
    });
    const outcome = await runPollTask(
      { poll: pollDeps(), plan: world.plan },
      { kind: 'poll', repo: REPO, branch: 'master' },
    );
    assert.deepEqual(outcome, { kind: 'done', result: 'polled-planned' });
    assert.equal(world.state.heads.get('kubeflow:manifests:master')?.sha, SHA);
    assert.deepEqual([...world.state.requests.keys()], [`deploy-master-${SHA.slice(0, 12)}-c`]);
  });

  it('a poll task of an unchanged branch plans nothing; GitHub failing is done, not retried', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.state.etags.set('kubeflow:manifests:master', 'W/"1"');
    world.state.etagShas.set('kubeflow:manifests:master', SHA);
    commits.answers.set(`${REPO}@master`, { kind: 'unchanged' });
    const deps = { poll: pollDeps(), plan: world.plan };
    const task = { kind: 'poll' as const, repo: REPO, branch: 'master' };
    assert.deepEqual(await runPollTask(deps, task), { kind: 'done', result: 'polled-unchanged' });
    commits.answers.set(`${REPO}@master`, new Error('GitHub answered 503'));
    const failed = await runPollTask(deps, task);
    assert.equal(failed.kind, 'done');
    assert.equal(failed.result, 'poll-failed');
    assert.equal(world.state.requests.size, 0);
  });

  it('a poll task GitHub fails records it on the branch; the next fan-out reports it, an older one not', async () => {
    commits.answers.set(`${REPO}@master`, new Error('GitHub answered 503'));
    const outcome = await runPollTask(
      { poll: pollDeps(), plan: world.plan },
      { kind: 'poll', repo: REPO, branch: 'master' },
    );
    assert.equal(outcome.kind === 'done' && outcome.result, 'poll-failed');
    // One from two tick intervals ago: that tick reported it already.
    await new MemoryPollStore(world.state).recordPollTaskFailure(
      REPO,
      'v1.0-branch',
      'rate-limited',
      new Date(NOW.getTime() - 10 * 60_000),
    );

    world.clock.advanceMinutes(5);
    const report = await fanOutPoll(pollDeps(), { queue: world.queue, minBranches: 1 });
    assert.equal(report.ok, false);
    assert.deepEqual(report.taskFailures, [
      { key: 'kubeflow:manifests:master', error: 'GitHub answered 503' },
    ]);
    assert.match(report.error ?? '', /the poll tasks of 1 branches could not ask GitHub since the last tick/);
    assert.equal(world.state.heads.get('kubeflow:manifests:master'), undefined, 'nothing read as deleted');
  });

  it('a poll task for a branch no version follows is done', async () => {
    const outcome = await runPollTask(
      { poll: pollDeps(), plan: world.plan },
      { kind: 'poll', repo: REPO, branch: 'elsewhere' },
    );
    assert.deepEqual(outcome, { kind: 'done', result: 'poll-branch-not-followed' });
  });
});

/**
 * The planning a push hands over (use-cases/plan-tasks.ts) on in-memory ports: the webhook's evaluator
 * queues a plan task per version unless one is waiting (the pending-plan mark, core/pending-plans.ts);
 * the worker's plan task clears the mark and plans that version's recorded head; and, over random
 * interleavings of pushes, plan tasks and deploy tasks with no tick, every version launches, its
 * newest head is launched or queued for when its window opens, and no version has two plan tasks
 * waiting.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { branchDocId } from '../../../functions/core/names.js';
import { PENDING_PLAN_STALE_MS } from '../../../functions/core/pending-plans.js';
import { JobApiError } from '../../../functions/core/ports.js';
import type { PlanTask } from '../../../functions/core/task-body.js';
import type { BranchHead, DeployRequest, PushEvent } from '../../../functions/core/types.js';
import { silentLogger } from '../../../functions/log.js';
import {
  createPlanTaskEvaluator,
  runPlanTask,
  runWorkTask,
} from '../../../functions/use-cases/plan-tasks.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import {
  MemoryCommitSource,
  MemoryIntakeStore,
  MemoryPendingPlanStore,
} from '../../support/memory-stores.js';
import { memoryPollDeps, memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const OTHER = 'b2'.repeat(20);

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

/** Lets the in-memory use cases run until `done` holds (a few turns of the event loop at most). */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(done(), 'never happened');
}

describe('plan tasks (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let pending: MemoryPendingPlanStore;

  beforeEach(() => {
    world = memoryWorld(NOW);
    pending = new MemoryPendingPlanStore();
  });

  const planTask = (version: string, head: string, deliveryId = 'd-1'): PlanTask => ({
    kind: 'plan',
    version,
    head,
    deliveryId,
  });
  const evaluator = () =>
    createPlanTaskEvaluator({ queue: world.queue, pending, clock: world.clock.read, logger: silentLogger });
  const push = (deliveryId: string, head: string) => ({ kind: 'push' as const, deliveryId, head });

  it('the evaluator queues one named plan task per version and marks each version pending', async () => {
    await evaluator().evaluate(['master', 'v1'], push('d-1', SHA));
    assert.deepEqual([...world.queue.workTasks.values()], [planTask('master', SHA), planTask('v1', SHA)]);
    assert.deepEqual([...pending.marks.keys()], ['master', 'v1']);
    assert.equal(world.queue.tasks.length, 0, 'no deploy request is queued before the plan runs');
  });

  it('a push whose version has a plan task waiting queues none: the waiting task covers it', async () => {
    await evaluator().evaluate(['master'], push('d-1', SHA));
    await evaluator().evaluate(['master'], push('d-2', OTHER));
    await evaluator().evaluate(['master'], push('d-1', SHA));
    assert.deepEqual([...world.queue.workTasks.values()], [planTask('master', SHA)]);
  });

  it('once the task cleared the mark, the next push queues a new task (a new name, even for the same head)', async () => {
    await evaluator().evaluate(['master'], push('d-1', SHA));
    world.clock.advanceMinutes(1 / 60);
    await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    assert.equal(pending.marks.size, 0);
    await evaluator().evaluate(['master'], push('d-1', SHA));
    assert.equal(world.queue.workTasks.size, 2);
  });

  it('an enqueue that fails clears the mark again (and rejects): the next push queues the task', async () => {
    world.queue.failNext = 1;
    await assert.rejects(evaluator().evaluate(['master'], push('d-1', SHA)), /UNAVAILABLE/);
    assert.equal(pending.marks.size, 0);
    await evaluator().evaluate(['master'], push('d-2', OTHER));
    assert.deepEqual([...world.queue.workTasks.values()], [planTask('master', OTHER, 'd-2')]);
  });

  it('a stale mark (its task lost) no longer holds hand-offs back', async () => {
    pending.marks.set('master', new Date(NOW.getTime() - PENDING_PLAN_STALE_MS - 1));
    await evaluator().evaluate(['master'], push('d-1', SHA));
    assert.deepEqual([...world.queue.workTasks.values()], [planTask('master', SHA)]);
    assert.deepEqual(pending.marks.get('master'), NOW);
  });

  it('the evaluator refuses a trigger without the head (nothing to name the task after)', async () => {
    await assert.rejects(evaluator().evaluate(['master'], { kind: 'push', deliveryId: 'd-1' }), /head/);
  });

  it('a plan task plans its version only: one deploy request, queued; the mark cleared', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.state.setHead(REPO, 'v1.0-branch', OTHER);
    pending.marks.set('master', NOW);
    const outcome = await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    assert.deepEqual(outcome, { kind: 'done', result: 'planned-deploy-new-commit' });
    assert.deepEqual([...world.state.requests.keys()], [`deploy-master-${SHA.slice(0, 12)}-c`]);
    assert.equal(world.queue.tasks.length, 1);
    assert.deepEqual([...world.state.decisions.keys()], ['master']);
    assert.equal(pending.marks.size, 0);
  });

  it('a plan task whose head moved on plans the recorded head (the pushes it covered)', async () => {
    world.state.setHead(REPO, 'master', OTHER);
    const outcome = await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    assert.deepEqual(outcome, { kind: 'done', result: 'planned-deploy-new-commit' });
    assert.deepEqual([...world.state.requests.keys()], [`deploy-master-${OTHER.slice(0, 12)}-c`]);
  });

  it('a plan task delivered twice plans once: the second pass finds the request', async () => {
    world.state.setHead(REPO, 'master', SHA);
    await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    assert.equal(world.state.requests.size, 1);
    assert.equal(world.queue.tasks.length, 1);
  });

  it('a plan task reads the head only once its mark is cleared (the rest of the pass meanwhile)', async () => {
    world.state.setHead(REPO, 'master', SHA);
    pending.marks.set('master', NOW);
    let release = () => {};
    const clearing = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowClear = {
      clearPending: async (version: string) => {
        await clearing;
        await pending.clearPending(version);
      },
    };
    const running = runPlanTask({ plan: world.plan, pending: slowClear }, planTask('master', SHA));
    await new Promise((resolve) => setImmediate(resolve));
    // A push recorded before the clear finds the mark set and queues nothing: this pass must see it.
    world.state.setHead(REPO, 'master', OTHER);
    release();
    await running;
    assert.deepEqual([...world.state.requests.keys()], [`deploy-master-${OTHER.slice(0, 12)}-c`]);
    assert.equal(pending.marks.size, 0);
  });

  it('a plan task of a version no longer configured is done (not retried)', async () => {
    const outcome = await runPlanTask({ plan: world.plan, pending }, planTask('gone', SHA));
    assert.deepEqual(outcome, { kind: 'done', result: 'plan-version-not-configured' });
  });

  it('a plan task whose request could not be queued asks for a retry (the request stays pending)', async () => {
    world.state.setHead(REPO, 'master', SHA);
    world.queue.failNext = 1;
    const outcome = await runPlanTask({ plan: world.plan, pending }, planTask('master', SHA));
    assert.equal(outcome.kind, 'retry');
    assert.equal([...world.state.requests.values()][0]?.status, 'pending');
  });
});

describe('a plan task launches the deploy it decides now itself (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let pending: MemoryPendingPlanStore;
  const id = `deploy-master-${SHA.slice(0, 12)}-c`;

  beforeEach(() => {
    world = memoryWorld(NOW);
    pending = new MemoryPendingPlanStore();
    world.state.setHead(REPO, 'master', SHA);
  });

  /** The worker's plan-task deps: the pass launches through the worker's own use case. */
  const deps = () => ({
    plan: {
      ...world.plan,
      launch: (request: DeployRequest) => runDeployRequest(world.worker, request),
    },
    pending,
  });
  const task: PlanTask = { kind: 'plan', version: 'master', head: SHA, deliveryId: 'd-1' };
  const jobsCreated = () => world.jobs.calls.filter((call) => call.method === 'createJob').length;

  it('creates the Job with no deploy task: the request stored by the claim, done; the deployment deploying', async () => {
    const outcome = await runPlanTask(deps(), task);
    assert.deepEqual(outcome, { kind: 'done', result: 'planned-deploy-new-commit' });
    assert.equal(world.queue.tasks.length, 0, 'no deploy task');
    assert.equal(jobsCreated(), 1);
    const request = world.state.requests.get(id);
    assert.equal(request?.status, 'done');
    assert.equal(request?.taskName, null, 'never queued');
    const [deployment] = world.state.deploymentList();
    assert.equal(deployment?.status, 'deploying');
    assert.equal(deployment?.commit, SHA);
    assert.equal(world.state.decisions.get('master')?.text, 'deploy a1a1a1a launched (new commit)');
  });

  it('a launch that asks for a retry (Kubernetes 503) is queued as a deploy task, which then launches it', async () => {
    world.jobs.fail('createJob', new JobApiError('HTTP 503 from the API server', 503, true));
    const outcome = await runPlanTask(deps(), task);
    assert.equal(outcome.kind, 'done');
    assert.deepEqual(
      world.queue.tasks.map((queued) => queued.requestId),
      [id],
    );
    assert.equal(world.state.requests.get(id)?.status, 'enqueued');
    assert.equal(world.state.deploymentList()[0]?.status, 'launching', 'released for the retry');
    assert.equal(world.state.decisions.get('master')?.text, 'deploy a1a1a1a queued (new commit)');
    const retried = await runDeployRequest(world.worker, id);
    assert.equal(retried.result, 'launched');
    assert.equal(world.state.requests.get(id)?.status, 'done');
    assert.equal(world.state.deploymentList().length, 1, 'one deployment, not two');
  });

  it('a launch that throws (storage failing) is queued as a deploy task', async () => {
    const plan = { ...world.plan, launch: () => Promise.reject(new Error('14 UNAVAILABLE: Firestore')) };
    const outcome = await runPlanTask({ plan, pending }, task);
    assert.equal(outcome.kind, 'done');
    assert.equal(world.queue.tasks.length, 1);
    assert.equal(world.state.requests.get(id)?.status, 'enqueued');
  });

  it('a launch that throws and a queue that fails: the task asks for a retry, the request stays pending', async () => {
    const plan = { ...world.plan, launch: () => Promise.reject(new Error('14 UNAVAILABLE: Firestore')) };
    world.queue.failNext = 1;
    const outcome = await runPlanTask({ plan, pending }, task);
    assert.equal(outcome.kind, 'retry');
    assert.equal(world.state.requests.get(id)?.status, 'pending');
  });

  it('a plan task that died before its claim stored anything: the retry decides again and launches', async () => {
    const dying = { ...world.plan, launch: () => new Promise<never>(() => undefined) };
    void runPlanTask({ plan: dying, pending }, task);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(world.state.requests.size, 0, 'nothing stored');
    const outcome = await runPlanTask(deps(), task);
    assert.deepEqual(outcome, { kind: 'done', result: 'planned-deploy-new-commit' });
    assert.equal(world.state.requests.get(id)?.status, 'done');
    assert.equal(jobsCreated(), 1);
    assert.equal(world.queue.tasks.length, 0);
  });

  it('a plan task that died after its claim: the retry queues the pending request, whose task adopts nothing twice', async () => {
    const create = world.jobs.createJob.bind(world.jobs);
    world.jobs.createJob = () => new Promise<never>(() => undefined);
    void runPlanTask(deps(), task);
    await waitUntil(() => world.state.deploymentList().length === 1);
    assert.equal(world.state.requests.get(id)?.status, 'pending', 'stored by the claim');
    world.jobs.createJob = create;
    await runPlanTask(deps(), task);
    assert.deepEqual(
      world.queue.tasks.map((queued) => queued.requestId),
      [id],
    );
    assert.equal(world.state.requests.size, 1);
    // The deploy task waits out the dead launch's lease, then takes the launch over.
    assert.equal((await runDeployRequest(world.worker, id)).result, 'busy');
    world.clock.advanceMinutes(11);
    assert.equal((await runDeployRequest(world.worker, id)).result, 'launched');
    assert.equal(world.state.deploymentList().length, 1);
  });

  it('delivered twice, it launches once: the second pass finds the request done', async () => {
    await runPlanTask(deps(), task);
    await runPlanTask(deps(), task);
    assert.equal(jobsCreated(), 1);
    assert.equal(world.queue.tasks.length, 0);
  });

  it("a deploy due when its version's window opens is queued for then, not launched", async () => {
    await runPlanTask(deps(), task);
    world.clock.advanceMinutes(1);
    world.state.setHead(REPO, 'master', OTHER);
    await runPlanTask(deps(), { ...task, head: OTHER });
    assert.equal(jobsCreated(), 1);
    const [queued] = world.queue.tasks;
    assert.ok(queued?.requestId.startsWith(`deploy-master-${OTHER.slice(0, 12)}-`), queued?.requestId);
    assert.ok(
      (queued?.notBefore.getTime() ?? 0) > world.clock.read().getTime(),
      'held until the window opens',
    );
  });
});

describe('a plan task asks GitHub about a head recorded out of order before planning it', () => {
  let world: ReturnType<typeof memoryWorld>;
  let commits: MemoryCommitSource;
  const pending = () => new MemoryPendingPlanStore();
  const NEWEST = 'c3'.repeat(20);

  beforeEach(() => {
    world = memoryWorld(NOW);
    commits = new MemoryCommitSource();
  });

  const found = (sha: string) => ({
    kind: 'found' as const,
    sha,
    etag: '"e1"',
    message: 'newest',
    author: { name: 'a', email: null, username: null },
    timestamp: null,
    url: null,
  });
  const pollDeps = () => memoryPollDeps(world, commits);
  /** The recorded master head `sha`, moved there out of order. */
  const doubtfulHead = (sha: string) => {
    world.state.setHead(REPO, 'master', sha);
    const key = branchDocId(REPO, 'master');
    world.state.heads.set(key, { ...(world.state.heads.get(key) as BranchHead), inDoubt: true });
  };
  const run = (head: string) =>
    runWorkTask(
      { plan: world.plan, pending: pending(), poll: pollDeps() },
      { kind: 'plan', version: 'master', head, deliveryId: 'd-1' },
    );
  const requested = () => [...world.state.requests.values()].map((request) => request.commit);

  it('GitHub has a newer head: it is recorded (no longer in doubt) and planned, not the doubtful one', async () => {
    doubtfulHead(SHA);
    commits.answers.set(`${REPO}@master`, found(NEWEST));
    await run(SHA);
    assert.deepEqual(requested(), [NEWEST]);
    const head = world.state.heads.get(branchDocId(REPO, 'master'));
    assert.equal(head?.sha, NEWEST);
    assert.equal(head?.inDoubt, false);
    assert.deepEqual(commits.asked, [{ repo: REPO, branch: 'master', etag: null }], 'asked unconditionally');
  });

  it('GitHub has the same head: it is confirmed (no longer in doubt) and planned', async () => {
    doubtfulHead(SHA);
    commits.answers.set(`${REPO}@master`, found(SHA));
    await run(SHA);
    assert.deepEqual(requested(), [SHA]);
    assert.equal(world.state.heads.get(branchDocId(REPO, 'master'))?.inDoubt, false);
  });

  it('GitHub failing: the recorded head is planned (the tick corrects it later)', async () => {
    doubtfulHead(SHA);
    commits.answers.set(`${REPO}@master`, new Error('GitHub answered 502'));
    const outcome = await run(SHA);
    assert.equal(outcome.kind, 'done');
    assert.deepEqual(requested(), [SHA]);
    assert.equal(world.state.heads.get(branchDocId(REPO, 'master'))?.inDoubt, true);
  });

  it('a head not in doubt: GitHub is not asked', async () => {
    world.state.setHead(REPO, 'master', SHA);
    await run(SHA);
    assert.deepEqual(commits.asked, []);
    assert.deepEqual(requested(), [SHA]);
  });

  it('without a commit source (polling off), the doubtful head is planned as recorded', async () => {
    doubtfulHead(SHA);
    await runWorkTask(
      { plan: world.plan, pending: pending(), poll: { ...pollDeps(), commits: null } },
      { kind: 'plan', version: 'master', head: SHA, deliveryId: 'd-1' },
    );
    assert.deepEqual(requested(), [SHA]);
  });
});

/** A seeded generator (mulberry32): the same seed, the same interleaving. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const BRANCHES = { master: 'master', v1: 'v1.0-branch' } as const;
type Version = keyof typeof BRANCHES;

/**
 * Pushes, plan tasks and deploy tasks in a random order, as the queue and the webhook may interleave
 * them, with no tick: the worker runs a task once it is due; the clock moves a second now and then.
 */
class Burst {
  readonly world = memoryWorld(NOW);
  readonly intake = new MemoryIntakeStore(this.world.state);
  readonly pending = new MemoryPendingPlanStore();
  readonly evaluator = createPlanTaskEvaluator({
    queue: this.world.queue,
    pending: this.pending,
    clock: this.world.clock.read,
    logger: silentLogger,
  });
  readonly newest: Record<Version, string | null> = { master: null, v1: null };
  private readonly planned = new Set<string>();
  private deployed = 0;
  private pushes = 0;

  /** With `launchesInline`, a plan task launches the deploy it decides now itself, as the worker's does. */
  constructor(private readonly launchesInline = false) {}

  async push(version: Version): Promise<void> {
    const before = this.newest[version] ?? '0'.repeat(40);
    this.pushes += 1;
    const after = sha(`${version}-${this.pushes}`);
    const deliveryId = `delivery-${this.pushes}`;
    const event: PushEvent = {
      source: 'webhook',
      deliveryId,
      repo: REPO,
      ref: `refs/heads/${BRANCHES[version]}`,
      before,
      after,
      created: false,
      deleted: false,
      forced: false,
      pusher: null,
      pushedAt: this.world.clock.read(),
      commits: [],
    };
    const result = await this.intake.recordPush(event, BRANCHES[version], [version], this.world.clock.read());
    assert.equal(result.kind, 'recorded');
    this.newest[version] = after;
    await this.evaluator.evaluate([version], { kind: 'push', deliveryId, head: after });
    assert.ok(this.waitingPlanTasks(version) <= 1, `${version}: two plan tasks waiting`);
  }

  /** Plan tasks of the version queued and not run yet. */
  waitingPlanTasks(version: Version): number {
    return [...this.world.queue.workTasks].filter(
      ([name, task]) => !this.planned.has(name) && task.kind === 'plan' && task.version === version,
    ).length;
  }

  /** Runs one plan task not run yet; false when there is none. */
  async runPlanTask(pick: () => number): Promise<boolean> {
    const waiting = [...this.world.queue.workTasks].filter(([name]) => !this.planned.has(name));
    const chosen = waiting[Math.floor(pick() * waiting.length)];
    if (!chosen) return false;
    this.planned.add(chosen[0]);
    const task = chosen[1];
    if (task.kind !== 'plan') throw new Error(`a ${task.kind} task in a burst of pushes`);
    const launch = (request: DeployRequest) => runDeployRequest(this.world.worker, request);
    const plan = this.launchesInline ? { ...this.world.plan, launch } : this.world.plan;
    await runPlanTask({ plan, pending: this.pending }, task);
    return true;
  }

  /** Runs the oldest deploy task that is due; false when none is. */
  async runDeployTask(): Promise<boolean> {
    const now = this.world.clock.read().getTime();
    const tasks = this.world.queue.tasks;
    const index = tasks.findIndex((task, i) => i >= this.deployed && task.notBefore.getTime() <= now);
    if (index < 0) return false;
    const [task] = tasks.splice(index, 1);
    tasks.splice(this.deployed, 0, task as (typeof tasks)[number]);
    this.deployed += 1;
    await runDeployRequest(this.world.worker, (task as (typeof tasks)[number]).requestId);
    return true;
  }

  /** Runs every task that is due, plan tasks first, until none is left. */
  async drain(): Promise<void> {
    while ((await this.runPlanTask(() => 0)) || (await this.runDeployTask())) {
      // keep going
    }
  }

  launches(version: Version): string[] {
    return this.world.state
      .deploymentList()
      .filter((deployment) => deployment.version === version)
      .map((deployment) => deployment.commit);
  }
}

/** Random steps: pushes, plan tasks, deploy tasks, a second passing now and then. */
async function interleave(burst: Burst, pick: () => number, steps: number): Promise<void> {
  for (let step = 0; step < steps; step++) {
    const roll = pick();
    if (roll < 0.4) await burst.push(pick() < 0.5 ? 'master' : 'v1');
    else if (roll < 0.7) await burst.runPlanTask(pick);
    else if (roll < 0.95) await burst.runDeployTask();
    else burst.world.clock.advanceMinutes(1 / 60);
  }
}

/** One launch in the window; the newest head launched, or its request queued for the window. */
function assertLaunchedOrQueued(burst: Burst, version: Version): void {
  const newest = burst.newest[version];
  if (newest === null) return;
  const launched = burst.launches(version);
  assert.equal(launched.length, 1, `${version}: one launch in the window, got ${launched.join(', ')}`);
  const queued = [...burst.world.state.requests.values()].filter(
    (request) => request.version === version && request.commit === newest && request.status === 'enqueued',
  );
  assert.ok(
    launched.includes(newest) || queued.length === 1,
    `${version}: the newest head ${newest} is neither launched nor queued`,
  );
}

describe('pushes interleaved with the worker, no tick (issue 10)', () => {
  for (let seed = 1; seed <= 50; seed++) {
    // Odd seeds: plan tasks queue every deploy; even seeds: they launch the ones due now themselves.
    const launchesInline = seed % 2 === 0;
    const how = launchesInline ? 'plan tasks launching' : 'deploy tasks only';
    it(`seed ${seed} (${how}): every version launches; its newest head is launched, or queued for when its window opens`, async () => {
      const burst = new Burst(launchesInline);
      await interleave(burst, random(seed), 60);
      burst.world.clock.advanceMinutes(5 / 60);
      await burst.drain();
      assertLaunchedOrQueued(burst, 'master');
      assertLaunchedOrQueued(burst, 'v1');

      // When the window opens, the queued requests launch the newest heads, still without a tick.
      burst.world.clock.advanceMinutes(21);
      await burst.drain();
      for (const version of ['master', 'v1'] as const) {
        const newest = burst.newest[version];
        if (newest !== null) assert.ok(burst.launches(version).includes(newest), `${version}: ${newest}`);
      }
    });
  }
});

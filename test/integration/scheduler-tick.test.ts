/**
 * schedulerTick and the tick's three use cases (poll, refresh, plan + enqueue) on the Firestore
 * emulator, following Jobs through the real KubeJobLauncher on the local kube server, polling the fake
 * GitHub REST API through the real GitHubRestCommitSource. The queue is the real CloudTasksQueue on the
 * Tasks emulator where the test is about what reaches Cloud Tasks, and a recording DeployQueue where it
 * is about the planner's logic (each describe says which). HTTP status codes through the Functions Framework.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import type { CloudTasksClient } from '@google-cloud/tasks';
import { requestFromDoc } from '../../functions/adapters/firestore/codec.js';
import { FirestoreDeploymentStore } from '../../functions/adapters/firestore/deployment-store.js';
import { FirestoreIntakeStore } from '../../functions/adapters/firestore/intake-store.js';
import { FirestoreLeaseStore } from '../../functions/adapters/firestore/lease-store.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import { FirestorePollStore } from '../../functions/adapters/firestore/poll-store.js';
import { branchRef, requestRef, versionRef } from '../../functions/adapters/firestore/refs.js';
import { GitHubRestCommitSource } from '../../functions/adapters/github-rest.js';
import { CloudTasksQueue, createTasksClient, QueueError } from '../../functions/adapters/tasks-queue.js';
import { renderTeardownJob } from '../../functions/core/job-manifest.js';
import { branchDocId, deployRequestId, deployWindow, taskNameFor } from '../../functions/core/names.js';
import type {
  CommitSource,
  DeployEvaluator,
  DeployQueue,
  EnqueueResult,
} from '../../functions/core/ports.js';
import type { Deployment, DeployRequest } from '../../functions/core/types.js';
import { loadJobTemplates } from '../../functions/job-templates.js';
import { silentLogger } from '../../functions/log.js';
import { createSchedulerTickHandler } from '../../functions/scheduler-tick.js';
import { createPushEvaluator } from '../../functions/use-cases/plan-and-enqueue.js';
import type { PollReport } from '../../functions/use-cases/poll-branches.js';
import { runTick, type StepFailure, type TickReport } from '../../functions/use-cases/tick.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { startTasksEmulator, type TasksEmulator } from '../../scripts/tasks-emulator/server.js';
import { type FakeGitHub, fakeEtag, startFakeGitHub } from '../support/fake-github.js';
import { TEST_PROJECT_ID, useEmulatorSuite } from '../support/firestore.js';
import { launchedFields, makeDeployment, makeDeployRequest } from '../support/fixtures.js';
import { hostOf } from '../support/host.js';
import { LOCAL_TEST_NAMESPACE, type LocalKubeTarget, startLocalKubeTarget } from '../support/kube.js';
import { MemoryInventory, MemoryProbe } from '../support/memory-stores.js';
import {
  createMasterDeployJob,
  PIPELINE_TARGET,
  pipelineConfig,
  putBranchHead,
  putDeployment,
  putRequest,
  readDeployments,
} from '../support/pipeline-fixtures.js';

const NAMESPACE = LOCAL_TEST_NAMESPACE;
const REPO = 'kubeflow/manifests';
const SHA_A = 'a1'.repeat(20);
const SHA_B = 'b2'.repeat(20);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const CONFIG = pipelineConfig('scheduler-tick test config');

/** A step's report, asserted to be a success (a failure's error is the assertion's message). */
function ok<T extends { ok: boolean }>(step: T | StepFailure): T {
  assert.equal(step.ok, true, 'error' in step ? String(step.error) : undefined);
  return step as T;
}

/** A DeployQueue that records what it is asked, answers ALREADY_EXISTS like Cloud Tasks, and can fail. */
class RecordingQueue implements DeployQueue {
  readonly calls: Array<{ requestId: string; taskName: string; notBefore: Date }> = [];
  private readonly names = new Set<string>();
  /** The next this-many calls throw, as Cloud Tasks being unavailable. */
  failNext = 0;

  async enqueue(task: { requestId: string; taskName: string; notBefore: Date }): Promise<EnqueueResult> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new QueueError('Cannot enqueue: UNAVAILABLE (14): connection refused', 14, true);
    }
    this.calls.push(task);
    const isNew = !this.names.has(task.taskName);
    this.names.add(task.taskName);
    return { taskName: task.taskName, isNew };
  }

  distinctTaskNames(): string[] {
    return [...this.names].sort();
  }
}

describe('schedulerTick and its use cases (Firestore emulator, KubeJobLauncher on the local kube server, fake GitHub)', () => {
  let db: Firestore;
  let intake: FirestoreIntakeStore;
  let kube: LocalKubeTarget;
  let github: FakeGitHub;
  let gateways: Gateway[] = [];

  useEmulatorSuite(
    (client) => {
      db = client;
      intake = new FirestoreIntakeStore(db);
    },
    {
      beforeTerminate: async () => {
        await github.stop();
        await kube.stop();
      },
    },
  );

  before(async function () {
    this.timeout(60_000);
    kube = await startLocalKubeTarget(NAMESPACE);
    github = await startFakeGitHub();
  });

  beforeEach(async () => {
    kube.server.reset();
    github.requests.length = 0;
    github.deleteBranch(REPO, 'master');
    github.deleteBranch(REPO, 'v1.0-branch');
  });

  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    gateways = [];
  });

  /** The tick and the push evaluation, wired as the app wires them. */
  interface Planner extends DeployEvaluator {
    tick(): Promise<TickReport>;
  }

  function planner(options: { queue: DeployQueue; commits?: CommitSource | null }): Planner {
    const clock = () => new Date();
    const plan = {
      config: CONFIG,
      store: new FirestorePlanStore(db),
      queue: options.queue,
      clock,
      logger: silentLogger,
    };
    const deps = {
      poll: {
        versions: CONFIG.versions,
        commits: options.commits ?? null,
        pollStore: new FirestorePollStore(db),
        intake,
        clock,
        logger: silentLogger,
      },
      refresh: {
        config: CONFIG,
        store: new FirestoreDeploymentStore(db),
        jobs: kube.launcher({ requestTimeoutMs: 10_000 }),
        clock,
        logger: silentLogger,
      },
      // Off in this suite's config (pipelineConfig): the steps report `skipped` or find nothing.
      inventory: {
        config: CONFIG,
        store: new FirestoreDeploymentStore(db),
        inventory: new MemoryInventory(),
        clock,
        logger: silentLogger,
      },
      verify: {
        config: CONFIG,
        store: new FirestoreDeploymentStore(db),
        probe: new MemoryProbe(),
        urlTemplate: null,
        clock,
        logger: silentLogger,
      },
      cleanJobs: {
        config: CONFIG,
        store: new FirestoreDeploymentStore(db),
        jobs: kube.launcher({ requestTimeoutMs: 10_000 }),
        clock,
        logger: silentLogger,
      },
      leases: {
        store: new FirestoreLeaseStore(db),
        deployments: new FirestoreDeploymentStore(db),
        clock,
        logger: silentLogger,
      },
      plan,
      intake,
      logger: silentLogger,
    };
    return { tick: () => runTick(deps), evaluate: createPushEvaluator(plan).evaluate };
  }

  function pollingSource(): GitHubRestCommitSource {
    return new GitHubRestCommitSource({ apiUrl: github.url, timeoutMs: 5_000 });
  }

  /** Serves the planner's tick as the schedulerTick function; returns its URL. */
  async function serveTick(tickPlanner: Planner): Promise<string> {
    const gateway = await startGateway({
      schedulerTick: createSchedulerTickHandler({ tick: tickPlanner.tick, logger: silentLogger }),
    });
    gateways.push(gateway);
    return `${gateway.url}/schedulerTick`;
  }

  async function tickOverHttp(url: string): Promise<{ status: number; body: TickReport & { ok: boolean } }> {
    const response = await fetch(url, { method: 'POST' });
    return { status: response.status, body: (await response.json()) as TickReport & { ok: boolean } };
  }

  async function setHead(branch: string, sha: string): Promise<void> {
    await putBranchHead(db, REPO, branch, sha);
  }

  /**
   * The versions documents a running system has (its first tick, or the local stack's start, wrote
   * them). Concurrent ticks on a fresh database would all create them at once: ten transactions
   * writing the same documents, which the emulator serialises through lock timeouts and the client's
   * backoff, up to the 5 attempts a transaction gets. That race is not what those tests are about.
   */
  async function versionsOfADeployedSystem(): Promise<void> {
    await intake.syncVersions(CONFIG.versions, new Date());
  }

  async function requests(): Promise<DeployRequest[]> {
    const snapshot = await db.collection('deployRequests').get();
    return (await Promise.all(snapshot.docs.map((doc) => getRequest(doc.id)))).filter(
      (request): request is DeployRequest => request !== null,
    );
  }

  const deployments = (): Promise<Deployment[]> => readDeployments(db);
  const getRequest = async (id: string) => requestFromDoc(await requestRef(db, id).get());

  function deployment(instance: string, overrides: Partial<Deployment> = {}): Deployment {
    return makeDeployment({
      instance,
      ...launchedFields(instance, SHA_A, PIPELINE_TARGET),
      requestId: `deploy-master-${instance}`,
      status: 'deploying',
      createdAt: new Date(Date.now() - HOUR_MS),
      ...overrides,
    });
  }

  const templates = loadJobTemplates();

  function deployJob(instance: string): Promise<string> {
    return createMasterDeployJob(kube, templates, {
      instance,
      commit: SHA_A,
      requestId: `deploy-master-${instance}`,
    });
  }

  async function teardownJob(instance: string): Promise<string> {
    const job = await kube.launcher().createJob(
      NAMESPACE,
      renderTeardownJob(templates.teardown, {
        version: 'master',
        instance,
        namespace: NAMESPACE,
        project: 'kf-ci-test',
        zone: 'us-east1-d',
        requestId: `teardown-${instance}-0`,
        attempt: 1,
      }),
    );
    return job.name;
  }

  describe('refresh (recording queue)', () => {
    it('maps Job complete -> ready, failed -> failed with the message, vanished -> lost, teardown complete -> deleted', async () => {
      const completes = await deployJob('kf-master-0301-c01');
      const fails = await deployJob('kf-master-0301-f02');
      const runs = await deployJob('kf-master-0301-r03');
      const tearsDown = await teardownJob('kf-master-0228-d04');
      await putDeployment(db, deployment('kf-master-0301-c01', { jobName: completes }));
      await putDeployment(db, deployment('kf-master-0301-f02', { jobName: fails }));
      await putDeployment(db, deployment('kf-master-0301-r03', { jobName: runs }));
      await putDeployment(db, deployment('kf-master-0301-g05', { jobName: 'auto-deploy-master-gone5' }));
      const deletingAt = new Date(Date.now() - 10 * MINUTE_MS);
      await putDeployment(
        db,
        deployment('kf-master-0228-d04', {
          status: 'deleting',
          jobName: 'auto-deploy-master-old04',
          teardownJobName: tearsDown,
          createdAt: new Date(Date.now() - 30 * HOUR_MS),
          deletingAt,
          updatedAt: deletingAt,
        }),
      );
      // Launching: one whose lease expired without a Job (the worker died), one still inside its lease.
      await putDeployment(
        db,
        deployment('kf-master-0301-l06', {
          status: 'launching',
          launchLeaseExpiresAt: new Date(Date.now() - MINUTE_MS),
        }),
      );
      await putDeployment(
        db,
        deployment('kf-master-0301-l07', {
          status: 'launching',
          createdAt: new Date(),
          launchLeaseExpiresAt: new Date(Date.now() + 9 * MINUTE_MS),
        }),
      );
      kube.server.completeJob(NAMESPACE, completes);
      kube.server.failJob(NAMESPACE, fails, 'kfctl apply timed out', 'BackoffLimitExceeded');
      kube.server.startJob(NAMESPACE, runs);
      kube.server.completeJob(NAMESPACE, tearsDown);
      const before = Date.now();

      const report = await planner({ queue: new RecordingQueue() }).tick();

      assert.deepEqual([...ok(report.refresh).changed].sort(), [
        'kf-master-0228-d04',
        'kf-master-0301-c01',
        'kf-master-0301-f02',
        'kf-master-0301-g05',
        'kf-master-0301-l06',
      ]);
      const byInstance = new Map((await deployments()).map((d) => [d.instance, d]));
      const ready = byInstance.get('kf-master-0301-c01');
      assert.equal(ready?.status, 'ready');
      assert.ok((ready?.readyAt?.getTime() ?? 0) >= before);
      assert.equal(ready?.error, null);
      const failed = byInstance.get('kf-master-0301-f02');
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error, `deploy Job ${fails} failed: BackoffLimitExceeded: kfctl apply timed out`);
      assert.ok((failed?.finishedAt?.getTime() ?? 0) >= before);
      assert.equal(byInstance.get('kf-master-0301-r03')?.status, 'deploying');
      const lost = byInstance.get('kf-master-0301-g05');
      assert.equal(lost?.status, 'lost');
      assert.equal(lost?.error, 'deploy Job auto-deploy-master-gone5 disappeared before it finished');
      const deleted = byInstance.get('kf-master-0228-d04');
      assert.equal(deleted?.status, 'deleted');
      assert.ok((deleted?.deletedAt?.getTime() ?? 0) >= before);
      assert.equal(byInstance.get('kf-master-0301-l06')?.status, 'lost');
      assert.equal(byInstance.get('kf-master-0301-l07')?.status, 'launching');
    });

    it('a deleting deployment whose teardown Job failed becomes failed with the message, for GC to retry', async () => {
      const tearsDown = await teardownJob('kf-master-0228-d08');
      const deletingAt = new Date(Date.now() - 10 * MINUTE_MS);
      await putDeployment(
        db,
        deployment('kf-master-0228-d08', {
          status: 'deleting',
          teardownJobName: tearsDown,
          deletingAt,
          updatedAt: deletingAt,
        }),
      );
      kube.server.failJob(NAMESPACE, tearsDown, 'cluster not found', 'BackoffLimitExceeded');

      await planner({ queue: new RecordingQueue() }).tick();

      const [failed] = await deployments();
      assert.equal(failed?.status, 'failed');
      // Issue 7: a failed teardown is a counted attempt, collected again after a backoff.
      assert.equal(
        failed?.error,
        `teardown attempt 1 of 3 failed: the teardown Job ${tearsDown} failed: BackoffLimitExceeded: cluster not found`,
      );
    });
  });

  describe('plan and enqueue (recording queue)', () => {
    it('creates one deploy request for a new head, enqueues it, and stores each decision with its text', async () => {
      await setHead('master', SHA_A);
      const queue = new RecordingQueue();

      const report = await planner({ queue }).tick();

      ok(report.plan);
      const id = deployRequestId('master', SHA_A, deployWindow('new-commit', null));
      const [request, ...others] = await requests();
      assert.equal(others.length, 0);
      assert.equal(request?.id, id);
      assert.deepEqual(
        {
          status: request?.status,
          enqueueCount: request?.enqueueCount,
          taskName: request?.taskName,
          reason: request?.reason,
        },
        { status: 'enqueued', enqueueCount: 1, taskName: taskNameFor(id, 1), reason: 'new-commit' },
      );
      assert.deepEqual(
        queue.calls.map((call) => [call.requestId, call.taskName]),
        [[id, taskNameFor(id, 1)]],
      );

      const master = (await versionRef(db, 'master').get()).data();
      assert.equal(master?.decision.kind, 'deploy');
      assert.equal(master?.decision.reason, 'new-commit');
      assert.equal(master?.decision.commit, SHA_A);
      assert.equal(master?.decision.requestId, id);
      assert.equal(master?.decision.text, `deploy ${SHA_A.slice(0, 7)} queued (new commit)`);
      assert.ok(master?.decidedAt);
      const v1 = (await versionRef(db, 'v1').get()).data();
      assert.equal(v1?.decision.kind, 'wait');
      assert.equal(v1?.decision.reason, 'no-commit');
      assert.equal(v1?.decision.text, 'no commit recorded yet');

      // The next tick: the request is in flight, nothing new is created or enqueued.
      await planner({ queue }).tick();
      assert.equal((await requests()).length, 1);
      assert.equal(queue.calls.length, 1);
      const next = (await versionRef(db, 'master').get()).data();
      assert.equal(next?.decision.reason, 'in-progress');
      assert.equal(next?.decision.text, `deploying ${SHA_A.slice(0, 7)}`);
    });

    it('10 concurrent ticks create the request once and enqueue one task name', async function () {
      this.timeout(60_000);
      await setHead('master', SHA_A);
      await versionsOfADeployedSystem();
      const queue = new RecordingQueue();
      const tickPlanner = planner({ queue });

      const reports = await Promise.all(Array.from({ length: 10 }, () => tickPlanner.tick()));

      for (const report of reports) ok(report.plan);
      const id = deployRequestId('master', SHA_A, deployWindow('new-commit', null));
      const stored = await requests();
      assert.deepEqual(
        stored.map((r) => r.id),
        [id],
      );
      assert.deepEqual(queue.distinctTaskNames(), [taskNameFor(id, 1)]);
      assert.equal(stored[0]?.status, 'enqueued');
      assert.equal(stored[0]?.enqueueCount, 1);
      assert.equal(stored[0]?.taskName, taskNameFor(id, 1));
    });

    it('a queue failure leaves the request pending with the error; the next tick enqueues it', async () => {
      await setHead('master', SHA_A);
      const queue = new RecordingQueue();
      queue.failNext = 1;
      const id = deployRequestId('master', SHA_A, deployWindow('new-commit', null));

      const first = await planner({ queue }).tick();

      assert.deepEqual(ok(first.plan).enqueueFailed, [id]);
      const pending = await getRequest(id);
      assert.equal(pending?.status, 'pending');
      // The attempt counts (its task name is used up): the next enqueue is the request's second task.
      assert.equal(pending?.enqueueCount, 1);
      assert.match(pending?.error ?? '', /^enqueue failed: Cannot enqueue: UNAVAILABLE/);

      const second = await planner({ queue }).tick();

      assert.deepEqual(ok(second.plan).enqueued, [id]);
      const enqueued = await getRequest(id);
      assert.equal(enqueued?.status, 'enqueued');
      assert.equal(enqueued?.enqueueCount, 2);
      assert.equal(enqueued?.taskName, taskNameFor(id, 2));
      assert.equal(enqueued?.error, null);
      assert.equal((await requests()).length, 1);
    });

    it('a version an operator paused in Firestore gets decision paused and nothing is enqueued', async () => {
      await setHead('master', SHA_A);
      await versionRef(db, 'master').set({ name: 'master', paused: true, pausedReason: 'cluster quota' });
      const queue = new RecordingQueue();

      await planner({ queue }).tick();

      assert.equal(queue.calls.length, 0);
      assert.equal((await requests()).length, 0);
      const master = (await versionRef(db, 'master').get()).data();
      assert.equal(master?.decision.kind, 'wait');
      assert.equal(master?.decision.reason, 'paused');
      assert.equal(master?.decision.text, 'paused');
      assert.equal(master?.paused, true);
      assert.equal(master?.pausedReason, 'cluster quota');
    });

    it('forceRedeploy = true makes one manual request and resets the switch', async () => {
      await setHead('master', SHA_A);
      await putDeployment(
        db,
        deployment('kf-master-0301-a11', { status: 'ready', createdAt: new Date(Date.now() - 2 * HOUR_MS) }),
      );
      await versionRef(db, 'master').set({ name: 'master', paused: false, forceRedeploy: true });
      const queue = new RecordingQueue();

      await planner({ queue }).tick();

      const [manual, ...others] = await requests();
      assert.equal(others.length, 0);
      assert.equal(manual?.reason, 'manual');
      assert.equal(manual?.commit, SHA_A);
      assert.match(manual?.id ?? '', /^deploy-master-a1a1a1a1a1a1-m\d{12}$/);
      assert.equal(manual?.status, 'enqueued');
      assert.deepEqual(
        queue.calls.map((call) => call.requestId),
        [manual?.id],
      );
      const master = (await versionRef(db, 'master').get()).data();
      assert.equal(master?.forceRedeploy, false);
      assert.ok(master?.forceRedeployUsedAt);

      // Without the switch the version is up to date with a request in flight: no second manual request.
      await planner({ queue }).tick();
      assert.equal((await requests()).length, 1);
      assert.equal(queue.calls.length, 1);
    });

    it('re-enqueues a deferred request under a new task name (enqueueCount + 1)', async () => {
      await setHead('master', SHA_A);
      const id = deployRequestId('master', SHA_A, deployWindow('new-commit', null));
      const past = new Date(Date.now() - 5 * MINUTE_MS);
      await putRequest(
        db,
        makeDeployRequest({
          id,
          commit: SHA_A,
          notBefore: past,
          status: 'deferred',
          enqueueCount: 1,
          taskName: taskNameFor(id, 1),
          createdAt: new Date(Date.now() - 30 * MINUTE_MS),
          updatedAt: past,
          error: 'deferred: rate-limited',
        }),
      );
      const queue = new RecordingQueue();

      const report = await planner({ queue }).tick();

      assert.deepEqual(ok(report.plan).enqueued, [id]);
      assert.deepEqual(
        queue.calls.map((call) => call.taskName),
        [taskNameFor(id, 2)],
      );
      assert.notEqual(taskNameFor(id, 2), taskNameFor(id, 1));
      const enqueued = await getRequest(id);
      assert.equal(enqueued?.status, 'enqueued');
      assert.equal(enqueued?.enqueueCount, 2);
      assert.equal(enqueued?.taskName, taskNameFor(id, 2));
      assert.equal((await requests()).length, 1);
    });
  });

  describe('GC and the webhook hook (recording queue)', () => {
    it('collects a superseded instance: one teardown request, enqueued once over two ticks', async () => {
      await setHead('master', SHA_A);
      await putDeployment(
        db,
        deployment('kf-master-0301-o31', {
          status: 'ready',
          commit: SHA_B,
          createdAt: new Date(Date.now() - 10 * HOUR_MS),
        }),
      );
      await putDeployment(
        db,
        deployment('kf-master-0301-n32', { status: 'ready', createdAt: new Date(Date.now() - 5 * HOUR_MS) }),
      );
      const queue = new RecordingQueue();

      const report = await planner({ queue }).tick();

      assert.deepEqual(ok(report.plan).collect, ['kf-master-0301-o31']);
      const [teardown, ...others] = await requests();
      assert.equal(others.length, 0);
      assert.equal(teardown?.id, 'teardown-kf-master-0301-o31-0');
      assert.equal(teardown?.action, 'teardown');
      assert.equal(teardown?.instance, 'kf-master-0301-o31');
      assert.equal(teardown?.status, 'enqueued');
      assert.deepEqual(
        queue.calls.map((call) => call.taskName),
        [taskNameFor('teardown-kf-master-0301-o31-0', 1)],
      );

      await planner({ queue }).tick();
      assert.equal((await requests()).length, 1);
      assert.equal(queue.calls.length, 1);
    });

    it("evaluate (the webhook's hook) plans only the versions a push touched, and collects nothing", async () => {
      await setHead('master', SHA_A);
      await setHead('v1.0-branch', SHA_B);
      await putDeployment(
        db,
        deployment('kf-master-0301-o33', {
          status: 'failed',
          commit: SHA_B,
          createdAt: new Date(Date.now() - 10 * HOUR_MS),
        }),
      );
      await putDeployment(
        db,
        deployment('kf-master-0301-n34', { status: 'ready', createdAt: new Date(Date.now() - 5 * HOUR_MS) }),
      );
      const queue = new RecordingQueue();

      await planner({ queue }).evaluate(['v1'], { kind: 'push', deliveryId: 'delivery-1' });

      const id = deployRequestId('v1', SHA_B, deployWindow('new-commit', null));
      assert.deepEqual(
        (await requests()).map((r) => r.id),
        [id],
      );
      assert.deepEqual(
        queue.calls.map((call) => call.requestId),
        [id],
      );
      assert.equal((await versionRef(db, 'v1').get()).data()?.decision.kind, 'deploy');
      assert.equal((await versionRef(db, 'master').get()).exists, false);
    });
  });

  describe('poll fallback (fake GitHub, recording queue)', () => {
    const branchId = branchDocId(REPO, 'master');

    it('records a new head with source poll, stores the ETag and sends it next time (304: nothing written)', async () => {
      github.setHead(REPO, 'master', {
        sha: SHA_A,
        message: 'Update kfdef for 1.0.1',
        authorLogin: 'janedoe',
      });
      const queue = new RecordingQueue();
      const tickPlanner = planner({ queue, commits: pollingSource() });

      const first = await tickPlanner.tick();

      ok(first.poll);
      assert.deepEqual((first.poll as PollReport).recorded, [branchId]);
      const branch = await branchRef(db, REPO, 'master').get();
      assert.equal(branch.data()?.sha, SHA_A);
      assert.equal(branch.data()?.source, 'poll');
      assert.equal(branch.data()?.deleted, false);
      assert.equal(branch.data()?.poll?.etag, fakeEtag(SHA_A));
      const commit = (await branchRef(db, REPO, 'master').collection('commits').doc(SHA_A).get()).data();
      assert.equal(commit?.message, 'Update kfdef for 1.0.1');
      assert.equal(commit?.source, 'poll');
      assert.equal(commit?.author?.username, 'janedoe');
      // The same tick planned the new head.
      assert.equal((await requests())[0]?.commit, SHA_A);
      const masterRequests = github.requests.filter((r) => r.branch === 'master');
      assert.equal(masterRequests.length, 1);
      assert.equal(masterRequests[0]?.headers['if-none-match'], undefined);

      github.requests.length = 0;
      const second = await tickPlanner.tick();

      ok(second.poll);
      assert.deepEqual((second.poll as PollReport).recorded, []);
      const conditional = github.requests.filter((r) => r.branch === 'master');
      assert.equal(conditional.length, 1);
      assert.equal(conditional[0]?.headers['if-none-match'], fakeEtag(SHA_A));
      assert.equal(conditional[0]?.status, 304);
      const unchanged = await branchRef(db, REPO, 'master').get();
      assert.equal(unchanged.updateTime?.toMillis(), branch.updateTime?.toMillis());
      assert.equal((await branchRef(db, REPO, 'master').collection('commits').get()).size, 1);

      github.setHead(REPO, 'master', { sha: SHA_B });
      const third = await tickPlanner.tick();

      assert.deepEqual((third.poll as PollReport).recorded, [branchId]);
      const moved = (await branchRef(db, REPO, 'master').get()).data();
      assert.equal(moved?.sha, SHA_B);
      assert.equal(moved?.source, 'poll');
      assert.equal(moved?.poll?.etag, fakeEtag(SHA_B));
      // The first request (SHA_A, never launched: nothing runs the tasks here) is superseded: the new
      // head gets its own request instead of waiting behind it; the worker will skip the old one.
      assert.deepEqual(
        (await requests()).map((request) => request.commit),
        [SHA_A, SHA_B],
      );
    });

    it('GitHub down: the poll step reports the failure, refresh and plan still run, HTTP 500 with every report', async () => {
      await setHead('master', SHA_A);
      const running = await deployJob('kf-master-0301-c21');
      await putDeployment(db, deployment('kf-master-0301-c21', { jobName: running }));
      kube.server.completeJob(NAMESPACE, running);
      // One answer per followed branch (master, v1.0-branch).
      github.failNext(2, 503, { body: JSON.stringify({ message: 'Service Unavailable' }) });
      const queue = new RecordingQueue();
      const url = await serveTick(planner({ queue, commits: pollingSource() }));

      const response = await tickOverHttp(url);

      assert.equal(response.status, 500);
      assert.equal(response.body.ok, false);
      assert.equal(response.body.poll.ok, false);
      assert.match(String(response.body.poll.error), /answered 503 \(Service Unavailable\)/);
      assert.deepEqual([...(response.body.poll as PollReport).failed].sort(), [
        branchDocId(REPO, 'master'),
        branchDocId(REPO, 'v1.0-branch'),
      ]);
      assert.deepEqual(
        github.requests.map((r) => r.status),
        [503, 503],
      );
      assert.equal(response.body.refresh.ok, true);
      assert.deepEqual(response.body.refresh.changed, ['kf-master-0301-c21']);
      assert.equal(response.body.plan.ok, true);
      assert.equal((await deployments())[0]?.status, 'ready');
      // The plan used the head already recorded: the ready deployment is of it, so it is up to date.
      const master = (await versionRef(db, 'master').get()).data();
      assert.equal(master?.decision.reason, 'up-to-date');
      assert.equal((await branchRef(db, REPO, 'master').get()).data()?.sha, SHA_A);
    });

    it('answers 200 with every step report when all steps work', async () => {
      github.setHead(REPO, 'master', { sha: SHA_A });
      const url = await serveTick(planner({ queue: new RecordingQueue(), commits: pollingSource() }));

      const response = await tickOverHttp(url);

      assert.equal(response.status, 200);
      assert.equal(response.body.ok, true);
      assert.deepEqual(
        [response.body.poll.ok, response.body.refresh.ok, response.body.leases.ok, response.body.plan.ok],
        [true, true, true, true],
      );
      assert.deepEqual((response.body.poll as PollReport).recorded, [branchId]);
      assert.equal(ok(response.body.plan).decisions.master, 'deploy:new-commit');
    });
  });

  describe('10 concurrent ticks over HTTP (CloudTasksQueue on the Tasks emulator)', () => {
    const LOCATION = `projects/${TEST_PROJECT_ID}/locations/us-central1`;
    const queuePath = `${LOCATION}/queues/auto-deploy-tick`;
    let emulator: TasksEmulator;
    let client: CloudTasksClient;

    before(async () => {
      emulator = await startTasksEmulator({ log: () => {} });
      client = createTasksClient({ emulator: hostOf(emulator.address), projectId: TEST_PROJECT_ID });
      await client.createQueue({ parent: LOCATION, queue: { name: queuePath } });
      // Paused: the tasks stay in the queue, to be counted.
      await client.pauseQueue({ name: queuePath });
    });

    after(async () => {
      await client.close();
      await emulator.stop();
    });

    it('create each request once and put exactly one task in the queue', async function () {
      this.timeout(60_000);
      await setHead('master', SHA_A);
      await setHead('v1.0-branch', SHA_B);
      await versionsOfADeployedSystem();
      const queue = new CloudTasksQueue({
        client,
        queuePath,
        workerUrl: 'http://127.0.0.1:9/deployWorker',
        serviceAccountEmail: null,
        dispatchDeadlineSeconds: 600,
        callTimeoutMs: 10_000,
      });
      const url = await serveTick(planner({ queue }));

      const responses = await Promise.all(Array.from({ length: 10 }, () => tickOverHttp(url)));

      for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
      const ids = [
        deployRequestId('master', SHA_A, deployWindow('new-commit', null)),
        deployRequestId('v1', SHA_B, deployWindow('new-commit', null)),
      ];
      const stored = await requests();
      assert.deepEqual(stored.map((r) => r.id).sort(), [...ids].sort());
      const [tasks] = await client.listTasks({ parent: queuePath, responseView: 'FULL' });
      assert.deepEqual(
        tasks.map((task) => task.name?.split('/').pop()).sort(),
        ids.map((id) => taskNameFor(id, 1)).sort(),
      );
      for (const task of tasks) {
        const body = JSON.parse(Buffer.from(task.httpRequest?.body as Uint8Array).toString('utf8'));
        const request = stored.find((r) => r.id === body.requestId);
        assert.ok(request, `task for an unknown request: ${body.requestId}`);
        assert.equal(request.status, 'enqueued');
        assert.equal(request.enqueueCount, 1);
        assert.equal(task.name?.endsWith(`/tasks/${request.taskName}`), true);
      }
    });
  });
});

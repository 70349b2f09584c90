/**
 * The deploy pipeline end to end, as a user drives it: the whole local stack in-process (Firestore
 * emulator, the Cloud Tasks emulator dispatching real HTTP tasks, the local Kubernetes API server, every
 * function behind one gateway), signed GitHub pushes over a socket, the scheduler tick over HTTP and
 * the status function's JSON API. The default policy is in seconds (see helpers.ts); a test of a time
 * rule (rate limit, lifetime) puts T far away (the README's values) on a clock it moves forward to T,
 * so "before T" holds however slow the machine is. Each test waits for conditions, never for fixed times.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DocumentData } from '@google-cloud/firestore';
import { createKubeJobLauncher } from '../../functions/adapters/kube-jobs.js';
import { JOB_LABELS, renderDeployJob } from '../../functions/core/job-manifest.js';
import { branchDocId, kfDefUrlAt } from '../../functions/core/names.js';
import { loadJobTemplates } from '../../functions/job-templates.js';
import { kubeConfigForLocalServer } from '../../scripts/kube-server/server.js';
import { type LocalStack, localTickCommand } from '../../scripts/lib/local-stack.js';
import { buildPushPayload, fakeSha, type PushSpec, signDelivery } from '../../scripts/lib/push-payload.js';
import { startTasksEmulator, type TasksEmulator } from '../../scripts/tasks-emulator/server.js';
import { startFakeGitHub } from '../support/fake-github.js';
import { resetFirestore, TEST_PROJECT_ID } from '../support/firestore.js';
import { MovableClock } from '../support/movable-clock.js';
import { startTcpGate } from '../support/tcp-gate.js';
import {
  capturingLogger,
  createQueueIn,
  type DeploymentJson,
  E2E_KFCTL_URL,
  E2E_NAMESPACE,
  E2E_PROJECT,
  E2E_REPO,
  E2E_ZONE,
  type E2eStackOptions,
  evaluationOf,
  getStatus,
  jobCommand,
  jobsOf,
  kubeOf,
  readCollection,
  readDoc,
  sendDelivery,
  sendPush,
  startE2eStack,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from './helpers.js';

const MASTER_KFDEF = 'kfdef/kfctl_gcp_iap.yaml';
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

function toDate(value: unknown): Date {
  assert.ok(
    value && typeof (value as { toDate?: unknown }).toDate === 'function',
    `not a timestamp: ${value}`,
  );
  return (value as { toDate(): Date }).toDate();
}

function requestsOf(docs: Map<string, DocumentData>, filter: Partial<Record<string, string>> = {}) {
  return [...docs.entries()]
    .map(([id, data]) => ({ id, ...data }) as DocumentData & { id: string })
    .filter((request) => Object.entries(filter).every(([key, value]) => request[key] === value));
}

/** Waits until every task in the stack's own Tasks emulator ran (so "nothing else happens" can be asserted). */
async function drainTasks(stack: LocalStack): Promise<void> {
  if (!stack.tasksEmulator) throw new Error('the stack did not start its own Tasks emulator');
  await stack.tasksEmulator.drain(20_000);
}

async function tickOk(stack: LocalStack): Promise<Record<string, { ok: boolean } & Record<string, unknown>>> {
  const tick = await stack.tick();
  assert.equal(tick.status, 200, `tick failed: ${JSON.stringify(tick.body)}`);
  return tick.body as Record<string, { ok: boolean } & Record<string, unknown>>;
}

async function deploymentIn(
  stack: LocalStack,
  what: string,
  match: (deployment: DeploymentJson) => boolean,
  timeoutMs?: number,
): Promise<DeploymentJson> {
  return waitFor(
    `${what} in /api/deployments`,
    async () => (await statusDeployments(stack)).find(match),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

describe('deploy pipeline end to end (whole local stack)', function () {
  this.timeout(60_000);

  let teardown: Teardown;
  let logLines: string[];

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
    logLines = [];
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      process.stderr.write(`--- last stack log lines of "${this.currentTest.title}" ---\n`);
      process.stderr.write(`${logLines.slice(-80).join('\n')}\n`);
    }
    await teardown.run();
  });

  async function start(options: E2eStackOptions = {}): Promise<LocalStack> {
    const { logger, lines } = capturingLogger();
    logLines = lines;
    return startE2eStack(teardown, { logger, ...options });
  }

  /**
   * Sends a signed push that moves the head and waits until the deploy evaluation it started ended:
   * the webhook may answer before it (see evaluationOf), and the tests look at what it wrote.
   */
  async function push(stack: LocalStack, spec: PushSpec): Promise<void> {
    const deliveryId = randomUUID();
    const answer = await sendPush(stack, spec, deliveryId);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'recorded');
    await evaluationOf(logLines, deliveryId);
  }

  /** Moves the stack's clock forward to `at` and lets the Tasks emulator look for tasks due by then. */
  function advanceTo(stack: LocalStack, clock: MovableClock, at: Date): void {
    clock.advanceTo(at);
    stack.tasksEmulator?.poke();
  }

  it('1. deploys a signed push: commit recorded, task, worker, Job with labels and command; ready and latest after the Job completes', async () => {
    const stack = await start();
    const sha = fakeSha('e2e-1-first');
    await push(stack, { repo: E2E_REPO, ref: 'master', before: fakeSha('e2e-1-base'), after: sha });

    // The commit is recorded as the branch head, from the webhook.
    const branchPath = `branches/${branchDocId(E2E_REPO, 'master')}`;
    const branch = await readDoc(stack, branchPath);
    assert.equal(branch?.sha, sha);
    assert.equal(branch?.source, 'webhook');
    assert.equal((await readDoc(stack, `${branchPath}/commits/${sha}`))?.source, 'webhook');

    // The plan task ran the worker, which created the deploy Job.
    const job = await waitFor('the deploy Job', () => jobsOf(stack, 'deploy')[0]);
    const deployment = await deploymentIn(
      stack,
      'the deployment, deploying',
      (d) => d.status === 'deploying',
    );
    const instance = deployment.instance;
    assert.match(instance, /^kf-master-\d{4}-[0-9a-f]{3}$/);
    assert.deepEqual(
      {
        autoDeploy: job.metadata.labels?.[JOB_LABELS.autoDeploy],
        action: job.metadata.labels?.[JOB_LABELS.action],
        commit: job.metadata.labels?.['git-manifests'],
        branch: job.metadata.labels?.['git-manifests-branch'],
        version: job.metadata.labels?.['auto-version-name'],
        instance: job.metadata.labels?.['kf-name'],
      },
      { autoDeploy: 'true', action: 'deploy', commit: sha, branch: 'master', version: 'master', instance },
    );
    const kfDefUrl = `https://raw.githubusercontent.com/${E2E_REPO}/${sha}/${MASTER_KFDEF}`;
    assert.deepEqual(jobCommand(job), [
      'python',
      '-m',
      'kubeflow.testing.create_unique_kf_instance',
      '--apps_dir=/src/apps',
      `--kfctl_path=${E2E_KFCTL_URL}`,
      '--kubeflow_repo=',
      `--name=${instance}`,
      `--project=${E2E_PROJECT}`,
      `--zone=${E2E_ZONE}`,
      `--kfctl_config=${kfDefUrl}`,
      `--labels=auto-deploy=true,git-manifests=${sha},git-manifests-branch=master,auto-version-name=master,kf-name=${instance}`,
      '--use_self_cert',
    ]);
    assert.equal(deployment.commit, sha);
    assert.equal(deployment.version, 'master');
    assert.equal(deployment.reason, 'new-commit');
    assert.equal(deployment.jobName, job.metadata.name);
    assert.equal(deployment.kfDefUrl, kfDefUrl);

    // One request, done; no latest ready deployment yet.
    const requests = requestsOf(await readCollection(stack, 'deployRequests'));
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.action, 'deploy');
    assert.equal(requests[0]?.commit, sha);
    assert.equal(requests[0]?.status, 'done');
    // Launched by the push's plan task itself: no deploy task was queued for it.
    assert.equal(requests[0]?.enqueueCount, 0);
    assert.equal(requests[0]?.taskName, null);
    assert.equal((await getStatus(stack, '/api/versions/master/latest')).status, 404);

    // The Job completes; the tick's refresh marks the deployment ready.
    kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
    await tickOk(stack);
    const ready = (await statusDeployments(stack)).find((d) => d.instance === instance);
    assert.equal(ready?.status, 'ready');
    assert.ok(ready?.readyAt, 'readyAt is set');
    const latest = await getStatus<DeploymentJson>(stack, '/api/versions/master/latest');
    assert.equal(latest.status, 200);
    assert.equal(latest.body.instance, instance);
    assert.equal(latest.body.commit, sha);
    assert.equal(latest.body.status, 'ready');
    const version = await statusVersion(stack, 'master');
    assert.equal(version.decision?.kind, 'wait');
    assert.equal(version.decision?.reason, 'up-to-date');
    assert.equal(version.decision?.commit, sha);

    await drainTasks(stack);
    assert.equal(jobsOf(stack).length, 1, 'the tick launched nothing more');
  });

  it('2. rate-limits a second push inside the interval and launches it at T from the deferred task, without a tick', async () => {
    // T is 20 minutes after the first launch and the test moves the clock there: what it checks
    // "before T" is before T however slow the machine is, and nothing waits for T in real time.
    const clock = new MovableClock();
    const stack = await start({ clock: clock.now, policy: { minMinutesBetweenDeployments: 20 } });
    const first = fakeSha('e2e-2-first');
    const second = fakeSha('e2e-2-second');
    await push(stack, { repo: E2E_REPO, ref: 'master', after: first });
    const firstJob = await waitFor('the first deploy Job', () => jobsOf(stack, 'deploy')[0]);
    const firstDeployment = await deploymentIn(stack, 'the first deployment', (d) => d.commit === first);
    const rateOpensAt = new Date(Date.parse(firstDeployment.createdAt) + 20 * MINUTE_MS);
    await drainTasks(stack);

    clock.advance(MINUTE_MS);
    await push(stack, { repo: E2E_REPO, ref: 'master', before: first, after: second });

    // The push's plan task (handed over by the webhook) queues the second commit until T.
    const request = await waitFor('the deploy request for the second commit, enqueued', async () => {
      const [found] = requestsOf(await readCollection(stack, 'deployRequests'), { commit: second });
      return found?.status === 'enqueued' ? found : null;
    });
    const until = toDate(request.notBefore);
    assert.equal(until.toISOString(), rateOpensAt.toISOString());
    assert.deepEqual(
      jobsOf(stack, 'deploy').map((job) => job.metadata.name),
      [firstJob.metadata.name],
      'no second Job inside the interval',
    );

    // The push's own plan queued the second commit for T: the version says rate-limited until T.
    const afterPush = await waitFor('the decision of the push’s plan', async () => {
      const version = await statusVersion(stack, 'master');
      return version.decision?.commit === second ? version : null;
    });
    assert.equal(afterPush.decision?.kind, 'wait');
    assert.equal(afterPush.decision?.reason, 'rate-limited');
    assert.equal(afterPush.decision?.commit, second);
    assert.equal(afterPush.decision?.until, until.toISOString());
    assert.match(afterPush.decision?.text ?? '', /^rate-limited until /);

    // A tick before T re-queues nothing and says why the version waits: rate-limited until T.
    const tick = await tickOk(stack);
    assert.deepEqual(tick.plan?.enqueued, []);
    const afterTick = await statusVersion(stack, 'master');
    assert.equal(afterTick.decision?.kind, 'wait');
    assert.equal(afterTick.decision?.reason, 'rate-limited');
    assert.equal(afterTick.decision?.until, until.toISOString());
    assert.equal(afterTick.decision?.commit, second);
    // The task is in the queue and not due: looking for due tasks dispatches nothing.
    const tasks = stack.tasksEmulator;
    assert.ok(tasks, 'the stack runs its own Tasks emulator');
    tasks.poke();
    assert.deepEqual(
      { queued: tasks.stats().tasks, inFlight: tasks.stats().inFlight },
      { queued: 1, inFlight: 0 },
    );
    assert.equal(jobsOf(stack, 'deploy').length, 1);

    // No more ticks: at T the task itself fires and the worker launches the second commit.
    advanceTo(stack, clock, until);
    const secondJob = await waitFor('the second deploy Job, from the deferred task', () =>
      jobsOf(stack, 'deploy').find((job) => job.metadata.labels?.['git-manifests'] === second),
    );
    const secondDeployment = await deploymentIn(
      stack,
      'the second deployment, deploying',
      (d) => d.commit === second && d.status === 'deploying',
    );
    assert.equal(secondDeployment.jobName, secondJob.metadata.name);
    assert.equal(secondJob.metadata.labels?.['kf-name'], secondDeployment.instance);
    assert.ok(
      Date.parse(secondDeployment.createdAt) >= until.getTime(),
      `launched at ${secondDeployment.createdAt}, not before ${until.toISOString()}`,
    );
    const done = requestsOf(await readCollection(stack, 'deployRequests'), { commit: second });
    assert.equal(done.length, 1);
    assert.equal(done[0]?.status, 'done');
    assert.equal(jobsOf(stack, 'deploy').length, 2);
  });

  it('3. 20 redeliveries of one delivery and 10 concurrent ticks make exactly one Job', async () => {
    const stack = await start();
    const sha = fakeSha('e2e-3');
    const deliveryId = randomUUID();
    const delivery = await signDelivery(
      'push',
      buildPushPayload({ repo: E2E_REPO, ref: 'master', before: fakeSha('e2e-3-base'), after: sha }),
      stack.webhookSecret,
      deliveryId,
    );
    const [deliveries, ticks] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => sendDelivery(stack, delivery))),
      Promise.all(Array.from({ length: 10 }, () => stack.tick())),
    ]);
    for (const answer of deliveries) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(deliveries.filter((answer) => answer.body.status === 'recorded').length, 1);
    assert.equal(deliveries.filter((answer) => answer.body.status === 'duplicate').length, 19);
    for (const tick of ticks) assert.equal(tick.status, 200, JSON.stringify(tick.body));
    await evaluationOf(logLines, deliveryId);

    await waitFor('the deploy Job', () => jobsOf(stack, 'deploy')[0]);
    await deploymentIn(
      stack,
      'the deployment, deploying',
      (d) => d.commit === sha && d.status === 'deploying',
    );
    // Let every task run and plan once more: still one of everything.
    await drainTasks(stack);
    await tickOk(stack);
    await drainTasks(stack);
    const jobs = jobsOf(stack);
    assert.equal(jobs.length, 1, `Jobs: ${jobs.map((job) => job.metadata.name).join(', ')}`);
    assert.equal(jobs[0]?.metadata.labels?.['git-manifests'], sha);
    const requests = requestsOf(await readCollection(stack, 'deployRequests'));
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.status, 'done');
    assert.equal((await readCollection(stack, 'deployments')).size, 1);
    const claims = await readCollection(stack, 'deliveries');
    assert.deepEqual([...claims.keys()], [deliveryId]);
    assert.equal(claims.get(deliveryId)?.status, 'recorded');
  });

  it('4. keeps a push recorded while the queue is down (no plan task, no request), and a tick plans and enqueues it once the queue is back', async () => {
    const silent = () => {};
    const firstEmulator: TasksEmulator = await startTasksEmulator({ log: silent });
    teardown.add(() => firstEmulator.stop());
    // The stack reaches the emulator through a gate the test holds for the whole test, so the
    // emulator can come back "at the same address" without re-binding a port given up meanwhile.
    const gate = await startTcpGate(firstEmulator.address);
    teardown.add(() => gate.close());
    const stack = await start({ env: { CLOUD_TASKS_EMULATOR_HOST: gate.address } });
    assert.equal(stack.tasksEmulator, null, 'the stack uses the emulator the test started');
    if ('problem' in stack.config.tasks) throw new Error(stack.config.tasks.problem);
    const queuePath = stack.config.tasks.queuePath;
    await firstEmulator.stop();
    gate.setTarget(null);

    const sha = fakeSha('e2e-4');
    const answer = await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.status, 'recorded');
    // The push is recorded; its plan task could not be queued, so nothing is planned until a tick.
    assert.equal((await statusVersion(stack, 'master')).head?.sha, sha);
    assert.deepEqual(requestsOf(await readCollection(stack, 'deployRequests')), []);
    assert.equal(jobsOf(stack).length, 0);

    // A new emulator at the same address; the queue is created there again (infra's job in production).
    const secondEmulator = await startTasksEmulator({ log: silent });
    teardown.add(() => secondEmulator.stop());
    gate.setTarget(secondEmulator.address);
    await waitFor('the queue to be created in the new emulator', async () => {
      await createQueueIn(gate.address, queuePath, TEST_PROJECT_ID);
      return true;
    });

    // Ticks as Cloud Scheduler sends them, until one gets through (gRPC reconnects with a backoff):
    // the first plans the push (a pending request if the queue still refuses), a later one enqueues it.
    const enqueued = await waitFor(
      'a tick to plan the push and enqueue its request',
      async () => {
        await stack.tick();
        const [request] = requestsOf(await readCollection(stack, 'deployRequests'), { commit: sha });
        return request === undefined || request.status === 'pending' ? null : request;
      },
      { intervalMs: 500 },
    );
    const pending = { id: String(enqueued.id) };
    assert.ok(['enqueued', 'done'].includes(String(enqueued.status)), String(enqueued.status));
    assert.ok(Number(enqueued.enqueueCount) >= 1);
    const job = await waitFor('the deploy Job', () => jobsOf(stack, 'deploy')[0]);
    assert.equal(job.metadata.labels?.['git-manifests'], sha);
    await deploymentIn(
      stack,
      'the deployment, deploying',
      (d) => d.commit === sha && d.status === 'deploying',
    );
    await secondEmulator.drain(20_000);
    const done = await readDoc(stack, `deployRequests/${pending.id}`);
    assert.equal(done?.status, 'done');
    assert.equal(done?.error, null);
    assert.equal(jobsOf(stack).length, 1);
  });

  it('5. retries a Job creation Kubernetes answered 500 twice, through Cloud Tasks, into exactly one Job', async () => {
    const stack = await start();
    const kube = kubeOf(stack);
    kube.injectFaults({ status: 500, count: 2, method: 'POST' });
    const sha = fakeSha('e2e-5');
    await push(stack, { repo: E2E_REPO, ref: 'master', after: sha });

    const deployment = await deploymentIn(
      stack,
      'the deployment, deploying after the retries',
      (d) => d.commit === sha && d.status === 'deploying',
      30_000,
    );
    await drainTasks(stack);
    const jobs = jobsOf(stack);
    assert.equal(jobs.length, 1, `Jobs: ${jobs.map((job) => job.metadata.name).join(', ')}`);
    assert.equal(jobs[0]?.metadata.name, deployment.jobName);
    assert.equal(jobs[0]?.metadata.labels?.['kf-name'], deployment.instance);
    const creates = kube
      .requests()
      .filter(
        (request) =>
          request.method === 'POST' && request.path === `/apis/batch/v1/namespaces/${E2E_NAMESPACE}/jobs`,
      );
    assert.deepEqual(
      creates.map((request) => [request.status, request.isFault]),
      [
        [500, true],
        [500, true],
        [201, false],
      ],
    );
    assert.equal((await readCollection(stack, 'deployments')).size, 1, 'the retries reused one deployment');
    const [request] = requestsOf(await readCollection(stack, 'deployRequests'));
    assert.equal(request?.status, 'done');
    assert.equal(request?.enqueueCount, 1, 'Cloud Tasks retried the task; the planner did not re-enqueue');
  });

  it('6. follows the Jobs on a tick: a complete Job makes the deployment ready, a failed one failed (not retried)', async () => {
    // One attempt per commit: the retries of a failed deploy have their own test (trust.e2e.test.ts).
    const stack = await start({ policy: { maxDeployAttempts: 1 } });
    const masterSha = fakeSha('e2e-6-master');
    const v1Sha = fakeSha('e2e-6-v1');
    await push(stack, { repo: E2E_REPO, ref: 'master', after: masterSha });
    await push(stack, { repo: E2E_REPO, ref: 'v1.0-branch', after: v1Sha });
    const masterJob = await waitFor('the master Job', () =>
      jobsOf(stack, 'deploy').find((job) => job.metadata.labels?.['auto-version-name'] === 'master'),
    );
    const v1Job = await waitFor('the v1 Job', () =>
      jobsOf(stack, 'deploy').find((job) => job.metadata.labels?.['auto-version-name'] === 'v1'),
    );
    assert.equal(v1Job.metadata.labels?.['git-manifests-branch'], 'v1-0-branch');
    const master = await deploymentIn(
      stack,
      'master deploying',
      (d) => d.version === 'master' && d.status === 'deploying',
    );
    const v1 = await deploymentIn(
      stack,
      'v1 deploying',
      (d) => d.version === 'v1' && d.status === 'deploying',
    );

    kubeOf(stack).completeJob(E2E_NAMESPACE, masterJob.metadata.name);
    kubeOf(stack).failJob(E2E_NAMESPACE, v1Job.metadata.name, 'kfctl apply failed', 'BackoffLimitExceeded');
    // Firestore changes only on a refresh.
    const before = await statusDeployments(stack);
    assert.deepEqual(
      before.map((d) => d.status),
      ['deploying', 'deploying'],
    );

    const tick = await tickOk(stack);
    assert.deepEqual(
      [...((tick.refresh?.changed as string[]) ?? [])].sort(),
      [master.instance, v1.instance].sort(),
    );
    const after = new Map((await statusDeployments(stack)).map((d) => [d.instance, d]));
    assert.equal(after.get(master.instance)?.status, 'ready');
    assert.ok(after.get(master.instance)?.readyAt);
    assert.equal(after.get(v1.instance)?.status, 'failed');
    assert.equal(after.get(v1.instance)?.readyAt, null);
    assert.match(after.get(v1.instance)?.error ?? '', /kfctl apply failed/);
    assert.equal(
      (await getStatus<DeploymentJson>(stack, '/api/versions/master/latest')).body.instance,
      master.instance,
    );
    assert.equal((await getStatus(stack, '/api/versions/v1/latest')).status, 404);

    // The failed commit is not relaunched in a loop: its attempts are used up; only a new commit, the
    // periodic rule or a manual force would launch it again.
    await tickOk(stack);
    await drainTasks(stack);
    assert.equal(jobsOf(stack).length, 2);
    const v1Version = await statusVersion(stack, 'v1');
    assert.equal(v1Version.decision?.kind, 'wait');
    assert.equal(v1Version.decision?.reason, 'failed');
  });

  it('7. tears down an older instance past its lifetime and keeps the newest ready one', async () => {
    // The README's rules (20 min between launches, 3 h lifetime and grace period) on a movable clock.
    const clock = new MovableClock();
    const lifetimeHours = 3;
    const stack = await start({
      clock: clock.now,
      versions: [{ name: 'master', branch: 'master', kfDefPath: MASTER_KFDEF }],
      policy: {
        minMinutesBetweenDeployments: 20,
        minLifetimeHours: lifetimeHours,
        gracePeriodHours: lifetimeHours,
      },
    });
    const kube = kubeOf(stack);
    const oldSha = fakeSha('e2e-7-old');
    const newSha = fakeSha('e2e-7-new');

    await push(stack, { repo: E2E_REPO, ref: 'master', after: oldSha });
    const oldJob = await waitFor('the old deploy Job', () => jobsOf(stack, 'deploy')[0]);
    // The Job completes once the worker recorded it (deploying): a refresh that races the worker's
    // last write leaves the deployment alone until the next tick.
    await deploymentIn(stack, 'the old deployment, deploying', (d) => d.status === 'deploying');
    kube.completeJob(E2E_NAMESPACE, oldJob.metadata.name);
    await tickOk(stack);
    const old = await deploymentIn(
      stack,
      'the old deployment, ready',
      (d) => d.commit === oldSha && d.status === 'ready',
    );

    // The newer commit launches when the rate limit opens (its task is scheduled for then).
    clock.advance(MINUTE_MS);
    await push(stack, { repo: E2E_REPO, ref: 'master', before: oldSha, after: newSha });
    advanceTo(stack, clock, new Date(Date.parse(old.createdAt) + 20 * MINUTE_MS));
    const newJob = await waitFor('the new deploy Job', () =>
      jobsOf(stack, 'deploy').find((job) => job.metadata.labels?.['git-manifests'] === newSha),
    );
    await deploymentIn(
      stack,
      'the new deployment, deploying',
      (d) => d.commit === newSha && d.status === 'deploying',
    );
    kube.completeJob(E2E_NAMESPACE, newJob.metadata.name);
    await tickOk(stack);
    const newest = await deploymentIn(
      stack,
      'the new deployment, ready',
      (d) => d.commit === newSha && d.status === 'ready',
    );

    // Once the new one is past the grace period (and the old one past its lifetime), a tick collects.
    advanceTo(stack, clock, new Date(Date.parse(newest.createdAt) + lifetimeHours * HOUR_MS + 1));
    await tickOk(stack);
    const teardownJob = await waitFor('the teardown Job', () => jobsOf(stack, 'teardown')[0]);
    assert.deepEqual(
      {
        action: teardownJob.metadata.labels?.[JOB_LABELS.action],
        instance: teardownJob.metadata.labels?.['kf-name'],
        version: teardownJob.metadata.labels?.['auto-version-name'],
      },
      { action: 'teardown', instance: old.instance, version: 'master' },
    );
    assert.deepEqual(jobCommand(teardownJob), [
      'python',
      '-m',
      'kubeflow.testing.delete_kf_instance',
      'delete_kf',
      `--project=${E2E_PROJECT}`,
      `--name=${old.instance}`,
    ]);
    const deleting = await deploymentIn(
      stack,
      'the old deployment, deleting with its teardown Job',
      (d) => d.instance === old.instance && d.teardownJobName === teardownJob.metadata.name,
    );
    assert.equal(deleting.status, 'deleting');
    assert.ok(deleting.deletingAt);
    const [teardownRequest] = requestsOf(await readCollection(stack, 'deployRequests'), {
      action: 'teardown',
    });
    assert.equal(teardownRequest?.instance, old.instance);
    assert.equal(teardownRequest?.status, 'done');
    assert.equal(
      (await statusDeployments(stack)).find((d) => d.instance === newest.instance)?.status,
      'ready',
    );

    // The teardown Job completes; the next tick marks the old instance deleted.
    kube.completeJob(E2E_NAMESPACE, teardownJob.metadata.name);
    await tickOk(stack);
    await drainTasks(stack);
    const after = new Map((await statusDeployments(stack)).map((d) => [d.instance, d]));
    assert.equal(after.get(old.instance)?.status, 'deleted');
    assert.ok(after.get(old.instance)?.deletedAt);
    assert.equal(after.get(newest.instance)?.status, 'ready');
    assert.equal(after.get(newest.instance)?.teardownJobName, null);
    assert.equal(
      (await getStatus<DeploymentJson>(stack, '/api/versions/master/latest')).body.instance,
      newest.instance,
    );
    assert.equal(jobsOf(stack, 'teardown').length, 1, 'the newest ready instance is kept');
    assert.equal(jobsOf(stack, 'deploy').length, 2);
  });

  it('8. waits at capacity: the version decision says at-capacity and nothing is launched', async () => {
    const stack = await start({ policy: { maxActiveDeployments: 1 } });
    const masterSha = fakeSha('e2e-8-master');
    const v1Sha = fakeSha('e2e-8-v1');
    await push(stack, { repo: E2E_REPO, ref: 'master', after: masterSha });
    await deploymentIn(stack, 'master deploying', (d) => d.version === 'master' && d.status === 'deploying');

    await push(stack, { repo: E2E_REPO, ref: 'v1.0-branch', after: v1Sha });
    // The push's plan task decides for v1 (the webhook answered before it ran).
    await waitFor('the decision of the push’s plan', async () => (await statusVersion(stack, 'v1')).decision);
    const check = async () => {
      const version = await statusVersion(stack, 'v1');
      assert.equal(version.head?.sha, v1Sha);
      assert.deepEqual(
        { kind: version.decision?.kind, reason: version.decision?.reason, active: version.decision?.active },
        { kind: 'wait', reason: 'at-capacity', active: 1 },
      );
      assert.equal(version.decision?.commit, v1Sha);
      assert.deepEqual(requestsOf(await readCollection(stack, 'deployRequests'), { version: 'v1' }), []);
      await drainTasks(stack);
      assert.deepEqual(
        jobsOf(stack).map((job) => job.metadata.labels?.['auto-version-name']),
        ['master'],
      );
    };
    await check();
    await tickOk(stack);
    await check();
  });

  it('9. falls back to polling GitHub: a tick records a new head nobody pushed (source poll) and launches it', async () => {
    const github = await startFakeGitHub();
    teardown.add(() => github.stop());
    const sha = fakeSha('e2e-9-polled');
    github.setHead(E2E_REPO, 'master', { sha, message: 'Polled commit' });
    const stack = await start({ env: { GITHUB_POLL: 'true', GITHUB_API_URL: github.url } });
    assert.equal(jobsOf(stack).length, 0);

    const tick = await tickOk(stack);
    const branchKey = branchDocId(E2E_REPO, 'master');
    assert.deepEqual(tick.poll?.recorded, [branchKey]);
    const branch = await readDoc(stack, `branches/${branchKey}`);
    assert.equal(branch?.sha, sha);
    assert.equal(branch?.source, 'poll');
    const commit = await readDoc(stack, `branches/${branchKey}/commits/${sha}`);
    assert.equal(commit?.source, 'poll');
    assert.equal(commit?.message, 'Polled commit');

    const job = await waitFor('the deploy Job of the polled head', () => jobsOf(stack, 'deploy')[0]);
    assert.equal(job.metadata.labels?.['git-manifests'], sha);
    assert.equal(job.metadata.labels?.['auto-version-name'], 'master');
    await deploymentIn(
      stack,
      'the deployment, deploying',
      (d) => d.commit === sha && d.status === 'deploying',
    );

    // The next poll is conditional: GitHub answers 304 and nothing more is launched.
    github.requests.length = 0;
    await tickOk(stack);
    await drainTasks(stack);
    const masterPolls = github.requests.filter((request) => request.branch === 'master');
    assert.equal(masterPolls.length, 1);
    assert.equal(masterPolls[0]?.status, 304);
    assert.ok(masterPolls[0]?.headers['if-none-match'], 'sent If-None-Match');
    assert.equal(jobsOf(stack).length, 1);
  });

  it('11. a push recorded out of order is checked with GitHub before it is planned: the head GitHub has is planned, not the older one', async () => {
    const github = await startFakeGitHub();
    teardown.add(() => github.stop());
    const stack = await start({
      env: { GITHUB_POLL: 'true', GITHUB_API_URL: github.url },
      versions: [{ name: 'master', branch: 'master', kfDefPath: MASTER_KFDEF }],
    });
    const [base, c0, c1, c2, c3, c4] = ['base', 'c0', 'c1', 'c2', 'c3', 'c4'].map((n) =>
      fakeSha(`e2e-11-${n}`),
    );
    const second = new Date(Math.floor(Date.now() / 1000) * 1000);
    const key = branchDocId(E2E_REPO, 'master');
    github.setHead(E2E_REPO, 'master', { sha: c4 as string, message: 'The newest commit' });

    await push(stack, {
      repo: E2E_REPO,
      ref: 'master',
      before: base,
      after: c0,
      pushedAt: new Date(second.getTime() - 1000),
    });
    await waitFor('the Job of c0', () => jobsOf(stack, 'deploy')[0]);
    // Two pushes of the same second arrive newest first, each from a commit no delivery recorded:
    // nothing in the payloads orders them, so each leaves the head in doubt.
    await push(stack, { repo: E2E_REPO, ref: 'master', before: c3, after: c4, pushedAt: second });
    assert.equal((await readDoc(stack, `branches/${key}`))?.inDoubt, false, 'GitHub confirmed c4');
    await push(stack, { repo: E2E_REPO, ref: 'master', before: c1, after: c2, pushedAt: second });

    // The plan task asked GitHub, which has c4: recorded again (source poll), and planned; c2 never was.
    const branch = await readDoc(stack, `branches/${key}`);
    assert.equal(branch?.sha, c4);
    assert.equal(branch?.source, 'poll');
    assert.equal(branch?.inDoubt, false);
    const requests = requestsOf(await readCollection(stack, 'deployRequests'));
    assert.deepEqual(
      requests.map((request) => request.commit).sort(),
      [c0, c4].sort(),
      'c0 launched, c4 queued for the window; no request for c2',
    );
    assert.equal(jobsOf(stack, 'deploy').length, 1);
    assert.ok(logLines.some((line) => line.includes('GitHub corrected a head recorded out of order')));
  });

  it('10. defers a launch while a Job of the same commit runs (unknown to Firestore), and a tick launches it once that Job finished', async () => {
    const clock = new MovableClock();
    const stack = await start({
      clock: clock.now,
      versions: [{ name: 'master', branch: 'master', kfDefPath: MASTER_KFDEF }],
    });
    const kube = kubeOf(stack);
    const sha = fakeSha('e2e-10');
    // A deploy Job of the commit that Firestore knows nothing about (e.g. started by hand).
    const orphanInstance = 'kf-master-0101-0a0';
    const orphan = await createKubeJobLauncher(kubeConfigForLocalServer(kube, E2E_NAMESPACE)).createJob(
      E2E_NAMESPACE,
      renderDeployJob(loadJobTemplates().deploy, {
        version: 'master',
        repo: E2E_REPO,
        branch: 'master',
        commit: sha,
        instance: orphanInstance,
        namespace: E2E_NAMESPACE,
        project: E2E_PROJECT,
        zone: E2E_ZONE,
        kfctlUrl: E2E_KFCTL_URL,
        kfDefUrl: kfDefUrlAt(E2E_REPO, sha, MASTER_KFDEF),
        requestId: 'by-hand',
      }),
    );

    await push(stack, { repo: E2E_REPO, ref: 'master', after: sha });
    // The plan task's launch defers it (no task was queued for it); it must stay deferred (not pass for
    // queued) so the next pass re-enqueues it.
    const deferred = await waitFor('the request, deferred by the worker', async () => {
      const [request] = requestsOf(await readCollection(stack, 'deployRequests'));
      return request?.status === 'deferred' && request.enqueueCount === 0 ? request : null;
    });
    assert.match(
      String(deferred.error),
      new RegExp(`Job ${orphan.name} of the same commit is still running`),
    );
    await drainTasks(stack);
    assert.equal((await readCollection(stack, 'deployments')).size, 0);
    assert.deepEqual(
      jobsOf(stack).map((job) => job.metadata.name),
      [orphan.name],
    );

    kube.completeJob(E2E_NAMESPACE, orphan.name);
    advanceTo(stack, clock, toDate(deferred.notBefore));
    const tick = await tickOk(stack);
    assert.deepEqual(tick.plan?.enqueued, [deferred.id]);
    const job = await waitFor('the deploy Job launched after the tick', () =>
      jobsOf(stack, 'deploy').find((candidate) => candidate.metadata.name !== orphan.name),
    );
    assert.equal(job.metadata.labels?.['git-manifests'], sha);
    const deployment = await deploymentIn(
      stack,
      'the deployment, deploying',
      (d) => d.status === 'deploying',
    );
    assert.equal(deployment.jobName, job.metadata.name);
    assert.notEqual(deployment.instance, orphanInstance);
    const done = await readDoc(stack, `deployRequests/${deferred.id}`);
    assert.equal(done?.status, 'done');
    assert.equal(done?.enqueueCount, 1, 'one task: the one the tick queued');
  });

  it('12. says how to run a tick on this stack (npm run tick, on its port) until the first tick ran', async () => {
    const stack = await start();
    const port = new URL(stack.url).port;
    assert.equal(localTickCommand('http://127.0.0.1:8080'), 'npm run tick');
    const health = async () =>
      (await (await fetch(`${stack.url}/deploymentStatus/api/health`)).json()) as {
        state: string;
        runTick: string;
      };
    const before = await health();
    assert.deepEqual([before.state, before.runTick], ['unknown', `PORT=${port} npm run tick`]);
    const page = await (await fetch(`${stack.url}/deploymentStatus/`)).text();
    assert.ok(page.includes(`PORT=${port} npm run tick`), 'the Pipeline line gives the same command');
    await tickOk(stack);
    assert.equal((await health()).state, 'ok');
  });
});

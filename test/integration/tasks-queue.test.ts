/**
 * CloudTasksQueue against the tasks emulator (real CloudTasksClient, gRPC), delivering to a local HTTP
 * recorder that stands in for the deploy worker; and createTasksClient. (The settings these take are
 * validated by the configuration: test/unit/config.test.ts and queue-path.test.ts.)
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { CloudTasksClient } from '@google-cloud/tasks';
import {
  CloudTasksQueue,
  createTasksClient,
  QueueError,
  type TasksClientLike,
} from '../../functions/adapters/tasks-queue.js';
import { startTasksEmulator, type TasksEmulator } from '../../scripts/tasks-emulator/server.js';
import { hostOf } from '../support/host.js';
import { type HttpRecorder, type RecordedRequest, startHttpRecorder } from '../support/http-recorder.js';

const PROJECT_ID = 'demo-tasks-queue-test';
const LOCATION = `projects/${PROJECT_ID}/locations/us-central1`;
const SERVICE_ACCOUNT = 'deploy-invoker@demo-tasks-queue-test.iam.gserviceaccount.com';

function millis(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(value?.seconds ?? 0) * 1000 + (value?.nanos ?? 0) / 1e6;
}

function jwtClaims(request: RecordedRequest): Record<string, unknown> {
  const authorization = request.headers.authorization ?? '';
  assert.match(authorization, /^Bearer [^.]+\.[^.]+\./);
  const payload = authorization.slice('Bearer '.length).split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

describe('CloudTasksQueue (tasks emulator)', () => {
  let emulator: TasksEmulator;
  let client: CloudTasksClient;
  let recorder: HttpRecorder;
  let queuePath: string;
  let queueCount = 0;

  before(async () => {
    emulator = await startTasksEmulator({ log: () => {} });
    client = createTasksClient({ emulator: hostOf(emulator.address), projectId: PROJECT_ID });
  });

  beforeEach(async () => {
    recorder = await startHttpRecorder();
    queueCount += 1;
    queuePath = `${LOCATION}/queues/deploys-${queueCount}`;
    await client.createQueue({ parent: LOCATION, queue: { name: queuePath } });
  });

  afterEach(async () => {
    await client.deleteQueue({ name: queuePath });
    await recorder.close();
  });

  after(async () => {
    await client.close();
    await emulator.stop();
  });

  function deployQueue(overrides: Partial<ConstructorParameters<typeof CloudTasksQueue>[0]> = {}) {
    return new CloudTasksQueue({
      client,
      queuePath,
      workerUrl: `${recorder.baseUrl}/deploy-worker`,
      serviceAccountEmail: SERVICE_ACCOUNT,
      dispatchDeadlineSeconds: 600,
      ...overrides,
    });
  }

  it('creates a named POST task with the JSON body, OIDC token and deadline, and it reaches the worker', async () => {
    await client.pauseQueue({ name: queuePath });
    const notBefore = new Date(Date.now() - 1000);
    const result = await deployQueue().enqueue({ requestId: 'req-1', taskName: 'deploy-abc123', notBefore });
    assert.deepEqual(result, { taskName: 'deploy-abc123', isNew: true });

    const [task] = await client.getTask({ name: `${queuePath}/tasks/deploy-abc123`, responseView: 'FULL' });
    assert.equal(task.httpRequest?.url, `${recorder.baseUrl}/deploy-worker`);
    assert.equal(task.httpRequest?.httpMethod, 'POST');
    assert.deepEqual(task.httpRequest?.headers, { 'Content-Type': 'application/json' });
    assert.deepEqual(task.httpRequest?.oidcToken, {
      serviceAccountEmail: SERVICE_ACCOUNT,
      audience: `${recorder.baseUrl}/deploy-worker`,
    });
    assert.equal(millis(task.scheduleTime), notBefore.getTime());
    assert.equal(millis(task.dispatchDeadline), 600_000);

    await client.resumeQueue({ name: queuePath });
    const [request] = await recorder.waitForRequests(1);
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/deploy-worker');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), { requestId: 'req-1' });
    assert.equal(request.headers['x-cloudtasks-taskname'], 'deploy-abc123');
    const claims = jwtClaims(request);
    assert.equal(claims.aud, `${recorder.baseUrl}/deploy-worker`);
    assert.equal(claims.email, SERVICE_ACCOUNT);
    await emulator.drain();
  });

  it('sends no Authorization header without a service account', async () => {
    await deployQueue({ serviceAccountEmail: null }).enqueue({
      requestId: 'req-2',
      taskName: 'deploy-no-auth',
      notBefore: new Date(),
    });
    const [request] = await recorder.waitForRequests(1);
    assert.equal(request?.headers.authorization, undefined);
    await emulator.drain();
  });

  it('a repeat enqueue is isNew: false, while queued and after delivery, and delivers once', async () => {
    const queue = deployQueue();
    const task = { requestId: 'req-3', taskName: 'deploy-dup', notBefore: new Date() };
    // Paused: the task is certainly still queued when it is enqueued again.
    await client.pauseQueue({ name: queuePath });
    assert.deepEqual(await queue.enqueue(task), { taskName: 'deploy-dup', isNew: true });
    assert.deepEqual(await queue.enqueue(task), { taskName: 'deploy-dup', isNew: false });
    assert.equal(recorder.requests.length, 0);
    await client.resumeQueue({ name: queuePath });
    await emulator.drain();
    assert.deepEqual(await queue.enqueue({ ...task, notBefore: new Date() }), {
      taskName: 'deploy-dup',
      isNew: false,
    });
    await emulator.drain();
    assert.equal(recorder.requests.length, 1);
  });

  it('does not deliver before notBefore', async () => {
    const notBefore = new Date(Date.now() + 300);
    await deployQueue().enqueue({ requestId: 'req-4', taskName: 'deploy-later', notBefore });
    const [request] = await recorder.waitForRequests(1);
    assert.ok(request);
    assert.ok(
      request.receivedAtMs >= notBefore.getTime(),
      `delivered ${notBefore.getTime() - request.receivedAtMs} ms early`,
    );
    await emulator.drain();
  });

  it('uses the configured dispatch deadline', async () => {
    await client.pauseQueue({ name: queuePath });
    await deployQueue({ dispatchDeadlineSeconds: 30 }).enqueue({
      requestId: 'req-5',
      taskName: 'deploy-deadline',
      notBefore: new Date(),
    });
    const [task] = await client.getTask({ name: `${queuePath}/tasks/deploy-deadline` });
    assert.equal(millis(task.dispatchDeadline), 30_000);
  });

  it('throws a QueueError naming the queue when the queue does not exist', async () => {
    const missing = `${LOCATION}/queues/no-such-queue`;
    await assert.rejects(
      deployQueue({ queuePath: missing }).enqueue({
        requestId: 'req-6',
        taskName: 'deploy-x',
        notBefore: new Date(),
      }),
      (error: unknown) => {
        assert.ok(error instanceof QueueError);
        assert.equal(error.name, 'QueueError');
        assert.equal(error.code, 5);
        assert.equal(error.isTransient, false);
        assert.ok(error.message.includes(missing), error.message);
        assert.match(error.message, /NOT_FOUND/);
        return true;
      },
    );
  });

  it('throws a transient QueueError when the emulator is down (5 s call timeout)', async () => {
    const stopped = await startTasksEmulator({ log: () => {} });
    const stoppedClient = createTasksClient({ emulator: hostOf(stopped.address), projectId: PROJECT_ID });
    try {
      await stoppedClient.createQueue({ parent: LOCATION, queue: { name: `${LOCATION}/queues/gone` } });
      await stopped.stop();
      const queue = deployQueue({
        client: stoppedClient,
        queuePath: `${LOCATION}/queues/gone`,
        // A short deadline on the CreateTask call: the test never waits for the 20 s default.
        callTimeoutMs: 5_000,
      });
      await assert.rejects(
        queue.enqueue({ requestId: 'req-7', taskName: 'deploy-down', notBefore: new Date() }),
        (error: unknown) => {
          assert.ok(error instanceof QueueError, String(error));
          assert.equal(error.isTransient, true);
          assert.ok([14, 4].includes(error.code ?? -1), `code ${error.code}: ${error.message}`);
          assert.ok(error.message.includes(`${LOCATION}/queues/gone`), error.message);
          return true;
        },
      );
    } finally {
      await stoppedClient.close();
      await stopped.stop();
    }
  });

  it('rejects a malformed task name or date before calling Cloud Tasks', async () => {
    let calls = 0;
    const countingClient: TasksClientLike = {
      createTask: (() => {
        calls += 1;
        throw new Error('must not be called');
      }) as unknown as TasksClientLike['createTask'],
    };
    const queue = deployQueue({ client: countingClient });
    for (const task of [
      { requestId: 'r', taskName: 'has/slash', notBefore: new Date() },
      { requestId: 'r', taskName: '', notBefore: new Date() },
      { requestId: 'r', taskName: 'ok-name', notBefore: new Date(Number.NaN) },
    ]) {
      await assert.rejects(queue.enqueue(task), (error: unknown) => {
        assert.ok(error instanceof QueueError);
        assert.equal(error.code, null);
        assert.equal(error.isTransient, false);
        return true;
      });
    }
    assert.equal(calls, 0);
  });
});

/** Whether this machine can listen on the IPv6 loopback address ::1. */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

describe('createTasksClient', () => {
  it('talks to an emulator on an IPv6 address', async function () {
    if (!(await hasIpv6Loopback())) {
      // Said out loud, not passed silently: this machine cannot run the test.
      process.stdout.write(
        '      (no IPv6 loopback ::1 on this machine: the IPv6 emulator test cannot run)\n',
      );
      this.skip();
    }
    const emulator = await startTasksEmulator({ host: '::1', log: () => {} });
    const recorder = await startHttpRecorder();
    const client = createTasksClient({ emulator: hostOf(emulator.address), projectId: PROJECT_ID });
    try {
      assert.match(emulator.address, /^\[::1\]:\d+$/);
      const queuePath = `${LOCATION}/queues/v6`;
      await client.createQueue({ parent: LOCATION, queue: { name: queuePath } });
      const queue = new CloudTasksQueue({
        client,
        queuePath,
        workerUrl: `${recorder.baseUrl}/deploy-worker`,
        serviceAccountEmail: null,
        dispatchDeadlineSeconds: 600,
      });
      const result = await queue.enqueue({
        requestId: 'req-v6',
        taskName: 'deploy-v6',
        notBefore: new Date(),
      });
      assert.deepEqual(result, { taskName: 'deploy-v6', isNew: true });
      const [request] = await recorder.waitForRequests(1);
      assert.equal(request?.headers['x-cloudtasks-taskname'], 'deploy-v6');
      assert.deepEqual(JSON.parse(request?.body.toString('utf8') ?? ''), { requestId: 'req-v6' });
      await emulator.drain();
    } finally {
      await client.close();
      await emulator.stop();
      await recorder.close();
    }
  });

  it('builds a client for the real service without an emulator host', async () => {
    const client = createTasksClient({ emulator: null, projectId: PROJECT_ID });
    assert.equal(client.queuePath('p', 'l', 'q'), 'projects/p/locations/l/queues/q');
    await client.close();
  });
});

/**
 * The Cloud Tasks emulator, driven by the real `@google-cloud/tasks` CloudTasksClient over gRPC, delivering
 * to a local HTTP recorder. Timing assertions are lower bounds only (never "within N ms"): the emulator
 * must not dispatch early or too often; how fast it is belongs in benchmarks.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { CloudTasksClient, type protos } from '@google-cloud/tasks';
import { grpc } from 'google-gax';
import { freePort } from '../../scripts/lib/net.js';
import {
  computeBackoffMs,
  type LogEntry,
  OAUTH_PLACEHOLDER_PREFIX,
  startTasksEmulator,
  type TasksEmulator,
} from '../../scripts/tasks-emulator/server.js';
import { runScriptToExit } from '../support/cli.js';
import { type HttpRecorder, startHttpRecorder } from '../support/http-recorder.js';

type Task = protos.google.cloud.tasks.v2.ITask;
type Queue = protos.google.cloud.tasks.v2.IQueue;

const PROJECT_ID = 'demo-tasks-emulator-test';
const LOCATION = `projects/${PROJECT_ID}/locations/us-central1`;
const SERVICE_ACCOUNT = 'worker-invoker@demo-tasks-emulator-test.iam.gserviceaccount.com';

function tasksClient(port: number): CloudTasksClient {
  return new CloudTasksClient({
    apiEndpoint: '127.0.0.1',
    port,
    sslCreds: grpc.credentials.createInsecure(),
    projectId: PROJECT_ID,
  });
}

function timestamp(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function millis(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(value?.seconds ?? 0) * 1000 + (value?.nanos ?? 0) / 1e6;
}

/** Asserts that `promise` fails with gRPC status `code`. */
async function rejectsWithCode(promise: Promise<unknown>, code: grpc.status): Promise<void> {
  await assert.rejects(promise, (error: { code?: number; message?: string }) => {
    assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${error.code}: ${error.message}`);
    return true;
  });
}

function header(request: { headers: Record<string, string | string[] | undefined> }, name: string) {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

function decodeJwtPayload(authorization: string | undefined): Record<string, unknown> {
  if (!authorization?.startsWith('Bearer ')) assert.fail(`expected a Bearer token, got ${authorization}`);
  const payload = authorization.slice('Bearer '.length).split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

describe('tasks emulator (real CloudTasksClient over gRPC)', () => {
  let emulator: TasksEmulator;
  let client: CloudTasksClient;
  let recorder: HttpRecorder;
  /**
   * Every emulator log entry with the emulator's clock reading it was written after (for a dispatch,
   * the time the emulator dispatched at), not the time the line reached the test: on a busy machine
   * the two differ by more than the margins checked here.
   */
  const logs: Array<LogEntry & { atMs: number }> = [];
  const queuesOfTest: string[] = [];
  let queueCount = 0;

  before(async () => {
    let lastReadingMs = Date.now();
    emulator = await startTasksEmulator({
      now: () => {
        lastReadingMs = Date.now();
        return lastReadingMs;
      },
      log: (entry) => logs.push({ ...entry, atMs: lastReadingMs }),
    });
    client = tasksClient(emulator.port);
  });

  beforeEach(async () => {
    recorder = await startHttpRecorder();
    logs.length = 0;
  });

  afterEach(async () => {
    // Deleting the test's queues drops whatever it left behind, so tests cannot leak into each other.
    for (const name of queuesOfTest.splice(0)) {
      await client.deleteQueue({ name }).catch(() => {});
    }
    await recorder.close();
  });

  after(async () => {
    await client.close();
    await emulator.stop();
  });

  async function createQueue(settings: Omit<Queue, 'name'> = {}): Promise<string> {
    queueCount += 1;
    const name = `${LOCATION}/queues/q-${queueCount}`;
    await client.createQueue({ parent: LOCATION, queue: { name, ...settings } });
    queuesOfTest.push(name);
    return name;
  }

  async function createTask(queue: string, task: Partial<Task> = {}, path = '/task'): Promise<Task> {
    const [created] = await client.createTask({
      parent: queue,
      task: { httpRequest: { url: `${recorder.baseUrl}${path}`, httpMethod: 'POST' }, ...task },
    });
    return created;
  }

  describe('queues', () => {
    it('creates, pauses, resumes and deletes a queue', async () => {
      const name = `${LOCATION}/queues/crud`;
      const [created] = await client.createQueue({ parent: LOCATION, queue: { name } });
      queuesOfTest.push(name);
      assert.equal(created.name, name);
      assert.equal(created.state, 'RUNNING');
      assert.equal(created.rateLimits?.maxDispatchesPerSecond, 500);
      assert.equal(created.rateLimits?.maxConcurrentDispatches, 1000);
      assert.equal(created.retryConfig?.maxAttempts, 100);
      assert.equal(millis(created.retryConfig?.minBackoff), 100);
      assert.equal(millis(created.retryConfig?.maxBackoff), 3_600_000);
      assert.equal(created.retryConfig?.maxDoublings, 16);

      const [paused] = await client.pauseQueue({ name });
      assert.equal(paused.state, 'PAUSED');
      const [resumed] = await client.resumeQueue({ name });
      assert.equal(resumed.state, 'RUNNING');

      await client.deleteQueue({ name });
      await rejectsWithCode(client.deleteQueue({ name }), grpc.status.NOT_FOUND);
      await rejectsWithCode(
        client.createTask({ parent: name, task: { httpRequest: { url: `${recorder.baseUrl}/x` } } }),
        grpc.status.NOT_FOUND,
      );
    });

    it('rejects bad queue requests with NOT_FOUND, ALREADY_EXISTS and INVALID_ARGUMENT', async () => {
      const name = await createQueue();
      await rejectsWithCode(
        client.createQueue({ parent: LOCATION, queue: { name } }),
        grpc.status.ALREADY_EXISTS,
      );
      await rejectsWithCode(
        client.deleteQueue({ name: `${LOCATION}/queues/missing` }),
        grpc.status.NOT_FOUND,
      );
      await rejectsWithCode(client.pauseQueue({ name: `${LOCATION}/queues/missing` }), grpc.status.NOT_FOUND);
      await rejectsWithCode(client.pauseQueue({ name: 'queues/not-a-path' }), grpc.status.INVALID_ARGUMENT);
      await rejectsWithCode(
        client.createQueue({
          parent: LOCATION,
          queue: { name: `projects/${PROJECT_ID}/locations/europe-west1/queues/elsewhere` },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createQueue({ parent: LOCATION, queue: { name: `${LOCATION}/queues/bad_underscore` } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createQueue({
          parent: LOCATION,
          queue: { name: `${LOCATION}/queues/too-fast`, rateLimits: { maxDispatchesPerSecond: 1000 } },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createQueue({
          parent: LOCATION,
          queue: {
            name: `${LOCATION}/queues/backwards-backoff`,
            retryConfig: { minBackoff: { seconds: 10 }, maxBackoff: { seconds: 1 } },
          },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
    });
  });

  describe('unused RPCs', () => {
    it('answers UNIMPLEMENTED, naming the RPCs it serves, for the ones nothing in the project calls', async () => {
      const name = await createQueue();
      const task = `${name}/tasks/t`;
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['GetQueue', () => client.getQueue({ name })],
        ['ListQueues', () => client.listQueues({ parent: LOCATION })],
        ['UpdateQueue', () => client.updateQueue({ queue: { name } })],
        ['PurgeQueue', () => client.purgeQueue({ name })],
        ['RunTask', () => client.runTask({ name: task })],
        ['DeleteTask', () => client.deleteTask({ name: task })],
        ['GetIamPolicy', () => client.getIamPolicy({ resource: name })],
      ];
      for (const [method, call] of calls) {
        await assert.rejects(call(), (error: { code?: number; details?: string }) => {
          assert.equal(error.code, grpc.status.UNIMPLEMENTED, `${method}: ${error.details}`);
          assert.match(
            error.details ?? '',
            new RegExp(
              `^CloudTasks\\.${method} is not implemented by the tasks emulator; it serves .*CreateTask`,
            ),
          );
          return true;
        });
      }
    });
  });

  describe('tasks', () => {
    it('delivers a task with its method, body, headers and the Cloud Tasks headers', async () => {
      const queue = await createQueue();
      const created = await createTask(
        queue,
        {
          name: `${queue}/tasks/deliver-me`,
          httpRequest: {
            url: `${recorder.baseUrl}/work?x=1`,
            httpMethod: 'PUT',
            headers: {
              'Content-Type': 'text/plain',
              'X-Custom': 'yes',
              'X-CloudTasks-TaskName': 'spoofed',
              'User-Agent': 'spoofed-agent',
              Authorization: 'Bearer replaced-by-the-oidc-token',
            },
            body: Buffer.from('hello'),
            oidcToken: { serviceAccountEmail: SERVICE_ACCOUNT, audience: 'https://worker.example' },
          },
        },
        '',
      );
      assert.equal(created.name, `${queue}/tasks/deliver-me`);
      assert.equal(created.dispatchCount, 0, 'CreateTask answers with the task as created');
      assert.equal(created.lastAttempt, null);

      const [request] = await recorder.waitForRequests(1);
      assert.ok(request);
      assert.equal(request.method, 'PUT');
      assert.equal(request.url, '/work?x=1');
      assert.equal(request.body.toString(), 'hello');
      assert.equal(header(request, 'Content-Type'), 'text/plain');
      assert.equal(header(request, 'X-Custom'), 'yes');
      assert.equal(header(request, 'User-Agent'), 'Google-Cloud-Tasks', 'a task cannot set it');
      assert.equal(header(request, 'X-CloudTasks-QueueName'), queue.split('/').pop());
      assert.equal(header(request, 'X-CloudTasks-TaskName'), 'deliver-me', 'a task cannot spoof it');
      assert.equal(header(request, 'X-CloudTasks-TaskRetryCount'), '0');
      assert.equal(header(request, 'X-CloudTasks-TaskExecutionCount'), '0');
      assert.equal(header(request, 'X-CloudTasks-TaskPreviousResponse'), undefined);
      const etaMs = Number(header(request, 'X-CloudTasks-TaskETA')) * 1000;
      assert.ok(Math.abs(etaMs - millis(created.scheduleTime)) < 1, `ETA ${etaMs} vs schedule time`);
      const claims = decodeJwtPayload(header(request, 'Authorization'));
      assert.equal(claims.aud, 'https://worker.example');
      assert.equal(claims.email, SERVICE_ACCOUNT);

      await emulator.drain();
      await rejectsWithCode(client.getTask({ name: created.name ?? '' }), grpc.status.NOT_FOUND);
    });

    it('names an unnamed task, defaults the method to POST and the OIDC audience to the URL', async () => {
      const queue = await createQueue();
      const created = await createTask(queue, {
        httpRequest: {
          url: `${recorder.baseUrl}/default`,
          body: Buffer.from('{}'),
          oidcToken: { serviceAccountEmail: SERVICE_ACCOUNT },
        },
      });
      assert.match(created.name ?? '', new RegExp(`^${queue}/tasks/\\d+$`));
      const [request] = await recorder.waitForRequests(1);
      assert.equal(request?.method, 'POST');
      assert.equal(request && header(request, 'Content-Type'), 'application/octet-stream');
      assert.equal(
        decodeJwtPayload(request && header(request, 'Authorization')).aud,
        `${recorder.baseUrl}/default`,
      );
      await emulator.drain();
    });

    it('sends a placeholder bearer token for an oauth_token task', async () => {
      const queue = await createQueue();
      await createTask(queue, {
        httpRequest: {
          url: `${recorder.baseUrl}/oauth`,
          oauthToken: { serviceAccountEmail: SERVICE_ACCOUNT },
        },
      });
      const [request] = await recorder.waitForRequests(1);
      assert.equal(
        request && header(request, 'Authorization'),
        `Bearer ${OAUTH_PLACEHOLDER_PREFIX}${SERVICE_ACCOUNT}`,
      );
      await emulator.drain();
    });

    it('retries when the target refuses the connection, then drops the task', async () => {
      const queue = await createQueue({
        retryConfig: { maxAttempts: 2, minBackoff: { nanos: 10e6 }, maxBackoff: { nanos: 10e6 } },
      });
      const closedPort = await freePort();
      const created = await createTask(queue, {
        httpRequest: { url: `http://127.0.0.1:${closedPort}/down` },
      });
      await emulator.drain();
      const ofTask = logs.filter((entry) => entry.task === created.name);
      assert.equal(ofTask.filter((entry) => entry.message === 'dispatching task').length, 2);
      const dropped = ofTask.find((entry) => entry.message === 'task dropped: retries exhausted');
      assert.match(String(dropped?.outcome), /connection error/);
    });

    it('rejects bad task requests with NOT_FOUND and INVALID_ARGUMENT', async () => {
      const queue = await createQueue();
      const url = `${recorder.baseUrl}/x`;
      await rejectsWithCode(
        client.createTask({ parent: `${LOCATION}/queues/missing`, task: { httpRequest: { url } } }),
        grpc.status.NOT_FOUND,
      );
      await rejectsWithCode(client.createTask({ parent: queue, task: {} }), grpc.status.INVALID_ARGUMENT);
      await rejectsWithCode(
        client.createTask({ parent: queue, task: { httpRequest: { url: 'ftp://example.com/x' } } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({
          parent: queue,
          task: { httpRequest: { url, httpMethod: 'GET', body: Buffer.from('no') } },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({ parent: queue, task: { name: `${queue}/tasks/bad.name`, httpRequest: { url } } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({
          parent: queue,
          task: { name: `${LOCATION}/queues/other/tasks/t`, httpRequest: { url } },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({
          parent: queue,
          task: { httpRequest: { url }, scheduleTime: timestamp(Date.now() + 31 * 24 * 3_600_000) },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({
          parent: queue,
          task: { httpRequest: { url }, dispatchDeadline: { seconds: 3600 } },
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.createTask({ parent: queue, task: { httpRequest: { url, headers: { 'X-Bad': 'a\nb' } } } }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(client.getTask({ name: `${queue}/tasks/missing` }), grpc.status.NOT_FOUND);
      await rejectsWithCode(client.getTask({ name: 'tasks/missing' }), grpc.status.INVALID_ARGUMENT);
      assert.equal(recorder.requests.length, 0);
    });

    it('answers ALREADY_EXISTS (6) for a duplicate name, while queued and after completion', async () => {
      const queue = await createQueue();
      await client.pauseQueue({ name: queue });
      const name = `${queue}/tasks/once`;
      await createTask(queue, { name });
      await rejectsWithCode(createTask(queue, { name }), grpc.status.ALREADY_EXISTS);

      await client.resumeQueue({ name: queue });
      await recorder.waitForRequests(1);
      await emulator.drain();
      await rejectsWithCode(createTask(queue, { name }), grpc.status.ALREADY_EXISTS);
      assert.equal(emulator.stats().tasks, 0, 'the refused duplicate was not stored');
      // Any attempt this pass starts is in flight when poke() returns: drain() waits for it to arrive.
      emulator.poke();
      await emulator.drain();
      assert.equal(recorder.requests.length, 1);
    });

    it('does not dispatch a task before its scheduleTime', async () => {
      const queue = await createQueue();
      const scheduleMs = Date.now() + 400;
      const created = await createTask(queue, { scheduleTime: timestamp(scheduleMs) });
      assert.equal(millis(created.scheduleTime), scheduleMs);
      const [request] = await recorder.waitForRequests(1);
      assert.ok(request);
      assert.ok(
        request.receivedAtMs >= scheduleMs,
        `dispatched ${scheduleMs - request.receivedAtMs} ms before its scheduleTime`,
      );
      assert.equal(Number(header(request, 'X-CloudTasks-TaskETA')) * 1000, scheduleMs);
      await emulator.drain();
    });

    it('retries failed attempts with the queue backoff until one succeeds', async () => {
      const retryConfig = {
        maxAttempts: 10,
        minBackoff: { nanos: 100e6 },
        maxBackoff: { seconds: 10 },
        maxDoublings: 2,
      };
      const queue = await createQueue({ retryConfig });
      recorder.script(500, 503, 404, 200);
      await createTask(queue, { name: `${queue}/tasks/flaky` });
      const requests = await recorder.waitForRequests(4);
      await emulator.drain();

      assert.deepEqual(
        requests.map((request) => header(request, 'X-CloudTasks-TaskRetryCount')),
        ['0', '1', '2', '3'],
      );
      // 5xx answers are not executions; the 404 is.
      assert.deepEqual(
        requests.map((request) => header(request, 'X-CloudTasks-TaskExecutionCount')),
        ['0', '0', '0', '1'],
      );
      assert.deepEqual(
        requests.map((request) => header(request, 'X-CloudTasks-TaskPreviousResponse')),
        [undefined, '500', '503', '404'],
      );
      const settings = {
        maxAttempts: 10,
        maxRetryDurationMs: 0,
        minBackoffMs: 100,
        maxBackoffMs: 10_000,
        maxDoublings: 2,
      };
      for (let failed = 1; failed < requests.length; failed += 1) {
        const previous = requests[failed - 1];
        const next = requests[failed];
        assert.ok(previous?.respondedAtMs && next);
        const gapMs = next.receivedAtMs - previous.respondedAtMs;
        const backoffMs = computeBackoffMs(settings, failed);
        assert.ok(
          gapMs >= backoffMs,
          `retry ${failed} came ${gapMs} ms after the failure, backoff is ${backoffMs} ms`,
        );
      }
      assert.equal(recorder.requests.length, 4, 'no attempt after the success');
    });

    it('drops a task once maxAttempts attempts failed', async () => {
      const queue = await createQueue({
        retryConfig: { maxAttempts: 3, minBackoff: { nanos: 10e6 }, maxBackoff: { nanos: 50e6 } },
      });
      recorder.script(500, 500, 500, 200);
      const created = await createTask(queue, { name: `${queue}/tasks/doomed` });
      await emulator.drain();
      assert.equal(recorder.requests.length, 3);
      await rejectsWithCode(client.getTask({ name: created.name ?? '' }), grpc.status.NOT_FOUND);
      assert.ok(
        logs.some(
          (entry) => entry.message === 'task dropped: retries exhausted' && entry.task === created.name,
        ),
      );
      await rejectsWithCode(createTask(queue, { name: created.name }), grpc.status.ALREADY_EXISTS);
    });

    it('retries an attempt that exceeds the dispatchDeadline', async () => {
      const queue = await createQueue({ retryConfig: { minBackoff: { nanos: 50e6 } } });
      recorder.script({ status: 200, delayMs: 5_000 }, 200);
      await createTask(queue, { name: `${queue}/tasks/slow`, dispatchDeadline: { nanos: 300e6 } });
      const [first, second] = await recorder.waitForRequests(2);
      await emulator.drain();
      assert.ok(first && second);
      assert.equal(first.status, null, 'the emulator gave up before the slow answer');
      // Emulator-side dispatch times: the deadline runs from the dispatch, a little before the arrival.
      const dispatches = logs
        .filter((entry) => entry.message === 'dispatching task' && entry.task === `${queue}/tasks/slow`)
        .map((entry) => entry.atMs);
      assert.equal(dispatches.length, 2);
      const gapMs = (dispatches[1] ?? 0) - (dispatches[0] ?? 0);
      // 1 ms of slack: a node timer may fire up to 1 ms early as Date.now() sees it.
      assert.ok(
        gapMs >= 300 + 50 - 1,
        `retried ${gapMs} ms after the first dispatch, before deadline + backoff`,
      );
      assert.equal(header(second, 'X-CloudTasks-TaskRetryCount'), '1');
      assert.match(header(second, 'X-CloudTasks-TaskRetryReason') ?? '', /deadline/);
      assert.equal(recorder.requests.length, 2);
    });

    it('respects maxConcurrentDispatches', async () => {
      const queue = await createQueue({ rateLimits: { maxConcurrentDispatches: 2 } });
      // Every answer is held until the test lets them go, so the limit is reached whatever the timing.
      let letGo = () => {};
      const heldUntil = new Promise<void>((resolve) => {
        letGo = resolve;
      });
      recorder.script(...Array.from({ length: 6 }, () => ({ status: 200, heldUntil })));
      for (let i = 0; i < 6; i += 1) await createTask(queue);

      await recorder.waitForRequests(2);
      emulator.poke(); // four tasks are due: none may go while two attempts are held
      assert.equal(emulator.stats().inFlight, 2);
      assert.equal(recorder.inFlight, 2, 'dispatches do run in parallel up to the limit');
      letGo();
      await emulator.drain();
      assert.equal(recorder.requests.length, 6);
      assert.equal(recorder.maxInFlight, 2, `saw ${recorder.maxInFlight} concurrent dispatches, limit 2`);
    });

    it('respects maxDispatchesPerSecond (on a clock the test moves)', async () => {
      // A dispatch takes a token; a token comes back 1/rate s later on the emulator's clock. With a
      // clock that only the test moves, "not before 50 ms" is checked exactly, however late the
      // machine runs the emulator's timers.
      let nowMs = Date.now();
      const clocked = await startTasksEmulator({
        log: (entry) => logs.push({ ...entry, atMs: nowMs }),
        now: () => nowMs,
      });
      const clockedClient = tasksClient(clocked.port);
      try {
        const queue = `${LOCATION}/queues/rate`;
        const [created] = await clockedClient.createQueue({
          parent: LOCATION,
          queue: { name: queue, rateLimits: { maxDispatchesPerSecond: 20, maxBurstSize: 1 } },
        });
        assert.equal(created.rateLimits?.maxBurstSize, 1);
        for (let i = 0; i < 3; i += 1) {
          await clockedClient.createTask({
            parent: queue,
            task: { httpRequest: { url: `${recorder.baseUrl}/x` } },
          });
        }
        const dispatches = () =>
          logs.filter(
            (entry) => entry.message === 'dispatching task' && String(entry.task).startsWith(`${queue}/`),
          ).length;

        clocked.poke();
        assert.equal(dispatches(), 1, 'the burst: one token');
        nowMs += 49;
        clocked.poke();
        assert.equal(dispatches(), 1, '49 ms later: no token yet (20 per second is one per 50 ms)');
        nowMs += 1;
        clocked.poke();
        assert.equal(dispatches(), 2, '50 ms later: the next token');
        nowMs += 50;
        clocked.poke();
        assert.equal(dispatches(), 3);
        await clocked.drain();
        assert.equal(recorder.requests.length, 3);
      } finally {
        await clockedClient.close();
        await clocked.stop();
      }
    });

    it('holds tasks while the queue is paused and delivers them on resume', async () => {
      const queue = await createQueue();
      await client.pauseQueue({ name: queue });
      const created = await createTask(queue);
      // A pass of the dispatcher now: an attempt it started would be in flight when poke() returns, and
      // drain() would wait until it reached the recorder. (A paused queue does not keep the emulator busy.)
      emulator.poke();
      await emulator.drain();
      assert.equal(recorder.requests.length, 0, 'nothing was delivered from the paused queue');
      const [held] = await client.getTask({ name: created.name ?? '' });
      assert.equal(held.dispatchCount, 0);

      await client.resumeQueue({ name: queue });
      await recorder.waitForRequests(1);
      await emulator.drain();
      assert.equal(recorder.requests.length, 1);
    });

    it('ListTasks pages through the tasks in schedule order', async () => {
      const queue = await createQueue();
      await client.pauseQueue({ name: queue });
      const baseMs = Date.now() + 3_600_000;
      const names: string[] = [];
      // Created in reverse schedule order, listed in schedule order.
      for (let i = 4; i >= 0; i -= 1) {
        const name = `${queue}/tasks/t-${i}`;
        await createTask(queue, { name, scheduleTime: timestamp(baseMs + i * 1000) });
        names.unshift(name);
      }

      const pages: string[][] = [];
      let pageToken = '';
      do {
        const [tasks, , response] = await client.listTasks(
          { parent: queue, pageSize: 2, pageToken },
          { autoPaginate: false },
        );
        pages.push(tasks.map((task) => task.name ?? ''));
        pageToken = response?.nextPageToken ?? '';
      } while (pageToken);
      assert.deepEqual(pages, [names.slice(0, 2), names.slice(2, 4), names.slice(4)]);

      // The client's own page walk sees the same tasks.
      const all: string[] = [];
      for await (const task of client.listTasksAsync({ parent: queue, pageSize: 2 }, { autoPaginate: false }))
        all.push(task.name ?? '');
      assert.deepEqual(all, names);
      await rejectsWithCode(
        client.listTasks({ parent: queue, pageToken: 'garbage' }, { autoPaginate: false }),
        grpc.status.INVALID_ARGUMENT,
      );
      await rejectsWithCode(
        client.listTasks({ parent: `${LOCATION}/queues/missing` }),
        grpc.status.NOT_FOUND,
      );
    });

    it('returns the body only in the FULL view', async () => {
      const queue = await createQueue();
      await client.pauseQueue({ name: queue });
      const created = await createTask(queue, {
        httpRequest: { url: `${recorder.baseUrl}/x`, body: Buffer.from('payload') },
      });
      const [basic] = await client.getTask({ name: created.name ?? '' });
      assert.equal(Buffer.from(basic.httpRequest?.body ?? []).length, 0);
      const [full] = await client.getTask({ name: created.name ?? '', responseView: 'FULL' });
      assert.equal(Buffer.from(full.httpRequest?.body ?? []).toString(), 'payload');
    });
  });

  describe('tombstones', () => {
    it('frees a task name once the tombstone expires (injected clock)', async () => {
      let offsetMs = 0;
      const clocked = await startTasksEmulator({
        log: () => {},
        tombstoneMs: 60_000,
        now: () => Date.now() + offsetMs,
      });
      const clockedClient = tasksClient(clocked.port);
      try {
        const queue = `${LOCATION}/queues/clocked`;
        await clockedClient.createQueue({ parent: LOCATION, queue: { name: queue } });
        const task = { name: `${queue}/tasks/reused`, httpRequest: { url: `${recorder.baseUrl}/x` } };
        await clockedClient.createTask({ parent: queue, task });
        await clocked.drain();
        assert.equal(clocked.stats().tombstones, 1);
        await rejectsWithCode(clockedClient.createTask({ parent: queue, task }), grpc.status.ALREADY_EXISTS);
        offsetMs = 60_001;
        await clockedClient.createTask({ parent: queue, task });
        await clocked.drain();
        assert.equal(recorder.requests.length, 2);
      } finally {
        await clockedClient.close();
        await clocked.stop();
      }
    });
  });

  describe('lifecycle', () => {
    it('stop() rejects a pending drain() at once', async () => {
      const other = await startTasksEmulator({ log: () => {} });
      const otherClient = tasksClient(other.port);
      try {
        const queue = `${LOCATION}/queues/never-drains`;
        await otherClient.createQueue({ parent: LOCATION, queue: { name: queue } });
        await otherClient.createTask({
          parent: queue,
          task: {
            httpRequest: { url: `${recorder.baseUrl}/x` },
            scheduleTime: timestamp(Date.now() + 3_600_000),
          },
        });
        const drained = assert.rejects(other.drain(60_000), /stopped/);
        await otherClient.close();
        await other.stop();
        await drained;
        await assert.rejects(other.drain(), /stopped/);
      } finally {
        await other.stop();
      }
      assert.equal(recorder.requests.length, 0);
    });
  });

  describe('command line (scripts/tasks-emulator/main.ts)', () => {
    it('starts with --queue, serves the real client and stops on SIGTERM', async () => {
      const queue = `${LOCATION}/queues/from-cli`;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/tasks-emulator/main.ts', '--port', '0', '--queue', queue],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = once(child, 'exit');
      try {
        const address = await new Promise<string>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            const match = /tasks emulator listening on (\S+):(\d+)/.exec(output);
            if (match) resolve(match[2] ?? '');
          });
          child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening`)));
        });
        const cliClient = tasksClient(Number(address));
        try {
          await cliClient.createTask({
            parent: queue,
            task: { httpRequest: { url: `${recorder.baseUrl}/cli` } },
          });
          const [request] = await recorder.waitForRequests(1);
          assert.equal(request?.url, '/cli', 'the queue given with --queue exists and runs');
        } finally {
          await cliClient.close();
        }
      } finally {
        child.kill('SIGTERM');
      }
      const [code] = await exited;
      assert.equal(code, 0);
    });

    it('exits with status 2 and the usage on a bad flag', async () => {
      const { code, stderr } = await runScriptToExit('scripts/tasks-emulator/main.ts', ['--port', 'x']);
      assert.equal(code, 2);
      assert.match(stderr, /--port must be an integer/);
      assert.match(stderr, /usage: tasks-emulator/);
    });
  });
});

/**
 * The same refusals through the Functions Framework's own CLI serving functions/index.ts, as Cloud
 * Functions runs it: the entry point installs the body reader itself, so a body the framework's parsers
 * would have answered with an HTML stack trace reaches the function, which checks its caller first.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firestoreEmulatorHost, TEST_PROJECT_ID } from '../support/firestore.js';
import { type Served, serveWithFrameworkCli } from '../support/framework-cli.js';
import { assertOwnJson, deliveryHeaders, send, WEBHOOK_SECRET } from './support/hostile-stack.js';

/** GitHub's documented example ("Validating webhook deliveries"): its secret, and its signature of `Hello, World!`. */
const GITHUB_EXAMPLE_SECRET = "It's a Secret to Everybody";
const GITHUB_EXAMPLE_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

/** A kubeconfig whose cluster nobody answers: the functions start, and these bodies never reach it. */
async function unreachableKubeconfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hostile-kube-'));
  const path = join(dir, 'config');
  await writeFile(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return path;
}

describe('bad request bodies under the Functions Framework CLI (functions/index.ts)', function () {
  this.timeout(90_000);
  let emulator: string;
  const started: Served[] = [];

  before(async () => {
    emulator = await firestoreEmulatorHost();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((served) => served.stop()));
  });

  function start(target: string, env: NodeJS.ProcessEnv): Promise<Served> {
    const config = { GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID, FIRESTORE_EMULATOR_HOST: emulator, ...env };
    return serveWithFrameworkCli(target, config, started);
  }

  it('githubWebhook: not JSON as application/json is 401 unsigned and 400 signed, in JSON; the framework logs no stack', async () => {
    const served = await start('githubWebhook', {
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TASKS_QUEUE: `projects/${TEST_PROJECT_ID}/locations/us-central1/queues/q`,
      CLOUD_TASKS_EMULATOR_HOST: '127.0.0.1:1',
      DEPLOY_WORKER_URL: 'https://deployworker-1.us-central1.run.app',
      TASKS_SERVICE_ACCOUNT: 'tasks@demo.iam.gserviceaccount.com',
    });
    const body = '{"ref": oops';
    const unsigned = await send(served.url, {
      method: 'POST',
      headers: deliveryHeaders(body, 'push', false),
      body,
    });
    assert.equal(unsigned.status, 401, unsigned.text);
    assertOwnJson(unsigned);
    const signed = await send(served.url, { method: 'POST', headers: deliveryHeaders(body), body });
    assert.equal(signed.status, 400, signed.text);
    assert.match(String(assertOwnJson(signed).error), /not JSON/);
    const ping = await send(served.url, {
      method: 'POST',
      headers: deliveryHeaders('{}', 'ping'),
      body: '{}',
    });
    assert.equal(ping.status, 200, ping.text);
    assert.doesNotMatch(served.output(), /SyntaxError|body-parser/);
  });

  it("githubWebhook: GitHub's documented signature example verifies as text/plain (400 not JSON, not 401)", async () => {
    // docs.github.com "Validating webhook deliveries": this secret over these bytes gives this signature.
    const served = await start('githubWebhook', {
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      GITHUB_WEBHOOK_SECRET_PREVIOUS: GITHUB_EXAMPLE_SECRET,
      TASKS_QUEUE: `projects/${TEST_PROJECT_ID}/locations/us-central1/queues/q`,
      CLOUD_TASKS_EMULATOR_HOST: '127.0.0.1:1',
      DEPLOY_WORKER_URL: 'https://deployworker-1.us-central1.run.app',
      TASKS_SERVICE_ACCOUNT: 'tasks@demo.iam.gserviceaccount.com',
    });
    const headers = (signature: string) => ({
      'Content-Type': 'text/plain',
      'X-GitHub-Event': 'ping',
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'X-Hub-Signature-256': signature,
    });
    const verified = await send(served.url, {
      method: 'POST',
      headers: headers(GITHUB_EXAMPLE_SIGNATURE),
      body: 'Hello, World!',
    });
    assert.equal(verified.status, 400, verified.text);
    assert.match(String(assertOwnJson(verified).error), /not JSON/);
    const oneDigitOff = `${GITHUB_EXAMPLE_SIGNATURE.slice(0, -1)}6`;
    const forged = await send(served.url, {
      method: 'POST',
      headers: headers(oneDigitOff),
      body: 'Hello, World!',
    });
    assert.equal(forged.status, 401, forged.text);
    assertOwnJson(forged);
  });

  it('deployWorker: a task body that is not JSON or over 1 MiB is answered in JSON; a task is dropped with 200', async () => {
    const served = await start('deployWorker', {
      AUTH_MODE: 'off',
      KUBECONFIG: await unreachableKubeconfig(),
    });
    for (const body of ['{"requestId": oops', 'x'.repeat(1024 * 1024 + 1)]) {
      const person = await send(served.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      assert.ok([400, 413].includes(person.status), person.text);
      assertOwnJson(person);
      const task = await send(served.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CloudTasks-TaskName': 'cli-task' },
        body,
      });
      assert.equal(task.status, 200, task.text);
      assert.equal(assertOwnJson(task).dropped, true);
    }
    assert.match(served.output(), /task body refused; dropped/);
    assert.doesNotMatch(served.output(), /SyntaxError|body-parser/);
  });

  it('schedulerTick: a body over 64 KiB or gzip-encoded is refused in JSON', async () => {
    const served = await start('schedulerTick', {
      AUTH_MODE: 'off',
      KUBECONFIG: await unreachableKubeconfig(),
      TASKS_QUEUE: `projects/${TEST_PROJECT_ID}/locations/us-central1/queues/q`,
      CLOUD_TASKS_EMULATOR_HOST: '127.0.0.1:1',
      DEPLOY_WORKER_URL: 'https://deployworker-1.us-central1.run.app',
      TASKS_SERVICE_ACCOUNT: 'tasks@demo.iam.gserviceaccount.com',
    });
    const large = await send(served.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: `"${'x'.repeat(65 * 1024)}"`,
    });
    assert.equal(large.status, 413, large.text);
    assertOwnJson(large);
    const gzip = await send(served.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: '{oops',
    });
    assert.equal(gzip.status, 415, gzip.text);
    assertOwnJson(gzip);
  });

  it('deploymentStatus: a lease body that is not JSON is 401 without a token (JSON), the page still serves', async () => {
    const served = await start('deploymentStatus', {
      STATUS_URL: 'https://deploymentstatus-1.us-central1.run.app',
    });
    const answer = await send(`${served.url}/api/leases`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{oops',
    });
    assert.equal(answer.status, 401, answer.text);
    assertOwnJson(answer);
    const tooLarge = await send(`${served.url}/api/leases`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(17 * 1024),
    });
    assert.equal(tooLarge.status, 401, tooLarge.text);
    const versions = await send(`${served.url}/api/versions`, { method: 'GET', headers: {} });
    assert.equal(versions.status, 200, versions.text);
  });
});

/**
 * The same refusals through the Functions Framework's own CLI serving functions/index.ts, as Cloud
 * Functions runs it: the entry point installs the body reader itself, so a body the framework's parsers
 * would have answered with an HTML stack trace reaches the function, which checks its caller first.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, waitFor } from '../../scripts/lib/net.js';
import { firestoreEmulatorHost, TEST_PROJECT_ID } from '../support/firestore.js';
import { assertOwnJson, deliveryHeaders, send, WEBHOOK_SECRET } from './support/hostile-stack.js';

const FRAMEWORK_CLI = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);

interface Served {
  url: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function serve(target: string, env: NodeJS.ProcessEnv): Promise<Served> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', FRAMEWORK_CLI, `--target=${target}`, '--source=functions/index.ts', `--port=${port}`],
    {
      env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the framework exited (${child.exitCode}):\n${output}`);
    return /^URL: /m.test(output);
  }, 60_000);
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
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

  async function start(target: string, env: NodeJS.ProcessEnv): Promise<Served> {
    const served = await serve(target, {
      GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
      FIRESTORE_EMULATOR_HOST: emulator,
      ...env,
    });
    started.push(served);
    return served;
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

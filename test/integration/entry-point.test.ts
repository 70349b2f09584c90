/**
 * functions/index.ts, the production entry point, served the way Cloud Functions serves it: the
 * Functions Framework's own CLI (`functions-framework --target=<name> --source=...`) in a child process
 * whose environment is the function's configuration. Checks that every exported name serves, that the
 * configuration comes from the environment, and that a bad configuration answers 500 with its problems
 * and a CRITICAL log line instead of crashing the instance.
 */
import assert from 'node:assert/strict';
import { FUNCTION_NAMES } from '../../functions/app.js';
import { COLD_START_TEST_TIMEOUT_MS } from '../support/cold-start.js';
import { firestoreEmulatorHost, TEST_PROJECT_ID } from '../support/firestore.js';
import { type Served, serveWithFrameworkCli } from '../support/framework-cli.js';

describe('functions/index.ts under the Functions Framework CLI', function () {
  this.timeout(COLD_START_TEST_TIMEOUT_MS);
  let emulator: string;
  const started: Served[] = [];

  before(async function () {
    this.timeout(60_000);
    emulator = await firestoreEmulatorHost();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((served) => served.stop()));
  });

  function start(target: string, env: NodeJS.ProcessEnv): Promise<Served> {
    return serveWithFrameworkCli(target, env, started);
  }

  it('serves deploymentStatus from the environment: the default deployments file, Firestore of the project', async () => {
    const served = await start('deploymentStatus', {
      GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
      FIRESTORE_EMULATOR_HOST: emulator,
      // AUTH_MODE is required by default: the reads stay public, the function needs its URL.
      STATUS_URL: 'https://deploymentstatus-123.us-central1.run.app',
    });
    const response = await fetch(`${served.url}/api/versions`);
    assert.equal(response.status, 200);
    const versions = (await response.json()) as Array<{ name: string }>;
    assert.ok(versions.length > 0);
    assert.ok(
      versions.some((version) => version.name === 'master'),
      JSON.stringify(versions),
    );
    const configLine = served
      .output()
      .split('\n')
      .find((line) => line.includes('"configuration loaded"'));
    assert.ok(configLine, served.output());
    assert.equal(JSON.parse(configLine).severity, 'INFO');
  });

  it("with FUNCTION_TARGET (Cloud Functions sets it) loads the function's modules before it serves, then serves", async () => {
    const served = await start('deploymentStatus', {
      GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
      FIRESTORE_EMULATOR_HOST: emulator,
      STATUS_URL: 'https://deploymentstatus-123.us-central1.run.app',
      FUNCTION_TARGET: 'deploymentStatus',
    });
    const output = served.output();
    const loadedAt = output.indexOf('"modules loaded at start"');
    assert.ok(loadedAt >= 0, output);
    // The framework prints its banner once the entry module (and so the loading) is done.
    assert.ok(loadedAt < output.indexOf('URL: '), output);
    const line = output.split('\n').find((text) => text.includes('"modules loaded at start"')) ?? '';
    assert.equal(JSON.parse(line).function, 'deploymentStatus');
    const response = await fetch(`${served.url}/api/versions`);
    assert.equal(response.status, 200);
  });

  it('exports every function name', async () => {
    // Four framework processes, started together; each loads the whole entry module (the describe's
    // cold-start guard covers them).
    // A name the entry does not register makes the framework exit before serving.
    const env = { GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID, FIRESTORE_EMULATOR_HOST: emulator };
    const served = await Promise.all(FUNCTION_NAMES.map((name) => start(name, env)));
    FUNCTION_NAMES.forEach((name, index) => {
      assert.match(served[index]?.output() ?? '', new RegExp(`Function: ${name}`));
    });
  });

  it('answers 500 with every problem and logs CRITICAL when the configuration is invalid; the instance lives on', async () => {
    const served = await start('deploymentStatus', {
      AUTO_DEPLOY_CONFIG: '/nonexistent/deployments.yaml',
      CLOUD_TASKS_EMULATOR_HOST: 'not-a-host',
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(`${served.url}/api/versions`);
      assert.equal(response.status, 500);
      const body = (await response.json()) as { error: string };
      assert.match(body.error, /AUTO_DEPLOY_CONFIG/);
      assert.match(body.error, /CLOUD_TASKS_EMULATOR_HOST/);
      assert.match(body.error, /GOOGLE_CLOUD_PROJECT/);
    }
    const critical = served
      .output()
      .split('\n')
      .filter((line) => line.includes('"severity":"CRITICAL"'));
    assert.ok(critical.length >= 1, served.output());
    assert.match(critical[0] ?? '', /deploymentStatus cannot start/);
  });

  it('githubWebhook refuses to run without a secret: 500 naming GITHUB_WEBHOOK_SECRET', async () => {
    const served = await start('githubWebhook', {
      GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
      FIRESTORE_EMULATOR_HOST: emulator,
    });
    const response = await fetch(served.url, {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(response.status, 500);
    assert.match(((await response.json()) as { error: string }).error, /GITHUB_WEBHOOK_SECRET is not set/);
  });
});

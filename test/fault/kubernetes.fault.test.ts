/**
 * Faults of Kubernetes on the worker's path: the local kube server answering 500, not answering in
 * time, and answering 409 on create; and the worker process killed after creating the Job but before
 * recording it. Each ends with exactly one deploy Job for the push, recorded by exactly one deployment
 * (`deploying`), and the failure in the worker's log lines; a launch being retried shows its error on
 * the status page (the deployment's `error`) until the launch works.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createLogger, type Logger } from '../../functions/log.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  capturingLogger,
  E2E_REPO,
  jobsOf,
  kubeOf,
  sendPush,
  statusDeployments,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { assertOneJobPerDeployment, logEntries } from '../support/fault-stack.js';
import { type FaultStack, startFaultStack } from '../support/fault-worker.js';
import { resetFirestore } from '../support/firestore.js';

const MASTER_ONLY = [{ name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' }];
const MINUTE_MS = 60_000;

/** Pushes to master and waits until its deployment is `deploying` with a Job; returns the Job's name. */
async function pushAndWaitForDeploying(stack: FaultStack['emulators'], sha: string, timeoutMs = 30_000) {
  const answer = await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const deployment = await waitFor(
    'the deployment of the push, deploying',
    async () => (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'deploying'),
    { timeoutMs },
  );
  return deployment;
}

/** Waits until the deployment of `sha` is `deploying` (the push was sent already). */
async function pushAndWaitForDeployingOf(stack: FaultStack['emulators'], sha: string) {
  return waitFor('the deployment of the push, deploying', async () =>
    (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'deploying'),
  );
}

describe('fault: Kubernetes failing on create, and a worker killed between create and record', function () {
  this.timeout(90_000);

  let teardown: Teardown;
  let lines: string[];

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
    lines = [];
  });

  afterEach(async () => {
    await teardown.run();
  });

  async function start(): Promise<FaultStack> {
    const captured = capturingLogger();
    lines = captured.lines;
    return startFaultStack(teardown, { versions: MASTER_ONLY, logger: captured.logger });
  }

  it('500 on create: the worker answers retry, Cloud Tasks retries, one Job', async () => {
    const fault = await start();
    const { stack } = await fault.serveFunctions({ logger: capturingLoggerInto(lines) });
    kubeOf(stack).injectFaults({ status: 500, method: 'POST', count: 2 });
    const deployment = await pushAndWaitForDeploying(stack, fakeSha('fault-kube-500'));

    assert.equal(jobsOf(stack, 'deploy').length, 1);
    await assertOneJobPerDeployment(stack);
    assert.equal(deployment.error, null);
    const retries = logEntries(lines, 'launch failed; Cloud Tasks will retry');
    assert.equal(retries.length, 2, 'one warning per failed create');
    assert.match(String(retries[0]?.error), /HTTP 500/);
    // The first attempt was the plan task's own; it queued the request, whose deploy task retried.
    assert.equal(logEntries(lines, 'the launch asks for a retry; queueing the request').length, 1);
    assert.equal(logEntries(lines, 'request enqueued').length, 1);
  });

  it('500 on create, retried: the status page shows the error while it retries, and clears it once launched', async () => {
    const fault = await start();
    const { stack } = await fault.serveFunctions({ logger: capturingLoggerInto(lines) });
    const kube = kubeOf(stack);
    // Failing until the error was seen: the test does not race the retries' backoff.
    kube.injectFaults({ status: 500, method: 'POST', count: 1000, message: 'etcdserver: leader changed' });
    const sha = fakeSha('fault-kube-500-visible');
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha })).status, 200);

    const retrying = await waitFor('the retried launch, its error shown', async () =>
      (await statusDeployments(stack)).find((d) => d.commit === sha && d.error !== null),
    );
    assert.equal(retrying.status, 'launching');
    assert.match(String(retrying.error), /^launch failed, retrying: etcdserver: leader changed \(HTTP 500/);
    const page = await (await fetch(`${stack.url}/deploymentStatus/`)).text();
    const from = page.indexOf(`<code>${retrying.instance}</code>`);
    const row = page.slice(from, page.indexOf('</tr>', from));
    assert.match(
      row,
      /tone-busy">launching<\/span><div class="error">launch failed, retrying: [^<]*etcdserver: leader changed/,
    );

    kube.clearFaults();
    const launched = await pushAndWaitForDeployingOf(stack, sha);
    assert.equal(launched.error, null, 'the error is cleared once the Job is created');
    assert.equal(jobsOf(stack, 'deploy').length, 1);
    await assertOneJobPerDeployment(stack);
  });

  it('a create that times out: the worker answers retry, the retry creates the Job, one Job', async () => {
    const fault = await start();
    const { stack } = await fault.serveFunctions({ kubeTimeoutMs: 1000, logger: capturingLoggerInto(lines) });
    // The server holds the first create for 3 s; the client gives up after 1 s (the local kube server
    // then drops the request: a create whose client left is never performed).
    kubeOf(stack).injectFaults({ delayMs: 3000, method: 'POST', count: 1 });
    await pushAndWaitForDeploying(stack, fakeSha('fault-kube-timeout'));
    assert.equal(jobsOf(stack, 'deploy').length, 1);
    await assertOneJobPerDeployment(stack);
    const retries = logEntries(lines, 'launch failed; Cloud Tasks will retry');
    assert.ok(
      retries.some((entry) => /timed out/.test(String(entry.error))),
      `the timeout is logged: ${JSON.stringify(retries)}`,
    );
  });

  it('409 on create: adopted or retried, never recorded as a failed deploy', async () => {
    const fault = await start();
    const { stack } = await fault.serveFunctions({ logger: capturingLoggerInto(lines) });
    kubeOf(stack).injectFaults({
      status: 409,
      method: 'POST',
      count: 1,
      message: 'jobs.batch already exists',
    });
    await pushAndWaitForDeploying(stack, fakeSha('fault-kube-409'));
    assert.equal(jobsOf(stack, 'deploy').length, 1);
    await assertOneJobPerDeployment(stack);
    assert.ok(logEntries(lines, /launch failed/).length >= 1, 'the 409 is logged');
  });

  it('the worker process killed after creating the Job: the next delivery adopts it by its labels', async () => {
    const fault = await start();
    const stack = fault.emulators;
    const child = await startDoomedWorker(fault);
    teardown.add(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const sha = fakeSha('fault-kube-killed');
    const answer = await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha });
    assert.equal(answer.status, 200);
    const [, signal] = await once(child, 'exit');
    assert.equal(signal, 'SIGKILL', 'the worker process was killed');
    const created = jobsOf(stack, 'deploy');
    assert.equal(created.length, 1, 'the killed worker created the Job');
    const launching = (await statusDeployments(stack)).find((d) => d.commit === sha);
    assert.equal(launching?.status, 'launching', 'the Job is not recorded yet');

    // Cloud Tasks retries; the next delivery comes after the killed delivery's 10-minute lease.
    const later = { clock: () => new Date(Date.now() + 11 * MINUTE_MS), logger: capturingLoggerInto(lines) };
    const { stack: restarted } = await fault.serveFunctions(later);
    const deployment = await waitFor('the deployment, deploying', async () =>
      (await statusDeployments(restarted)).find((d) => d.commit === sha && d.status === 'deploying'),
    );
    assert.equal(
      deployment.jobName,
      created[0]?.metadata.name,
      'the recorded Job is the one the killed worker made',
    );
    assert.equal(jobsOf(stack, 'deploy').length, 1, 'no second Job');
    await assertOneJobPerDeployment(restarted);
    assert.equal(logEntries(lines, 'adopting the deploy Job a previous delivery created').length, 1);
  });
});

/** A logger writing into `lines` (the test's capture), for the functions a test serves itself. */
function capturingLoggerInto(lines: string[]): Logger {
  return createLogger({ component: 'fault-functions' }, (line) => lines.push(line));
}

/** A worker in its own process that SIGKILLs itself right after its first Job create succeeded. */
async function startDoomedWorker(fault: FaultStack): Promise<ChildProcess> {
  const stack = fault.emulators;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('../support/fault-worker-child.ts', import.meta.url).pathname],
    {
      env: {
        ...process.env,
        FAULT_WORKER_PORT: String(fault.functionsPort),
        FAULT_WORKER_KUBECONFIG: stack.kubeconfigPath ?? '',
        FAULT_WORKER_CONFIG: JSON.stringify(stack.config),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor('the doomed worker to listen', () => output.includes('listening'), { timeoutMs: 30_000 });
  return child;
}

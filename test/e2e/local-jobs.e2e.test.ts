/**
 * `npm start`'s Jobs finish by themselves (LOCAL_JOB_SECONDS): the local stack wires the setting
 * into its Kubernetes API server, so a pushed commit's deploy Job completes with nobody driving it,
 * and the next tick makes the instance ready. The end is awaited through the server's
 * onJobFinished hook, never a sleep.
 */
import assert from 'node:assert/strict';
import type { KubeJob } from '../../scripts/kube-server/server.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import { resetFirestore } from '../support/firestore.js';
import {
  capturingLogger,
  E2E_REPO,
  kubeOf,
  sendPush,
  startE2eStack,
  statusDeployments,
  Teardown,
  waitFor,
} from './helpers.js';

describe('local stack: Jobs that finish by themselves (LOCAL_JOB_SECONDS)', function () {
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

  async function start(env: Record<string, string>): Promise<LocalStack> {
    const { logger, lines } = capturingLogger();
    logLines = lines;
    return startE2eStack(teardown, { logger, env });
  }

  it('completes a pushed commit’s deploy Job by itself; the next tick makes the instance ready', async () => {
    const stack = await start({ LOCAL_JOB_SECONDS: '0.3' });
    const kube = kubeOf(stack);
    assert.equal(kube.jobSeconds, 0.3);
    const finished = new Promise<KubeJob>((resolve) => {
      kube.onJobFinished((job, outcome) => {
        if (outcome === 'Complete') resolve(job);
      });
    });

    const sha = fakeSha('local-jobs-1');
    const answer = await sendPush(stack, {
      repo: E2E_REPO,
      ref: 'master',
      before: fakeSha('local-jobs-0'),
      after: sha,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const job = await finished;
    assert.equal(job.metadata.labels?.['git-manifests'], sha);
    assert.equal(job.status.succeeded, 1);

    // The worker records the launch right after creating the Job: the tick must find it recorded.
    await waitFor('the deployment, deploying', async () =>
      (await statusDeployments(stack)).find(
        (deployment) => deployment.commit === sha && deployment.status === 'deploying',
      ),
    );
    const tick = await stack.tick();
    assert.equal(tick.status, 200, JSON.stringify(tick.body));
    const ready = await waitFor('the deployment, ready', async () =>
      (await statusDeployments(stack)).find(
        (deployment) => deployment.commit === sha && deployment.status === 'ready',
      ),
    );
    assert.equal(ready.jobName, job.metadata.name);
  });

  it('lets Jobs run 30 s by default, and refuses a value that is not a number of seconds', async () => {
    const stack = await start({ LOCAL_JOB_SECONDS: '' });
    assert.equal(kubeOf(stack).jobSeconds, 30);
    await assert.rejects(
      start({ LOCAL_JOB_SECONDS: 'soon' }),
      /LOCAL_JOB_SECONDS: must be a number of seconds/,
    );
  });
});

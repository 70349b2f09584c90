/**
 * Instances a test can trust, end to end on the whole local stack (issue 7): the local Kubernetes server
 * drives the ClusterManager fake (a completed deploy Job creates the instance's cluster, a completed
 * teardown Job removes it), the readiness probes reach the stack's simulated endpoints, and the tick's
 * inventory lists the fake. Policies are in seconds; each test waits for conditions, not for times.
 */
import assert from 'node:assert/strict';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  type DeploymentJson,
  E2E_NAMESPACE,
  E2E_REPO,
  type E2eStackOptions,
  getStatus,
  jobsOf,
  kubeOf,
  sendPush,
  startE2eStack,
  statusDeployments,
  statusVersion,
  useE2eHooks,
  waitFor,
} from './helpers.js';

const MASTER = [{ name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' }];

type TickBody = Record<string, { ok: boolean } & Record<string, unknown>>;

describe('trust end to end (whole local stack: readiness, inventory, retries, teardowns)', function () {
  this.timeout(120_000);
  const { teardown, capture } = useE2eHooks();

  async function start(options: E2eStackOptions = {}): Promise<LocalStack> {
    return startE2eStack(teardown, { logger: capture().logger, versions: MASTER, ...options });
  }

  async function tick(stack: LocalStack): Promise<TickBody> {
    const answer = await stack.tick();
    assert.equal(answer.status, 200, `tick failed: ${JSON.stringify(answer.body)}`);
    return answer.body as TickBody;
  }

  const deploymentOf = async (stack: LocalStack, instance: string) =>
    (await statusDeployments(stack)).find((d) => d.instance === instance);

  /** Pushes `sha`, waits for its deploy Job, completes it; returns the deployment (deploying). */
  async function deployed(stack: LocalStack, sha: string): Promise<DeploymentJson> {
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha })).status, 200);
    const job = await waitFor('the deploy Job', () =>
      jobsOf(stack, 'deploy').find((j) => j.metadata.labels?.['git-manifests'] === sha),
    );
    const deployment = await waitFor('the deployment, deploying', async () =>
      (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'deploying'),
    );
    kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
    return deployment;
  }

  it('push -> Job -> complete -> verifying -> ready once the endpoint answers; the cluster exists', async () => {
    const stack = await start();
    const instance = (await deployed(stack, fakeSha('trust-1'))).instance;
    assert.ok(
      stack.containerEmulator?.listClusters().some((c) => c.name === instance),
      'the Job created the cluster',
    );
    stack.simulatedEndpoints?.setAnswering(instance, false);
    await tick(stack);
    assert.equal((await deploymentOf(stack, instance))?.status, 'verifying');
    assert.equal((await getStatus(stack, '/api/versions/master/latest')).status, 404);

    stack.simulatedEndpoints?.setAnswering(instance, true);
    const body = await tick(stack);
    assert.deepEqual(body.verify?.changed, [`${instance}: verifying -> ready`]);
    const ready = await deploymentOf(stack, instance);
    assert.equal(ready?.status, 'ready');
    assert.equal((ready as unknown as { probe: { ok: boolean; status: number } }).probe.status, 200);
    assert.equal(
      (await getStatus<DeploymentJson>(stack, '/api/versions/master/latest')).body.instance,
      instance,
    );
  });

  it('a probe failing repeatedly -> unhealthy, not served by /latest; answering again -> ready', async () => {
    const stack = await start();
    const instance = (await deployed(stack, fakeSha('trust-2'))).instance;
    await tick(stack);
    assert.equal((await deploymentOf(stack, instance))?.status, 'ready');

    stack.simulatedEndpoints?.setAnswering(instance, false);
    for (let i = 0; i < 2; i++) await tick(stack);
    assert.equal((await deploymentOf(stack, instance))?.status, 'ready', 'two failures are not three');
    await tick(stack);
    const unhealthy = await deploymentOf(stack, instance);
    assert.equal(unhealthy?.status, 'unhealthy');
    assert.match(unhealthy?.error ?? '', /failed 3 probes in a row/);
    assert.equal((await getStatus(stack, '/api/versions/master/latest')).status, 404);

    stack.simulatedEndpoints?.setAnswering(instance, true);
    await tick(stack);
    assert.equal((await deploymentOf(stack, instance))?.status, 'ready');
  });

  it('a cluster deleted by hand -> lost, with when it was noticed; no longer served', async () => {
    const stack = await start();
    const instance = (await deployed(stack, fakeSha('trust-3'))).instance;
    await tick(stack);
    assert.equal((await deploymentOf(stack, instance))?.status, 'ready');

    stack.containerEmulator?.deleteCluster(instance, {
      project: stack.config.deployments.project,
      location: stack.config.deployments.zone,
    });
    const body = await tick(stack);
    assert.deepEqual(body.inventory?.changed, [`${instance}: ready -> lost`]);
    const lost = await deploymentOf(stack, instance);
    assert.equal(lost?.status, 'lost');
    assert.match(lost?.error ?? '', new RegExp(`the cluster ${instance} no longer exists \\(noticed `));
    assert.equal((await getStatus(stack, '/api/versions/master/latest')).status, 404);
  });

  it('a cluster no record knows, named like an instance, is adopted and counted', async () => {
    const stack = await start();
    stack.containerEmulator?.addCluster({
      name: 'kf-master-0101-abc',
      project: stack.config.deployments.project,
      location: stack.config.deployments.zone,
    });
    const body = await tick(stack);
    assert.deepEqual(body.inventory?.adopted, ['kf-master-0101-abc']);
    const adopted = await deploymentOf(stack, 'kf-master-0101-abc');
    assert.equal(adopted?.status, 'adopted');
  });

  it('a teardown whose Job succeeds but leaves the cluster is tried again, then teardown-failed', async () => {
    const seconds = 0.0003; // about a second, in hours
    const stack = await start({
      policy: {
        minLifetimeHours: seconds,
        gracePeriodHours: seconds,
        retryBackoffMinutes: 0.01,
        maxTeardownAttempts: 2,
      },
    });
    const old = (await deployed(stack, fakeSha('trust-5-old'))).instance;
    await tick(stack);
    const fresh = (await deployed(stack, fakeSha('trust-5-new'))).instance;
    await tick(stack);
    assert.equal((await deploymentOf(stack, fresh))?.status, 'ready');
    const where = { project: stack.config.deployments.project, location: stack.config.deployments.zone };

    for (let attempt = 1; attempt <= 2; attempt++) {
      // GC collects the old instance (again, once its backoff passed): the worker starts a teardown Job.
      const job = await waitFor(`teardown Job ${attempt}`, async () => {
        await tick(stack);
        return jobsOf(stack, 'teardown').filter((j) => j.metadata.labels?.['kf-name'] === old)[attempt - 1];
      });
      kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
      // The Job "succeeded", but the cluster is still there (delete_kf_instance exits 0 on failure).
      stack.containerEmulator?.addCluster({ name: old, ...where });
      await tick(stack); // refresh: the teardown Job is done
      await tick(stack); // inventory: the cluster is still listed
      const after = await deploymentOf(stack, old);
      assert.equal(after?.status, attempt < 2 ? 'failed' : 'teardown-failed', JSON.stringify(after));
    }
    const failed = await deploymentOf(stack, old);
    assert.match(failed?.error ?? '', /teardown failed 2 times/);
    // Never silently deleted: it stays teardown-failed, and GC does not try again on its own.
    await tick(stack);
    assert.equal((await deploymentOf(stack, old))?.status, 'teardown-failed');
    assert.equal(jobsOf(stack, 'teardown').filter((j) => j.metadata.labels?.['kf-name'] === old).length, 2);
  });

  it('a Job that fails is retried the configured number of times, then the version waits', async () => {
    const stack = await start({
      policy: { maxDeployAttempts: 2, retryBackoffMinutes: 0.01, minMinutesBetweenDeployments: 0.01 },
    });
    const sha = fakeSha('trust-6');
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha })).status, 200);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const job = await waitFor(`deploy Job ${attempt}`, async () => {
        if (attempt > 1) await tick(stack); // the retry is planned by a tick, after its backoff
        return jobsOf(stack, 'deploy')[attempt - 1];
      });
      kubeOf(stack).failJob(E2E_NAMESPACE, job.metadata.name, 'kfctl apply failed', 'BackoffLimitExceeded');
      await tick(stack);
    }
    const deployments = await statusDeployments(stack);
    assert.deepEqual(
      deployments.map((d) => [(d as unknown as { attempt: number }).attempt, d.status]).sort(),
      [
        [1, 'failed'],
        [2, 'failed'],
      ],
    );
    const version = await statusVersion(stack, 'master');
    assert.equal(version.decision?.reason, 'failed');
    assert.match(
      String((version.decision as { text?: string } | null)?.text),
      /failed 2 times; waiting for a new commit/,
    );
    await tick(stack);
    assert.equal(jobsOf(stack, 'deploy').length, 2, 'no third attempt');
  });
});

/**
 * Leases end to end on the whole local stack (issue 7 §1), through the importable client a test suite
 * uses (scripts/lease/client.ts): push -> Job -> ready -> leased; a newer instance gets ready and GC
 * would collect the older one, but the lease keeps it; once released, GC collects it. The README's
 * rules (3 h lifetime and grace period) hold on a movable clock that the test moves past them; each
 * step waits for a condition, never for a time.
 */
import assert from 'node:assert/strict';
import { acquireLease } from '../../scripts/lease/client.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import { MovableClock } from '../support/movable-clock.js';
import {
  type DeploymentJson,
  E2E_NAMESPACE,
  E2E_REPO,
  getStatus,
  jobsOf,
  kubeOf,
  sendPush,
  startE2eStack,
  statusDeployments,
  useE2eHooks,
  waitFor,
} from './helpers.js';

const MASTER = [{ name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' }];
const HOUR_MS = 3_600_000;
/** The README's lifetime and grace period. */
const LIFETIME_HOURS = 3;

interface PlanJson {
  instances: Array<{ instance: string; verdict: 'keep' | 'collect'; rule?: string }>;
}

describe('leases end to end (whole local stack, the lease client)', function () {
  this.timeout(120_000);
  const { teardown, capture } = useE2eHooks();

  async function tick(stack: LocalStack): Promise<void> {
    const answer = await stack.tick();
    assert.equal(answer.status, 200, `tick failed: ${JSON.stringify(answer.body)}`);
  }

  const deploymentOf = async (stack: LocalStack, instance: string) =>
    (await statusDeployments(stack)).find((d) => d.instance === instance);

  /** Pushes `sha`, completes its deploy Job, ticks until the instance is ready; returns it. */
  async function readyInstance(stack: LocalStack, sha: string): Promise<DeploymentJson> {
    assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha })).status, 200);
    const job = await waitFor('the deploy Job', () =>
      jobsOf(stack, 'deploy').find((j) => j.metadata.labels?.['git-manifests'] === sha),
    );
    await waitFor('the deployment, deploying', async () =>
      (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'deploying'),
    );
    kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
    return waitFor('the deployment, ready', async () => {
      await tick(stack);
      return (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'ready');
    });
  }

  it('GC keeps a leased instance past its rules, and collects it once the lease is released', async () => {
    const clock = new MovableClock();
    const stack = await startE2eStack(teardown, {
      logger: capture().logger,
      clock: clock.now,
      versions: MASTER,
      policy: { minLifetimeHours: LIFETIME_HOURS, gracePeriodHours: LIFETIME_HOURS },
    });
    const old = await readyInstance(stack, fakeSha('lease-old'));
    const lease = await acquireLease({
      url: `${stack.url}/deploymentStatus`,
      version: 'master',
      owner: 'kubeflow/examples#1234',
      ttlSeconds: 86_400, // outlives the 3 h the test moves the clock
    });
    teardown.add(() => lease.release());
    assert.equal(lease.lease.instance, old.instance);
    assert.equal(lease.lease.status, 'active');

    // A newer instance gets ready; both are past their minimum lifetime and grace period.
    const fresh = await readyInstance(stack, fakeSha('lease-new'));
    clock.advanceTo(new Date(Date.parse(fresh.readyAt ?? fresh.createdAt) + LIFETIME_HOURS * HOUR_MS + 1));
    await tick(stack);
    await tick(stack);
    assert.equal((await deploymentOf(stack, old.instance))?.status, 'ready', 'GC took a leased instance');
    assert.equal(jobsOf(stack, 'teardown').length, 0);
    const plan = await getStatus<PlanJson>(stack, '/api/plan');
    assert.equal(plan.status, 200);
    const verdict = plan.body.instances.find((i) => i.instance === old.instance);
    assert.deepEqual([verdict?.verdict, verdict?.rule], ['keep', 'leased']);
    const shown = await getStatus<Array<{ instance: string; leases: Array<{ owner: string }> }>>(
      stack,
      '/api/deployments',
    );
    assert.deepEqual(
      shown.body.find((d) => d.instance === old.instance)?.leases.map((l) => l.owner),
      ['kubeflow/examples#1234'],
    );

    // Released: the next tick collects it by the ordinary rules, and the worker starts its teardown.
    await lease.release();
    assert.equal(lease.isReleased, true);
    const job = await waitFor('the teardown Job of the older instance', async () => {
      await tick(stack);
      return jobsOf(stack, 'teardown').find((j) => j.metadata.labels?.['kf-name'] === old.instance);
    });
    assert.ok(job);
    assert.equal((await deploymentOf(stack, old.instance))?.status, 'deleting');
    assert.equal((await deploymentOf(stack, fresh.instance))?.status, 'ready', 'the newest stays');
  });
});

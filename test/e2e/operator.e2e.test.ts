/**
 * The operator API end to end on the whole local stack (`npm start`): pause a version, a push to its
 * branch then plans nothing for it, the dry run says why; resume, and it deploys at once; tear the
 * instance down from the API and the worker runs the teardown Job. Conditions are waited for, never times.
 */
import assert from 'node:assert/strict';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  E2E_NAMESPACE,
  E2E_REPO,
  getStatus,
  jobsOf,
  kubeOf,
  readCollection,
  sendPush,
  startE2eStack,
  statusDeployments,
  useE2eHooks,
  waitFor,
} from './helpers.js';

const MASTER = [{ name: 'master', branch: 'master', kfDefPath: 'kfdef/kfctl_gcp_iap.yaml' }];

interface PlanJson {
  versions: Array<{ version: string; kind: string; reason: string; paused: { reason: string } | null }>;
  instances: Array<{ instance: string; verdict: string; rule: string | null }>;
}

async function post(stack: LocalStack, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}/deploymentStatus${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const planOf = async (stack: LocalStack) => (await getStatus<PlanJson>(stack, '/api/plan')).body;

describe('the operator API end to end (whole local stack)', function () {
  this.timeout(120_000);
  const { teardown, capture } = useE2eHooks();

  it('pause -> a push plans nothing for the version (the dry run says paused) -> resume -> it deploys -> teardown', async () => {
    const { logger, lines } = capture();
    const stack = await startE2eStack(teardown, { logger, versions: MASTER });

    const paused = await post(stack, '/api/versions/master/pause', {
      reason: 'kfctl 1.0 is broken',
      by: 'e2e',
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));

    const sha = fakeSha('operator-1');
    const deliveryId = 'e2e-operator-push-1';
    assert.equal(
      (await sendPush(stack, { repo: E2E_REPO, ref: 'master', after: sha }, deliveryId)).status,
      200,
    );
    await waitFor('the push planned (its plan task)', () =>
      lines.some((line) => line.includes('planned after push') && line.includes(deliveryId)),
    );
    assert.deepEqual(jobsOf(stack, 'deploy'), [], 'no deploy Job');
    assert.equal((await readCollection(stack, 'deployRequests')).size, 0, 'no request');
    const pausedPlan = await planOf(stack);
    assert.deepEqual(
      pausedPlan.versions.map((v) => [v.version, v.kind, v.reason, v.paused?.reason]),
      [['master', 'wait', 'paused', 'kfctl 1.0 is broken']],
    );

    const resumed = await post(stack, '/api/versions/master/resume');
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal(resumed.body.planned, true);
    const job = await waitFor('the deploy Job of the head', () =>
      jobsOf(stack, 'deploy').find((j) => j.metadata.labels?.['git-manifests'] === sha),
    );
    const deploying = await waitFor('the deployment, deploying', async () =>
      (await statusDeployments(stack)).find((d) => d.commit === sha && d.status === 'deploying'),
    );
    const deployingPlan = await planOf(stack);
    assert.deepEqual(
      deployingPlan.versions.map((v) => [v.kind, v.reason]),
      [['wait', 'in-progress']],
    );
    assert.deepEqual(
      deployingPlan.instances.map((i) => [i.instance, i.verdict, i.rule]),
      [[deploying.instance, 'keep', 'in-progress']],
    );

    // Once ready, an operator tears it down now (GC alone would keep it: the newest ready one).
    kubeOf(stack).completeJob(E2E_NAMESPACE, job.metadata.name);
    assert.equal((await stack.tick()).status, 200);
    await waitFor('the deployment, ready', async () =>
      (await statusDeployments(stack)).find((d) => d.instance === deploying.instance && d.status === 'ready'),
    );
    const torn = await post(stack, `/api/deployments/${deploying.instance}/teardown`, { reason: 'e2e done' });
    assert.equal(torn.status, 202, JSON.stringify(torn.body));
    await waitFor('the teardown Job', () =>
      jobsOf(stack, 'teardown').find((j) => j.metadata.labels?.['kf-name'] === deploying.instance),
    );
    const history = await readCollection(stack, 'versions/master/events');
    assert.deepEqual([...history.values()].map((event) => event.action).sort(), [
      'pause',
      'resume',
      'teardown',
    ]);
    // The history page shows them, newest first, with the reason given.
    const page = await fetch(`${stack.url}/deploymentStatus/versions/master`);
    assert.equal(page.status, 200);
    const text = await page.text();
    const section = text.slice(
      text.indexOf('<section id="operator-actions">'),
      text.indexOf('</section>', text.indexOf('operator-actions')),
    );
    assert.deepEqual(
      [...section.matchAll(/<tr><td>[\s\S]*?<\/td><td>([a-z]+)/g)].map((m) => m[1]),
      ['teardown', 'resume', 'pause'],
    );
    assert.match(section, /e2e done/);
  });
});

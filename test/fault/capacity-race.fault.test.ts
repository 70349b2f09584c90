/**
 * Fault: ten ticks and twenty worker deliveries at once, with the capacity one below full. Two versions
 * each have an open deploy request of their new head (planned while there was room) and each request is
 * delivered ten times at once, while ten ticks plan and enqueue at the same moment. The capacity check in
 * the worker's transaction must hold: exactly one launch, the other deferred `at-capacity` (and said so
 * on the status page), never more active instances than the capacity.
 */
import assert from 'node:assert/strict';
import type { DeployRequest } from '../../functions/core/types.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  E2E_NAMESPACE,
  E2E_PROJECT,
  E2E_REPO,
  E2E_VERSIONS,
  E2E_ZONE,
  jobsOf,
  readCollection,
  startE2eStack,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { drainTasks } from '../support/fault-stack.js';
import { resetFirestore } from '../support/firestore.js';
import { makeDeployment, makeDeployRequest } from '../support/fixtures.js';
import { putBranchHead, putDeployment, putRequest } from '../support/pipeline-fixtures.js';

const CAPACITY = 3;
const TICKS = 10;
const DELIVERIES_PER_REQUEST = 10;
const HOUR_MS = 3_600_000;

/** Seeds CAPACITY - 1 ready instances (with their clusters) and an open request per version's new head. */
async function seed(stack: LocalStack): Promise<DeployRequest[]> {
  const db = stack.app.firestore;
  const now = Date.now();
  const requests: DeployRequest[] = [];
  for (const [index, version] of E2E_VERSIONS.entries()) {
    const instance = `kf-${version.name}-1129-a${index}a`;
    await putDeployment(
      db,
      makeDeployment({
        instance,
        version: version.name,
        branch: version.branch,
        commit: fakeSha(`capacity-old-${version.name}`),
        status: 'ready',
        createdAt: new Date(now - 2 * HOUR_MS),
      }),
    );
    stack.containerEmulator?.addCluster({ name: instance, project: E2E_PROJECT, location: E2E_ZONE });
    const head = fakeSha(`capacity-new-${version.name}`);
    await putBranchHead(db, E2E_REPO, version.branch, head);
    const request = makeDeployRequest({
      id: `deploy-${version.name}-${head.slice(0, 12)}-race`,
      version: version.name,
      commit: head,
      status: 'enqueued',
      enqueueCount: 1,
      createdAt: new Date(now - 60_000),
    });
    await putRequest(db, request);
    requests.push(request);
  }
  assert.equal(E2E_VERSIONS.length, CAPACITY - 1, 'the seed fills the capacity but one');
  return requests;
}

async function deliver(stack: LocalStack, requestId: string): Promise<number> {
  const response = await fetch(`${stack.url}/deployWorker`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ requestId }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('fault: ten ticks and twenty worker deliveries at once, capacity one below full', function () {
  this.timeout(90_000);

  let teardown: Teardown;

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
  });

  afterEach(async () => {
    await teardown.run();
  });

  it('launches exactly one, defers the other at capacity, and is never over capacity', async () => {
    const stack = await startE2eStack(teardown, { policy: { maxActiveDeployments: CAPACITY } });
    const requests = await seed(stack);

    const racing = [
      ...Array.from({ length: TICKS }, () => stack.tick().then((tick) => tick.status)),
      ...requests.flatMap((request) =>
        Array.from({ length: DELIVERIES_PER_REQUEST }, () => deliver(stack, request.id)),
      ),
    ];
    const statuses = await Promise.all(racing);
    assert.ok(
      statuses.every((status) => status < 600),
      `answers: ${statuses.join(',')}`,
    );
    await drainTasks(stack);

    const deployments = await statusDeployments(stack);
    const active = deployments.filter((d) => d.status !== 'deleted');
    assert.ok(active.length <= CAPACITY, `over capacity: ${active.map((d) => `${d.instance}:${d.status}`)}`);
    const launched = deployments.filter((d) => d.status === 'launching' || d.status === 'deploying');
    assert.equal(launched.length, 1, `launched: ${JSON.stringify(launched)}`);
    assert.equal(jobsOf(stack, 'deploy').length, 1, 'one deploy Job');

    // The other version waits at capacity, and its request stays open for when room frees up.
    const launchedVersion = launched[0]?.version;
    const other = E2E_VERSIONS.find((version) => version.name !== launchedVersion);
    assert.ok(other);
    const stored = await readCollection(stack, 'deployRequests');
    const waiting = requests.find((request) => request.version === other.name);
    assert.notEqual(stored.get(waiting?.id ?? '')?.status, 'done');
    const shown = await waitFor('the status page to say at capacity', async () => {
      const version = await statusVersion(stack, other.name);
      return version.decision?.reason === 'at-capacity' || version.decision?.reason === 'in-progress'
        ? version
        : null;
    });
    assert.ok(shown.decision?.text, 'the decision is worded');
    assert.equal(jobsOf(stack).filter((job) => job.metadata.namespace === E2E_NAMESPACE).length, 1);
  });
});

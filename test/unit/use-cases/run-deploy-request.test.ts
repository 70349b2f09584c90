/**
 * The worker's use case on in-memory ports: every path of a deploy and a teardown request, with the
 * writes it makes and the Jobs it creates. The emulator suite (test/integration/deploy-worker.test.ts)
 * covers the same over HTTP, Firestore and the Kubernetes API.
 */
import assert from 'node:assert/strict';
import { JOB_LABELS } from '../../../functions/core/job-manifest.js';
import { LAUNCH_LEASE_SECONDS } from '../../../functions/core/launch.js';
import { JobApiError } from '../../../functions/core/ports.js';
import type { Deployment, DeployRequest } from '../../../functions/core/types.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import { makeDeployment, makeDeployRequest } from '../../support/fixtures.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const OTHER = 'b2'.repeat(20);
const MINUTE = 60_000;
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * MINUTE);

function request(fields: Partial<DeployRequest> = {}): DeployRequest {
  return makeDeployRequest({
    id: 'deploy-master-a1a1a1a1a1a1-c',
    commit: SHA,
    status: 'enqueued',
    enqueueCount: 1,
    createdAt: ago(2),
    notBefore: ago(1),
    ...fields,
  });
}

function deployment(instance: string, fields: Partial<Deployment> = {}): Deployment {
  return makeDeployment({ instance, status: 'ready', createdAt: ago(300), commit: OTHER, ...fields });
}

describe('runDeployRequest (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;

  beforeEach(() => {
    world = memoryWorld(NOW);
    world.state.setHead(REPO, 'master', SHA);
  });

  const run = (id = request().id) => runDeployRequest(world.worker, id);
  const put = (r: DeployRequest) => world.state.requests.set(r.id, r);
  const putDeployment = (d: Deployment) => world.state.deployments.set(d.instance, d);
  const only = <T>(items: T[]): T => {
    assert.equal(items.length, 1, `expected exactly one, got ${items.length}`);
    return items[0] as T;
  };

  describe('deploy', () => {
    it('records the deployment, creates one labelled Job, marks it deploying and closes the request', async () => {
      put(request());
      const outcome = await run();
      const d = only([...world.state.deployments.values()]);
      const job = only(world.jobs.jobs);
      assert.deepEqual(outcome, { kind: 'done', result: 'launched', instance: d.instance, job: job.name });
      assert.match(d.instance, /^kf-master-1129-[0-9a-f]{3}$/);
      assert.equal(d.status, 'deploying');
      assert.equal(d.jobName, job.name);
      assert.equal(d.launchLeaseExpiresAt, null);
      assert.equal(d.createdAt.getTime(), NOW.getTime());
      assert.equal(job.labels[JOB_LABELS.instance], d.instance);
      assert.equal(job.labels[JOB_LABELS.commit], SHA);
      assert.equal(world.state.requests.get(request().id)?.status, 'done');
    });

    it('a retried delivery after the Job was created lists first and adopts it: still one Job', async () => {
      put(request());
      await run();
      const d = only([...world.state.deployments.values()]);
      // The first delivery died after creating the Job, before recording it.
      world.state.deployments.set(d.instance, {
        ...d,
        status: 'launching',
        jobName: null,
        launchLeaseExpiresAt: ago(1),
      });
      world.state.requests.set(request().id, { ...request(), status: 'enqueued' });
      world.jobs.calls.length = 0;
      const outcome = await run();
      assert.equal(outcome.kind, 'done');
      assert.equal(outcome.result, 'launched');
      assert.equal(world.jobs.jobs.length, 1);
      assert.equal(world.state.deployments.get(d.instance)?.jobName, only(world.jobs.jobs).name);
      // Taking a launch over, it looks for the instance's Job before creating one (it may exist).
      assert.deepEqual(
        world.jobs.calls.map((call) => call.method),
        ['listJobs', 'listJobs'],
      );
    });

    it('a fresh launch asks the cluster twice: the same-commit guard, then the create (no list before it)', async () => {
      put(request());
      await run();
      const job = only(world.jobs.jobs);
      assert.deepEqual(world.jobs.calls, [
        {
          method: 'listJobs',
          detail: [JOB_LABELS.action, JOB_LABELS.autoDeploy, JOB_LABELS.commit, JOB_LABELS.version]
            .sort()
            .join(','),
        },
        { method: 'createJob', detail: job.name },
      ]);
    });

    it('a fresh launch whose Job name is taken (its record deleted by hand) adopts that Job on the 409', async () => {
      put(request());
      await run();
      const d = only([...world.state.deployments.values()]);
      const job = only(world.jobs.jobs);
      // An operator deletes the record in the console; the Job stays, finished, on the cluster.
      world.state.deployments.delete(d.instance);
      world.jobs.finish(job.name, 'complete');
      world.state.requests.set(request().id, { ...request(), status: 'enqueued' });
      const outcome = await run();
      assert.deepEqual(outcome, { kind: 'done', result: 'launched', instance: d.instance, job: job.name });
      assert.equal(world.jobs.jobs.length, 1);
      assert.equal(world.state.deployments.get(d.instance)?.jobName, job.name);
    });

    it('answers busy (retry) while another delivery holds a live launch lease, and creates nothing', async () => {
      put(request());
      putDeployment(
        deployment('kf-master-1129-abc', {
          status: 'launching',
          commit: SHA,
          requestId: request().id,
          createdAt: NOW,
          launchLeaseExpiresAt: new Date(NOW.getTime() + LAUNCH_LEASE_SECONDS * 1000),
        }),
      );
      const outcome = await run();
      assert.equal(outcome.kind, 'retry');
      assert.equal(outcome.result, 'busy');
      assert.equal(world.jobs.jobs.length, 0);
    });

    it('defers at capacity, keeping the request open with why and creating nothing', async () => {
      world.worker.config = { ...world.config, policy: { ...world.config.policy, maxActiveDeployments: 1 } };
      put(request());
      putDeployment(deployment('kf-v1-1129-aaa', { version: 'v1', status: 'ready' }));
      const outcome = await run();
      assert.deepEqual(outcome, { kind: 'done', result: 'deferred-at-capacity' });
      const stored = world.state.requests.get(request().id);
      assert.equal(stored?.status, 'deferred');
      assert.equal(stored?.error, 'deferred: at-capacity');
      assert.equal(world.jobs.jobs.length, 0);
    });

    it('defers while a Job of the same commit runs on the cluster, even one no record knows', async () => {
      put(request());
      await world.jobs.createJob('auto-deploy', {
        metadata: {
          name: 'auto-deploy-master-handmade',
          labels: {
            [JOB_LABELS.autoDeploy]: 'true',
            [JOB_LABELS.action]: 'deploy',
            [JOB_LABELS.version]: 'master',
            [JOB_LABELS.commit]: SHA,
          },
        },
      });
      const outcome = await run();
      assert.deepEqual(outcome, {
        kind: 'done',
        result: 'deferred-job-running',
        job: 'auto-deploy-master-handmade',
      });
      assert.equal(world.state.requests.get(request().id)?.notBefore.getTime(), NOW.getTime() + 20 * MINUTE);
      assert.equal(world.state.deployments.size, 0);
    });

    it('skips a request whose commit is no longer the head (superseded), closing it', async () => {
      world.state.setHead(REPO, 'master', OTHER);
      put(request());
      const outcome = await run();
      assert.deepEqual(outcome, { kind: 'done', result: 'skipped-superseded' });
      assert.equal(world.state.requests.get(request().id)?.status, 'done');
      assert.equal(world.state.requests.get(request().id)?.error, 'skipped: superseded');
    });

    it('answers done for an unknown request and for one already closed', async () => {
      assert.deepEqual(await run('nope'), {
        kind: 'done',
        result: 'unknown-request',
        detail: 'no deploy request nope',
      });
      put(request({ status: 'done' }));
      assert.deepEqual(await run(), { kind: 'done', result: 'already-done' });
    });

    it('fails a request of a version no longer configured', async () => {
      put(request({ id: 'deploy-gone-a1a1a1a1a1a1-c', version: 'gone' }));
      assert.deepEqual(await run('deploy-gone-a1a1a1a1a1a1-c'), {
        kind: 'done',
        result: 'version-not-configured',
      });
      assert.equal(world.state.requests.get('deploy-gone-a1a1a1a1a1a1-c')?.status, 'failed');
    });

    it('a transient Kubernetes failure asks for a retry and releases the lease; the request stays open', async () => {
      put(request());
      world.jobs.fail('createJob', new JobApiError('HTTP 503 from the API server', 503, true));
      const outcome = await run();
      assert.equal(outcome.kind, 'retry');
      assert.equal(outcome.result, 'launch-failed-transient');
      const d = only([...world.state.deployments.values()]);
      assert.equal(d.status, 'launching');
      assert.equal(d.launchLeaseExpiresAt?.getTime(), NOW.getTime());
      assert.equal(world.state.requests.get(request().id)?.status, 'enqueued');
      assert.equal(
        d.error,
        'launch failed, retrying: HTTP 503 from the API server',
        'shown while it retries',
      );
      // The retry takes the launch over at once and creates the Job; the error is cleared.
      const retried = await run();
      assert.equal(retried.result, 'launched');
      assert.equal(world.jobs.jobs.length, 1);
      assert.equal(only([...world.state.deployments.values()]).error, null);
    });

    it('a permanent Kubernetes failure fails the deployment and the request: no loop', async () => {
      put(request());
      world.jobs.fail('createJob', new JobApiError('HTTP 422: spec.template invalid', 422, false));
      const outcome = await run();
      assert.equal(outcome.kind, 'done');
      assert.equal(outcome.result, 'launch-failed');
      const d = only([...world.state.deployments.values()]);
      assert.equal(d.status, 'failed');
      assert.equal(d.error, 'HTTP 422: spec.template invalid');
      assert.equal(world.state.requests.get(request().id)?.status, 'failed');
    });
  });

  describe('teardown', () => {
    const teardown = (fields: Partial<DeployRequest> = {}) =>
      request({
        id: 'teardown-kf-master-1128-old-0',
        action: 'teardown',
        instance: 'kf-master-1128-old',
        ...fields,
      });

    it('moves the instance to deleting, creates one teardown Job and closes the request', async () => {
      putDeployment(deployment('kf-master-1128-old'));
      put(teardown());
      const outcome = await run(teardown().id);
      const job = only(world.jobs.jobs);
      assert.deepEqual(outcome, {
        kind: 'done',
        result: 'teardown-started',
        instance: 'kf-master-1128-old',
        job: job.name,
      });
      assert.equal(job.labels[JOB_LABELS.action], 'teardown');
      const d = world.state.deployments.get('kf-master-1128-old');
      assert.equal(d?.status, 'deleting');
      assert.equal(d?.deletingAt?.getTime(), NOW.getTime());
      assert.equal(d?.teardownJobName, job.name);
      assert.equal(world.state.requests.get(teardown().id)?.status, 'done');
    });

    it("a second attempt creates its own Job: the first attempt's, finished the same second, is not adopted", async () => {
      // The first attempt's Job "succeeded" but left the cluster: the inventory put the instance back to
      // failed for a second attempt. Its Job was created at NOW, the same second as this attempt.
      putDeployment(deployment('kf-master-1128-old'));
      put(teardown());
      await run(teardown().id);
      const first = only(world.jobs.jobs);
      world.jobs.finish(first.name, 'complete');
      putDeployment({
        ...(world.state.deployments.get('kf-master-1128-old') as Deployment),
        status: 'failed',
        nextTeardownAt: NOW,
      });
      const second = teardown({ id: 'teardown-kf-master-1128-old-1' });
      put(second);
      const outcome = await run(second.id);
      assert.equal(outcome.kind === 'done' && outcome.result, 'teardown-started');
      assert.deepEqual(
        world.jobs.jobs.map((job) => job.name),
        ['auto-teardown-master-1128-old-1', 'auto-teardown-master-1128-old-2'],
      );
      const d = world.state.deployments.get('kf-master-1128-old');
      assert.equal(d?.teardownAttempts, 2);
      assert.equal(d?.teardownJobName, 'auto-teardown-master-1128-old-2');
    });

    it('is busy while another delivery starts the same teardown', async () => {
      putDeployment(
        deployment('kf-master-1128-old', {
          status: 'deleting',
          deletingAt: NOW,
          launchLeaseExpiresAt: new Date(NOW.getTime() + MINUTE),
        }),
      );
      put(teardown());
      const outcome = await run(teardown().id);
      assert.equal(outcome.kind, 'retry');
      assert.equal(world.jobs.jobs.length, 0);
    });

    it('closes the request of an instance already deleted, and fails one whose instance is deploying again', async () => {
      putDeployment(deployment('kf-master-1128-old', { status: 'deleted' }));
      put(teardown());
      assert.deepEqual(await run(teardown().id), { kind: 'done', result: 'teardown-closed' });
      assert.equal(world.state.requests.get(teardown().id)?.status, 'done');

      putDeployment(deployment('kf-master-1128-old', { status: 'deploying' }));
      put(teardown());
      await run(teardown().id);
      assert.equal(world.state.requests.get(teardown().id)?.status, 'failed');
      assert.equal(world.jobs.jobs.length, 0);
    });

    it('a permanent teardown failure puts the instance back to failed, for GC to try again', async () => {
      putDeployment(deployment('kf-master-1128-old'));
      put(teardown());
      world.jobs.fail('createJob', new JobApiError('HTTP 403: forbidden', 403, false));
      const outcome = await run(teardown().id);
      assert.equal(outcome.result, 'teardown-failed');
      const d = world.state.deployments.get('kf-master-1128-old');
      assert.equal(d?.status, 'failed');
      assert.equal(d?.error, 'teardown failed: HTTP 403: forbidden');
      assert.equal(world.state.requests.get(teardown().id)?.status, 'failed');
    });
  });
});

/**
 * The GitHub deployments sync on in-memory ports: what the worker posts after a launch, what the tick
 * posts as deployments move, idempotency (retries, concurrent syncs, a sync that died after creating),
 * and GitHub failures that are recorded and retried but never change a deploy.
 */
import assert from 'node:assert/strict';
import { GitHubApiError } from '../../../functions/adapters/github-rest.js';
import { GITHUB_SYNC_LEASE_SECONDS } from '../../../functions/core/github-deployments.js';
import type { Deployment, DeploymentStatus } from '../../../functions/core/types.js';
import { silentLogger } from '../../../functions/log.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import {
  type SyncGitHubDeploymentsDeps,
  syncGitHubDeployment,
  syncGitHubDeployments,
} from '../../../functions/use-cases/sync-github-deployments.js';
import { runTick } from '../../../functions/use-cases/tick.js';
import { makeDeployRequest } from '../../support/fixtures.js';
import { MemoryGitHubApi, MemoryGitHubSyncStore } from '../../support/memory-github.js';
import {
  MemoryDeploymentStore,
  MemoryIntakeStore,
  MemoryInventory,
  MemoryLeaseStore,
  MemoryPollStore,
  MemoryProbe,
} from '../../support/memory-stores.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const CLUSTER = { project: 'kf-ci', location: 'us-east1-d', cluster: 'deployer' };
const REQUEST_ID = 'deploy-master-a1a1a1a1a1a1-c';

describe('syncGitHubDeployments (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let api: MemoryGitHubApi;
  let store: MemoryGitHubSyncStore;
  let github: SyncGitHubDeploymentsDeps;

  beforeEach(() => {
    world = memoryWorld(NOW);
    world.state.setHead(REPO, 'master', SHA);
    api = new MemoryGitHubApi();
    store = new MemoryGitHubSyncStore(world.state);
    github = { api, store, settings: { cluster: CLUSTER }, clock: world.clock.read, logger: silentLogger };
    world.state.requests.set(
      REQUEST_ID,
      makeDeployRequest({ id: REQUEST_ID, commit: SHA, status: 'enqueued', enqueueCount: 1, createdAt: NOW }),
    );
  });

  const launch = () => runDeployRequest({ ...world.worker, github }, REQUEST_ID);
  const tick = () => syncGitHubDeployments(github);
  const only = (): Deployment => {
    const all = [...world.state.deployments.values()];
    assert.equal(all.length, 1);
    return all[0] as Deployment;
  };
  /** Moves the deployment as the refresh would. */
  const move = (status: DeploymentStatus, fields: Partial<Deployment> = {}) => {
    const d = only();
    world.state.deployments.set(d.instance, { ...d, status, ...fields });
  };

  it('the worker creates one GitHub deployment of the commit and posts in_progress with the Job logs', async () => {
    const outcome = await launch();
    const d = only();
    assert.equal(outcome.kind === 'done' && outcome.result, 'launched');
    assert.deepEqual(api.summary(), ['list', 'create', 'status 1001 in_progress']);
    assert.deepEqual(api.calls[0], {
      method: 'list',
      repo: REPO,
      sha: SHA,
      environment: 'auto-deploy/master',
    });
    const create = api.calls[1];
    assert.equal(create?.method === 'create' && create.request.payload.instance, d.instance);
    const status = api.calls[2];
    assert.equal(
      status?.method === 'status' && status.status.log_url,
      `https://console.cloud.google.com/kubernetes/job/us-east1-d/deployer/auto-deploy/${d.jobName}/details?project=kf-ci`,
    );
    assert.deepEqual(d.github, {
      deploymentId: 1001,
      state: 'in_progress',
      postedAt: NOW,
      error: null,
      attempts: 0,
      retryAt: null,
      leaseExpiresAt: null,
    });
  });

  it('the tick posts success, failure and inactive as the instance moves, each once', async () => {
    await launch();
    move('ready', { endpoint: 'https://kf.example' });
    assert.deepEqual((await tick()).posted, [`${only().instance}: success`]);
    assert.deepEqual((await tick()).posted, []);
    move('deleting');
    assert.deepEqual((await tick()).posted, []);
    move('deleted');
    assert.deepEqual((await tick()).posted, [`${only().instance}: inactive`]);
    assert.equal((await tick()).checked, 0, 'a deployment marked inactive is no longer looked at');
    assert.deepEqual(api.summary(), [
      'list',
      'create',
      'status 1001 in_progress',
      'status 1001 success',
      'status 1001 inactive',
    ]);
    const success = api.calls[3];
    assert.equal(success?.method === 'status' && success.status.environment_url, 'https://kf.example');
  });

  it('in a tick, posts what the refresh step just found (the GitHub step runs last)', async () => {
    await launch();
    const d = only();
    world.jobs.finish(d.jobName ?? '', 'complete');
    const intake = new MemoryIntakeStore(world.state);
    const clock = world.clock.read;
    const refresh = {
      config: world.config,
      store: new MemoryDeploymentStore(world.state),
      jobs: world.jobs,
      clock,
      logger: silentLogger,
    };
    const report = await runTick({
      poll: {
        versions: world.config.versions,
        commits: null,
        pollStore: new MemoryPollStore(world.state),
        intake,
        clock,
        logger: silentLogger,
      },
      refresh,
      inventory: { ...refresh, inventory: new MemoryInventory() },
      verify: { ...refresh, probe: new MemoryProbe(), urlTemplate: null },
      cleanJobs: refresh,
      leases: {
        store: new MemoryLeaseStore(world.state),
        deployments: refresh.store,
        clock,
        logger: silentLogger,
      },
      plan: world.plan,
      intake,
      github,
      logger: silentLogger,
    });
    assert.equal(only().status, 'ready');
    assert.deepEqual(report.github, { ok: true, checked: 1, posted: [`${d.instance}: success`], failed: [] });
    assert.equal(report.ok, true);
  });

  it('a failed deploy posts failure with the error as description', async () => {
    await launch();
    move('failed', { error: 'deploy Job failed: BackoffLimitExceeded' });
    await tick();
    const failure = api.calls.at(-1);
    assert.equal(failure?.method === 'status' && failure.status.state, 'failure');
    assert.equal(
      failure?.method === 'status' && failure.status.description,
      'deploy Job failed: BackoffLimitExceeded',
    );
  });

  it('GitHub down at launch: the deploy still succeeds, the error is recorded, the next tick posts', async () => {
    api.failures.push(new GitHubApiError('POST .../deployments answered 500 (Server Error).', 500));
    const outcome = await launch();
    assert.equal(outcome.kind === 'done' && outcome.result, 'launched');
    assert.equal(only().status, 'deploying');
    assert.equal(only().github?.error, 'POST .../deployments answered 500 (Server Error).');
    assert.equal(only().github?.attempts, 1);
    const report = await tick();
    assert.deepEqual(report.posted, [`${only().instance}: in_progress`]);
    assert.equal(only().github?.error, null);
    assert.deepEqual(api.summary(), ['list', 'list', 'create', 'status 1001 in_progress']);
  });

  it('storage failing after GitHub answered: the worker outcome is unchanged', async () => {
    store.failWrites = 1;
    const outcome = await launch();
    assert.equal(outcome.kind === 'done' && outcome.result, 'launched');
    assert.equal(world.state.requests.get(REQUEST_ID)?.status, 'done');
  });

  it('a sync that died after creating is not repeated: after its lease, the deployment is found by its payload', async () => {
    store.failWrites = 1;
    await launch();
    assert.equal(only().github?.deploymentId, null, 'the id was never recorded');
    assert.equal((await tick()).posted.length, 0, 'the lease of the dead sync still holds');
    world.clock.advanceMinutes(GITHUB_SYNC_LEASE_SECONDS / 60 + 1);
    await tick();
    assert.equal(api.deployments.length, 1);
    assert.deepEqual(api.summary(), [
      'list',
      'create',
      'status 1001 in_progress',
      'list',
      'status 1001 in_progress',
    ]);
    assert.equal(only().github?.deploymentId, 1001);
  });

  it('a worker retried twice and two ticks create exactly one GitHub deployment', async () => {
    await launch();
    // The first delivery "died" after creating the Job, before recording it: the retry adopts the Job.
    const d = only();
    world.state.deployments.set(d.instance, {
      ...d,
      status: 'launching',
      jobName: null,
      launchLeaseExpiresAt: NOW,
    });
    const done = world.state.requests.get(REQUEST_ID);
    if (done) world.state.requests.set(REQUEST_ID, { ...done, status: 'enqueued' });
    world.clock.advanceMinutes(10);
    assert.equal((await launch()).kind, 'done');
    assert.equal(only().status, 'deploying');
    await launch();
    await Promise.all([tick(), tick()]);
    assert.equal(api.calls.filter((call) => call.method === 'create').length, 1);
    assert.deepEqual(api.summary(), ['list', 'create', 'status 1001 in_progress']);
  });

  it('syncs running at once: one talks to GitHub, the others find its lease', async () => {
    api.failures.push(new GitHubApiError('answered 500', 500));
    await launch();
    const instance = only().instance;
    const [first, second, third] = await Promise.all([
      tick(),
      tick(),
      syncGitHubDeployment(github, instance),
    ]);
    assert.equal(api.calls.filter((call) => call.method === 'create').length, 1);
    const posted = [first.posted.length, second.posted.length, third.kind === 'posted' ? 1 : 0];
    assert.equal(
      posted.reduce((a, b) => a + b),
      1,
    );
  });

  it('rate-limited: recorded, nothing asked before the reset, posted after it', async () => {
    const resetAt = new Date(NOW.getTime() + 30 * 60_000);
    api.failures.push(new GitHubApiError('answered 403: rate limit exhausted', 403, resetAt));
    await launch();
    assert.deepEqual(only().github?.retryAt, resetAt);
    assert.equal((await tick()).posted.length, 0);
    assert.equal(api.calls.length, 1);
    world.clock.advanceMinutes(31);
    assert.deepEqual((await tick()).posted, [`${only().instance}: in_progress`]);
  });

  it('reports each failure and goes on with the other deployments', async () => {
    await launch();
    const first = only();
    world.state.deployments.set('kf-master-1129-zzz', {
      ...first,
      instance: 'kf-master-1129-zzz',
      github: undefined,
    });
    world.state.deployments.set(first.instance, { ...first, status: 'ready' });
    api.failures.push(new GitHubApiError('answered 502', 502));
    const report = await tick();
    assert.equal(report.ok, true);
    assert.equal(report.checked, 2);
    assert.deepEqual(report.failed, [first.instance]);
    assert.equal(report.error, 'answered 502');
    assert.deepEqual(report.posted, ['kf-master-1129-zzz: in_progress']);
  });

  it('is skipped without an API (GITHUB_DEPLOYMENTS off): the worker and the tick post nothing', async () => {
    github = { ...github, api: null };
    await launch();
    assert.deepEqual(await tick(), {
      ok: true,
      skipped: 'GITHUB_DEPLOYMENTS is off',
      checked: 0,
      posted: [],
      failed: [],
    });
    assert.equal(only().github, undefined);
    assert.deepEqual(await syncGitHubDeployment(github, only().instance), {
      kind: 'none',
      reason: 'GITHUB_DEPLOYMENTS is off',
    });
  });
});

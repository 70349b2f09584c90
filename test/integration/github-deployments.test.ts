/**
 * GitHub deployments on the commit, through the real pieces: the worker (runDeployRequest on the
 * Firestore emulator, Jobs on the local kube server), the tick (runTick: refresh, plan, GitHub sync),
 * the FirestoreGitHubSyncStore, the GitHubRestDeployments adapter against the fake GitHub REST API (which
 * records every call in order), and the status page served by the Functions Framework.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreDeploymentStore } from '../../functions/adapters/firestore/deployment-store.js';
import { FirestoreGitHubSyncStore } from '../../functions/adapters/firestore/github-sync-store.js';
import { FirestoreIntakeStore } from '../../functions/adapters/firestore/intake-store.js';
import { FirestoreLaunchStore } from '../../functions/adapters/firestore/launch-store.js';
import { FirestoreLeaseStore } from '../../functions/adapters/firestore/lease-store.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import { FirestorePollStore } from '../../functions/adapters/firestore/poll-store.js';
import { deploymentRef } from '../../functions/adapters/firestore/refs.js';
import { FirestoreStatusReader } from '../../functions/adapters/firestore/status-reader.js';
import { GitHubRestDeployments } from '../../functions/adapters/github-deployments.js';
import { buildApp } from '../../functions/app.js';
import { renderTeardownJob } from '../../functions/core/job-manifest.js';
import type { DeployQueue } from '../../functions/core/ports.js';
import type { Deployment } from '../../functions/core/types.js';
import { createDeploymentStatusHandler } from '../../functions/deployment-status.js';
import { loadJobTemplates } from '../../functions/job-templates.js';
import { silentLogger } from '../../functions/log.js';
import { runDeployRequest } from '../../functions/use-cases/run-deploy-request.js';
import type { SyncGitHubDeploymentsDeps } from '../../functions/use-cases/sync-github-deployments.js';
import { runTick, type TickReport } from '../../functions/use-cases/tick.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { type FakeDeployment, type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { TEST_PROJECT_ID, useEmulatorSuite } from '../support/firestore.js';
import { makeDeployRequest } from '../support/fixtures.js';
import { LOCAL_TEST_NAMESPACE, type LocalKubeTarget, startLocalKubeTarget } from '../support/kube.js';
import { MemoryInventory, MemoryProbe } from '../support/memory-stores.js';
import { pipelineConfig, putBranchHead, putRequest, readDeployments } from '../support/pipeline-fixtures.js';

const NAMESPACE = LOCAL_TEST_NAMESPACE;
const REPO = 'kubeflow/manifests';
const SHA = 'f6'.repeat(20);
const TOKEN = 'github_pat_sync-test';
const CONFIG = pipelineConfig('github-deployments test config');
const CLUSTER = { project: 'kf-ci-test', location: 'us-east1-d', cluster: 'deployer' };
const REQUEST_ID = 'deploy-master-f6f6f6f6f6f6-c';
const MINUTE_MS = 60_000;

/** A queue that accepts everything: the tick's plan step is not under test here. */
const QUEUE: DeployQueue = { enqueue: async (task) => ({ taskName: task.taskName, isNew: true }) };

describe('GitHub deployments: worker, tick and status page (Firestore emulator, local kube server, fake GitHub)', () => {
  let db: Firestore;
  let kube: LocalKubeTarget;
  let github: FakeGitHub;
  let gateways: Gateway[] = [];
  /** Added to the real time: lets a test move past a rate-limit reset. */
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  const templates = loadJobTemplates();

  useEmulatorSuite(
    (client) => {
      db = client;
    },
    {
      beforeTerminate: async () => {
        await github.stop();
        await kube.stop();
      },
    },
  );

  before(async function () {
    this.timeout(60_000);
    kube = await startLocalKubeTarget(NAMESPACE);
    github = await startFakeGitHub({ token: TOKEN });
  });

  beforeEach(async () => {
    kube.server.reset();
    github.requests.length = 0;
    github.deploymentsApi.deployments.length = 0;
    clockOffsetMs = 0;
    await putBranchHead(db, REPO, 'master', SHA);
    await putRequest(
      db,
      makeDeployRequest({
        id: REQUEST_ID,
        commit: SHA,
        status: 'enqueued',
        enqueueCount: 1,
        createdAt: new Date(Date.now() - MINUTE_MS),
      }),
    );
  });

  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    gateways = [];
  });

  function githubDeps(): SyncGitHubDeploymentsDeps {
    return {
      api: new GitHubRestDeployments({ apiUrl: github.url, token: TOKEN, timeoutMs: 5_000 }),
      store: new FirestoreGitHubSyncStore(db),
      settings: { cluster: CLUSTER },
      clock,
      logger: silentLogger,
    };
  }

  const jobs = () => kube.launcher({ requestTimeoutMs: 10_000 });

  function launch() {
    const deps = {
      config: CONFIG,
      store: new FirestoreLaunchStore(db),
      jobs: jobs(),
      templates,
      clock,
      logger: silentLogger,
      github: githubDeps(),
    };
    return runDeployRequest(deps, REQUEST_ID);
  }

  function tick(): Promise<TickReport> {
    const intake = new FirestoreIntakeStore(db);
    const deployments = new FirestoreDeploymentStore(db);
    const base = { config: CONFIG, store: deployments, clock, logger: silentLogger };
    return runTick({
      poll: {
        versions: CONFIG.versions,
        commits: null,
        pollStore: new FirestorePollStore(db),
        intake,
        clock,
        logger: silentLogger,
      },
      refresh: { ...base, jobs: jobs() },
      // Off in this suite's config (pipelineConfig): the steps report `skipped` or find nothing.
      inventory: { ...base, inventory: new MemoryInventory() },
      verify: { ...base, probe: new MemoryProbe(), urlTemplate: null },
      cleanJobs: { ...base, jobs: jobs() },
      leases: { store: new FirestoreLeaseStore(db), deployments, clock, logger: silentLogger },
      plan: { config: CONFIG, store: new FirestorePlanStore(db), queue: QUEUE, clock, logger: silentLogger },
      intake,
      github: githubDeps(),
      logger: silentLogger,
    });
  }

  async function only(): Promise<Deployment> {
    const all = await readDeployments(db);
    assert.equal(all.length, 1, all.map((d) => d.instance).join(', '));
    return all[0] as Deployment;
  }

  /** The one GitHub deployment the fake holds. */
  function onlyGitHubDeployment(): FakeDeployment {
    const all = github.deploymentsApi.of(REPO);
    assert.equal(all.length, 1, `GitHub deployments: ${all.length}`);
    return all[0] as FakeDeployment;
  }

  /** The deployments calls the fake received, in order: `METHOD path` (query left out). */
  const calls = () => github.requests.map((r) => `${r.method} ${r.url.split('?')[0]} ${r.status}`);

  function githubReport(report: TickReport) {
    assert.ok('checked' in report.github, `the GitHub step failed: ${JSON.stringify(report.github)}`);
    return report.github;
  }

  it('a launch creates one GitHub deployment of the commit and posts in_progress with the Job logs', async () => {
    const outcome = await launch();
    assert.equal(outcome.kind === 'done' && outcome.result, 'launched');
    const d = await only();
    const created = onlyGitHubDeployment();
    assert.deepEqual(calls(), [
      'GET /repos/kubeflow/manifests/deployments 200',
      'POST /repos/kubeflow/manifests/deployments 201',
      `POST /repos/kubeflow/manifests/deployments/${created.id}/statuses 201`,
    ]);
    assert.deepEqual(
      [created.sha, created.environment, created.transientEnvironment, created.productionEnvironment],
      [SHA, 'auto-deploy/master', true, false],
    );
    assert.deepEqual([created.autoMerge, created.requiredContexts], [false, []]);
    assert.deepEqual(created.payload, { instance: d.instance, version: 'master', requestId: REQUEST_ID });
    assert.deepEqual(
      created.statuses.map((s) => [s.state, s.logUrl]),
      [
        [
          'in_progress',
          `https://console.cloud.google.com/kubernetes/job/us-east1-d/deployer/${NAMESPACE}/${d.jobName}/details?project=kf-ci-test`,
        ],
      ],
    );
    assert.equal(d.github?.deploymentId, created.id);
    assert.equal(d.github?.state, 'in_progress');
    assert.equal(d.github?.error, null);
  });

  it('ready -> success with the instance endpoint; then deleted -> inactive, found by the github.open query', async () => {
    await launch();
    const launched = await only();
    kube.server.completeJob(NAMESPACE, launched.jobName ?? '');
    assert.deepEqual(githubReport(await tick()).posted, [`${launched.instance}: success`]);
    assert.equal((await only()).status, 'ready');
    const success = onlyGitHubDeployment().statuses.at(-1);
    assert.deepEqual([success?.state, success?.environmentUrl], ['success', launched.endpoint]);

    // GC started the teardown (as the worker records it); its Job completes.
    const teardown = await jobs().createJob(
      NAMESPACE,
      renderTeardownJob(templates.teardown, {
        version: 'master',
        instance: launched.instance,
        namespace: NAMESPACE,
        project: 'kf-ci-test',
        zone: 'us-east1-d',
        requestId: `teardown-${launched.instance}-0`,
        attempt: 1,
      }),
    );
    const deletingAt = clock();
    await deploymentRef(db, launched.instance).update({
      status: 'deleting',
      teardownJobName: teardown.name,
      deletingAt,
      updatedAt: deletingAt,
    });
    assert.deepEqual(githubReport(await tick()).posted, [], 'deleting keeps success');
    kube.server.completeJob(NAMESPACE, teardown.name);
    assert.deepEqual(githubReport(await tick()).posted, [`${launched.instance}: inactive`]);
    const d = await only();
    assert.equal(d.status, 'deleted');
    assert.equal(d.github?.state, 'inactive');
    const inactive = onlyGitHubDeployment().statuses.at(-1);
    assert.equal(inactive?.state, 'inactive');
    assert.match(inactive?.logUrl ?? '', new RegExp(`/${teardown.name}/details\\?`));
    assert.equal(githubReport(await tick()).checked, 0, 'once inactive, it is no longer looked at');
  });

  it('a failed deploy Job -> failure with the error as description', async () => {
    await launch();
    const launched = await only();
    kube.server.failJob(NAMESPACE, launched.jobName ?? '', 'kfctl apply timed out', 'BackoffLimitExceeded');
    await tick();
    const failure = onlyGitHubDeployment().statuses.at(-1);
    assert.equal(failure?.state, 'failure');
    assert.equal(
      failure?.description,
      `deploy Job ${launched.jobName} failed: BackoffLimitExceeded: kfctl apply timed out`,
    );
  });

  it('a worker retried twice and two ticks create exactly one GitHub deployment', async () => {
    // The ticks race the worker's own sync right after its launch.
    await Promise.all([launch(), tick(), tick()]);
    await launch();
    await launch();
    await tick();
    const creates = github.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/deployments'));
    assert.equal(creates.length, 1);
    assert.equal(onlyGitHubDeployment().statuses.filter((s) => s.state === 'in_progress').length, 1);
    assert.equal((await only()).github?.state, 'in_progress');
  });

  it('ticks running while the worker talks to GitHub find its lease and make no call', async () => {
    const hold = github.holdNext();
    const worker = launch();
    await hold.received;
    const d = await only();
    assert.ok(d.github?.leaseExpiresAt, 'the worker holds the lease while it waits on GitHub');
    const reports = await Promise.all([tick(), tick()]);
    assert.deepEqual(
      reports.map((report) => githubReport(report).posted),
      [[], []],
    );
    assert.deepEqual(github.requests, [], 'no GitHub call but the held one');
    hold.release();
    assert.equal((await worker).kind, 'done');
    assert.equal(onlyGitHubDeployment().statuses.length, 1);
    assert.equal((await only()).github?.leaseExpiresAt, null);
  });

  it('GitHub answering 500: the deploy still succeeds, the error is recorded and shown, the next tick posts it', async () => {
    github.failNext(1, 500, { body: JSON.stringify({ message: 'Server Error' }) });
    const outcome = await launch();
    assert.equal(outcome.kind === 'done' && outcome.result, 'launched');
    const d = await only();
    assert.equal(d.status, 'deploying');
    assert.match(d.github?.error ?? '', /answered 500 \(Server Error\)/);
    assert.equal(d.github?.attempts, 1);
    assert.equal(github.deploymentsApi.of(REPO).length, 0);

    const page = await statusPage();
    assert.match(page.html, /GitHub: GET http:\/\/[^ ]+ answered 500 \(Server Error\)/);
    assert.match(page.deployments[0]?.github?.error ?? '', /answered 500/);

    assert.deepEqual(githubReport(await tick()).posted, [`${d.instance}: in_progress`]);
    assert.equal(onlyGitHubDeployment().statuses[0]?.state, 'in_progress');
    assert.equal((await only()).github?.error, null);
    assert.doesNotMatch((await statusPage()).html, /GitHub:/);
  });

  it('GitHub rate-limited (403): recorded with the reset, not asked again before it, posted after it', async () => {
    const resetAt = new Date(Math.ceil((Date.now() + 10 * MINUTE_MS) / 1000) * 1000);
    github.failNext(1, 403, {
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt.getTime() / 1000) },
      body: JSON.stringify({ message: 'API rate limit exceeded' }),
    });
    assert.equal((await launch()).kind, 'done');
    const d = await only();
    assert.deepEqual(d.github?.retryAt, resetAt);
    assert.match(d.github?.error ?? '', /rate limit exhausted/);

    const asked = github.requests.length;
    assert.deepEqual(githubReport(await tick()).posted, []);
    assert.equal(github.requests.length, asked, 'no call before the reset');

    clockOffsetMs = 11 * MINUTE_MS;
    assert.deepEqual(githubReport(await tick()).posted, [`${d.instance}: in_progress`]);
    assert.equal((await only()).github?.retryAt, null);
  });

  it('the app wires it: with GITHUB_DEPLOYMENTS, the deployWorker function posts in_progress and its tick success', async () => {
    const app = buildApp(
      {
        configPath: 'test',
        deployments: CONFIG,
        projectId: TEST_PROJECT_ID,
        firestoreEmulatorHost: null,
        webhookSecrets: [],
        tasks: { problem: 'not configured' },
        github: { apiUrl: github.url, token: TOKEN, isPollEnabled: false, isDeploymentsEnabled: true },
        kube: {
          gkeCluster: {
            ...CLUSTER,
            resourceName: 'projects/kf-ci-test/locations/us-east1-d/clusters/deployer',
          },
          env: {},
        },
        containerEmulator: null,
        readinessUrl: null,
        tickCommand: null,
        auth: { mode: 'off' },
      },
      { firestore: db, jobs: jobs(), queue: QUEUE, templates, clock, logger: silentLogger },
    );
    const gateway = await startGateway({ deployWorker: app.handler('deployWorker') });
    gateways.push(gateway);
    const response = await fetch(`${gateway.url}/deployWorker`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CloudTasks-TaskName': 'task-1' },
      body: JSON.stringify({ requestId: REQUEST_ID }),
    });
    assert.equal(response.status, 200);
    const launched = await only();
    assert.deepEqual(
      onlyGitHubDeployment().statuses.map((s) => s.state),
      ['in_progress'],
    );
    assert.match(onlyGitHubDeployment().statuses[0]?.logUrl ?? '', /\/us-east1-d\/deployer\//);
    kube.server.completeJob(NAMESPACE, launched.jobName ?? '');
    assert.deepEqual(githubReport(await app.tick()).posted, [`${launched.instance}: success`]);
  });

  async function statusPage() {
    const gateway = await startGateway({
      deploymentStatus: createDeploymentStatusHandler({
        reader: new FirestoreStatusReader(db, CONFIG.versions, clock),
        clock,
        logger: silentLogger,
        project: 'kf-ci-test',
        zone: 'us-east1-d',
        leases: {
          store: new FirestoreLeaseStore(db),
          versions: CONFIG.versions.map((v) => v.name),
          clock,
          randomHex: () => '0123456789abcdef',
        },
      }),
    });
    gateways.push(gateway);
    const html = await (await fetch(`${gateway.url}/deploymentStatus/`)).text();
    const deployments = (await (
      await fetch(`${gateway.url}/deploymentStatus/api/deployments`)
    ).json()) as Array<{
      github: { error: string | null } | null;
    }>;
    return { html, deployments };
  }
});

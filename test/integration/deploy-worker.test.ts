/**
 * deployWorker over a real socket (Functions Framework), with the DeployLauncher on the Firestore
 * emulator and the real @kubernetes/client-node KubeJobLauncher against the local kube server.
 * Tasks are delivered the way Cloud Tasks delivers them (POST {"requestId"} with X-CloudTasks-* headers),
 * including twice at once (at-least-once delivery) and after a worker died half-way.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { decisionFromDoc, deploymentFromDoc } from '../../functions/adapters/firestore/codec.js';
import { FirestoreLaunchStore } from '../../functions/adapters/firestore/launch-store.js';
import { FirestorePendingPlanStore } from '../../functions/adapters/firestore/pending-plan-store.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import { deploymentRef } from '../../functions/adapters/firestore/refs.js';
import { JOB_ANNOTATIONS, JOB_LABELS, jobName } from '../../functions/core/job-manifest.js';
import { LAUNCH_LEASE_SECONDS } from '../../functions/core/launch.js';
import { kfDefUrlAt } from '../../functions/core/names.js';
import type { JobLauncher } from '../../functions/core/ports.js';
import type { Deployment, DeploymentsConfig, DeployRequest, JobSummary } from '../../functions/core/types.js';
import { createDeployWorkerHandler } from '../../functions/deploy-worker.js';
import { type JobTemplates, loadJobTemplates } from '../../functions/job-templates.js';
import { createLogger, silentLogger } from '../../functions/log.js';
import { runPlanTask } from '../../functions/use-cases/plan-tasks.js';
import { runDeployRequest } from '../../functions/use-cases/run-deploy-request.js';
import type { KubeJob } from '../../scripts/kube-server/server.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { launchedFields, makeDeployment, makeDeployRequest, readyTimes } from '../support/fixtures.js';
import { LOCAL_TEST_NAMESPACE, type LocalKubeTarget, startLocalKubeTarget } from '../support/kube.js';
import { MemoryQueue } from '../support/memory-stores.js';
import {
  createMasterDeployJob,
  PIPELINE_TARGET,
  pipelineConfig,
  putBranchHead,
  putDeployment,
  putRequest,
  readDeployments,
} from '../support/pipeline-fixtures.js';

const NAMESPACE = LOCAL_TEST_NAMESPACE;
const REPO = 'kubeflow/manifests';
const SHA_A = 'a1'.repeat(20);
const SHA_B = 'b2'.repeat(20);
const MINUTE_MS = 60_000;

function deploymentsConfig(maxActiveDeployments: number): DeploymentsConfig {
  return pipelineConfig('deploy-worker test config', maxActiveDeployments);
}

const CONFIG = deploymentsConfig(10);
const BRANCH_OF: Record<string, string> = { master: 'master', v1: 'v1.0-branch' };

/** The real launcher, with a hook that runs before each create (to look at Firestore mid-launch). */
class HookedJobs implements JobLauncher {
  beforeCreate: (() => Promise<void>) | null = null;
  constructor(private readonly inner: JobLauncher) {}
  async createJob(namespace: string, manifest: Record<string, unknown>): Promise<JobSummary> {
    await this.beforeCreate?.();
    return this.inner.createJob(namespace, manifest);
  }
  listJobs(namespace: string, labels: Record<string, string>): Promise<JobSummary[]> {
    return this.inner.listJobs(namespace, labels);
  }
  deleteJob(namespace: string, name: string): Promise<void> {
    return this.inner.deleteJob(namespace, name);
  }
}

/** Firestore as seen through a store whose calls fail while `isDown` (a gRPC UNAVAILABLE). */
class FlakyStore extends FirestoreLaunchStore {
  isDown = false;
  /** Fail only the final writes (finishStep), i.e. after the Job was created. */
  isFinishDown = false;
  private fail(): Promise<never> {
    return Promise.reject(
      Object.assign(new Error('14 UNAVAILABLE: No connection established (connect ECONNREFUSED)'), {
        code: 14,
      }),
    );
  }
  override getRequest(id: string): Promise<DeployRequest | null> {
    return this.isDown ? this.fail() : super.getRequest(id);
  }
  /** Runs inside each launch transaction, after its reads and before its decision and writes. */
  betweenReadAndWrite: (() => Promise<void>) | null = null;
  /** Launch claims asked of this store so far, and a callback each time. */
  claimsAsked = 0;
  onClaimAsked: (() => void) | null = null;
  override claimLaunch(...[claim, decide]: Parameters<FirestoreLaunchStore['claimLaunch']>) {
    this.claimsAsked += 1;
    this.onClaimAsked?.();
    if (this.isDown) return this.fail();
    return super.claimLaunch(claim, async (view) => {
      await this.betweenReadAndWrite?.();
      return decide(view);
    });
  }
  override finishStep(...args: Parameters<FirestoreLaunchStore['finishStep']>): Promise<void> {
    return this.isDown || this.isFinishDown ? this.fail() : super.finishStep(...args);
  }
}

/** Labels the API server adds to every Job and its pod template (as a real one does). */
const SERVER_LABELS = new Set([
  'controller-uid',
  'job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
]);

function withoutServerLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !SERVER_LABELS.has(key)));
}

interface Delivery {
  status: number;
  body: Record<string, unknown>;
}

describe('deployWorker (Functions Framework + Firestore emulator + KubeJobLauncher on the local kube server)', () => {
  let db: Firestore;
  let store: FlakyStore;
  let kube: LocalKubeTarget;
  let jobs: HookedJobs;
  let templates: JobTemplates;
  let gateways: Gateway[] = [];
  let url: string;
  /** Added to the real time: lets a test move the worker's clock past a lease. */
  let clockOffsetMs: number;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  /** What the worker logged during the test: shown when it fails (the answers only carry a summary). */
  let workerLog: string[] = [];
  const logger = createLogger({}, (line) => workerLog.push(line));

  useEmulatorSuite(
    (client) => {
      db = client;
    },
    { beforeTerminate: () => kube.stop() },
  );

  before(async function () {
    this.timeout(60_000);
    kube = await startLocalKubeTarget(NAMESPACE);
    templates = loadJobTemplates();
  });

  beforeEach(async () => {
    kube.server.reset();
    clockOffsetMs = 0;
    workerLog = [];
    store = new FlakyStore(db);
    jobs = new HookedJobs(kube.launcher({ requestTimeoutMs: 10_000 }));
    url = await startWorker();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      process.stderr.write(`--- the worker's log lines of "${this.currentTest.title}" ---\n`);
      process.stderr.write(`${workerLog.slice(-40).join('\n')}\n`);
    }
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    gateways = [];
  });

  async function startWorker(
    options: { config?: DeploymentsConfig; templates?: JobTemplates; store?: FlakyStore } = {},
  ): Promise<string> {
    const deps = {
      config: options.config ?? CONFIG,
      store: options.store ?? store,
      jobs,
      templates: options.templates ?? templates,
      clock,
      logger,
    };
    const gateway = await startGateway({
      deployWorker: createDeployWorkerHandler({
        run: (requestId) => runDeployRequest(deps, requestId),
        logger,
      }),
    });
    gateways.push(gateway);
    return `${gateway.url}/deployWorker`;
  }

  /** Delivers a task the way Cloud Tasks does. */
  async function deliver(
    requestId: string,
    options: { to?: string; task?: string | null; body?: string; type?: string } = {},
  ): Promise<Delivery> {
    const headers: Record<string, string> = { 'Content-Type': options.type ?? 'application/json' };
    if (options.task !== null) {
      headers['X-CloudTasks-TaskName'] = options.task ?? `task-${requestId}`;
      headers['X-CloudTasks-QueueName'] = 'auto-deploy';
      headers['X-CloudTasks-TaskRetryCount'] = '0';
    }
    const response = await fetch(options.to ?? url, {
      method: 'POST',
      headers,
      body: options.body ?? JSON.stringify({ requestId }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function setHead(version: string, sha: string): Promise<void> {
    await putBranchHead(db, REPO, BRANCH_OF[version] as string, sha);
  }

  function deployRequest(id: string, overrides: Partial<DeployRequest> = {}): DeployRequest {
    const now = new Date();
    return makeDeployRequest({
      id,
      commit: SHA_A,
      notBefore: new Date(now.getTime() - 1000),
      status: 'enqueued',
      enqueueCount: 1,
      taskName: `task-${id}`,
      createdAt: new Date(now.getTime() - 2000),
      updatedAt: new Date(now.getTime() - 2000),
      ...overrides,
    });
  }

  function deployment(instance: string, overrides: Partial<Deployment> = {}): Deployment {
    return makeDeployment({
      instance,
      ...launchedFields(instance, SHA_A, PIPELINE_TARGET),
      requestId: `deploy-master-${instance}`,
      jobName: `auto-deploy-master-${instance.slice(-3)}`,
      ...readyTimes(overrides.createdAt ?? new Date(Date.now() - 5 * 3_600_000)),
      ...overrides,
    });
  }

  /** Master's head at SHA_A and the new-commit request to deploy it, enqueued; returns the request id. */
  async function enqueuedHeadRequest(): Promise<string> {
    await setHead('master', SHA_A);
    const id = 'deploy-master-a1a1a1a1a1a1-c';
    await putRequest(db, deployRequest(id));
    return id;
  }

  const allDeployments = (): Promise<Deployment[]> => readDeployments(db);
  const readDeployment = async (instance: string): Promise<Deployment | null> =>
    deploymentFromDoc(await deploymentRef(db, instance).get());

  /** The deploy Job of `instance` on the server, created from the real template as the worker would. */
  function createDeployJobOnServer(instance: string, requestId: string, commit = SHA_A): Promise<string> {
    return createMasterDeployJob(kube, templates, { instance, commit, requestId });
  }

  const serverJobs = (): KubeJob[] => kube.server.jobs(NAMESPACE);
  const jobCreates = () =>
    kube.server.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/jobs') && !r.isFault);

  describe('deploy requests', () => {
    it('records the deployment as launching with a lease, creates the labelled Job, then marks it deploying', async () => {
      await setHead('v1', SHA_B);
      const id = 'deploy-v1-b2b2b2b2b2b2-c';
      await putRequest(db, deployRequest(id, { version: 'v1', commit: SHA_B }));
      let midLaunch: { deployments: Deployment[]; jobsOnServer: number; at: number } | null = null;
      jobs.beforeCreate = async () => {
        midLaunch = {
          deployments: await allDeployments(),
          jobsOnServer: serverJobs().length,
          at: Date.now(),
        };
      };

      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'launched');
      assert.equal(response.body.kind, 'done');
      const seen = midLaunch as { deployments: Deployment[]; jobsOnServer: number; at: number } | null;
      assert.ok(seen, 'the worker created a Job');
      assert.equal(seen.jobsOnServer, 0);
      assert.equal(seen.deployments.length, 1);
      const launching = seen.deployments[0] as Deployment;
      assert.equal(launching.status, 'launching');
      assert.equal(launching.jobName, null);
      assert.equal(launching.requestId, id);
      assert.ok(
        (launching.launchLeaseExpiresAt?.getTime() ?? 0) > seen.at,
        'the launch lease is live while the Job is created',
      );
      assert.equal(
        launching.launchLeaseExpiresAt?.getTime(),
        launching.createdAt.getTime() + LAUNCH_LEASE_SECONDS * 1000,
      );
      assert.match(launching.instance, /^kf-v1-\d{4}-[0-9a-f]{3}$/);
      assert.equal(response.body.instance, launching.instance);

      const [job, ...others] = serverJobs();
      assert.ok(job);
      assert.equal(others.length, 0);
      assert.equal(job.metadata.namespace, NAMESPACE);
      // Named after the instance, so a create that outlived its client is found again, not repeated.
      assert.equal(job.metadata.name, `auto-deploy-${launching.instance.slice('kf-'.length)}`);
      assert.equal(response.body.job, job.metadata.name);
      const expectedLabels = {
        'app.kubernetes.io/managed-by': 'kubeflow-auto-deploy',
        [JOB_LABELS.autoDeploy]: 'true',
        [JOB_LABELS.action]: 'deploy',
        [JOB_LABELS.commit]: SHA_B,
        [JOB_LABELS.branch]: 'v1-0-branch',
        [JOB_LABELS.version]: 'v1',
        [JOB_LABELS.instance]: launching.instance,
      };
      assert.deepEqual(withoutServerLabels(job.metadata.labels), expectedLabels);
      const podLabels = (job.spec.template as { metadata: { labels: Record<string, string> } }).metadata
        .labels;
      assert.deepEqual(withoutServerLabels(podLabels), expectedLabels);
      assert.equal(job.metadata.annotations?.[JOB_ANNOTATIONS.requestId], id);
      assert.equal(job.metadata.annotations?.[JOB_ANNOTATIONS.branch], 'v1.0-branch');
      const command = (job.spec.template as { spec: { containers: Array<{ command: string[] }> } }).spec
        .containers[0]?.command;
      assert.ok(command?.includes(`--name=${launching.instance}`), String(command));
      assert.ok(command?.includes(`--kfctl_config=${kfDefUrlAt(REPO, SHA_B, 'kfdef/kfctl_gcp_iap.yaml')}`));

      const deployed = await readDeployment(launching.instance);
      assert.deepEqual(
        {
          status: deployed?.status,
          jobName: deployed?.jobName,
          lease: deployed?.launchLeaseExpiresAt,
          namespace: deployed?.namespace,
          commit: deployed?.commit,
          branch: deployed?.branch,
          reason: deployed?.reason,
          endpoint: deployed?.endpoint,
        },
        {
          status: 'deploying',
          jobName: job.metadata.name,
          lease: null,
          namespace: NAMESPACE,
          commit: SHA_B,
          branch: 'v1.0-branch',
          reason: 'new-commit',
          endpoint: `https://${launching.instance}.endpoints.kf-ci-test.cloud.goog`,
        },
      );
      const closed = await store.getRequest(id);
      assert.equal(closed?.status, 'done');
      assert.equal(closed?.error, null);
    });

    it('the same task delivered twice at once creates one Job and one deployment', async () => {
      const id = await enqueuedHeadRequest();

      const responses = await Promise.all([deliver(id), deliver(id)]);

      assert.equal(serverJobs().length, 1, JSON.stringify(responses));
      const deployments = await allDeployments();
      assert.equal(deployments.length, 1);
      assert.equal(deployments[0]?.status, 'deploying');
      assert.equal(deployments[0]?.jobName, serverJobs()[0]?.metadata.name);
      const results = responses.map((r) => `${r.status} ${r.body.result}`).sort();
      assert.equal(results.filter((r) => r === '200 launched').length, 1, JSON.stringify(responses));
      // The other delivery saw the launch held (retry later) or already done.
      for (const other of results.filter((r) => r !== '200 launched')) {
        assert.ok(
          ['503 busy', '200 already-launched', '200 already-done'].includes(other),
          `unexpected outcome of the second delivery: ${other} (${JSON.stringify(responses)})`,
        );
      }
      assert.equal((await store.getRequest(id))?.status, 'done');
    });

    it('records every status change in transitions, with its time', async () => {
      const id = await enqueuedHeadRequest();
      const delivered = await deliver(id);
      assert.equal(delivered.body.result, 'launched');
      const [stored] = await allDeployments();
      assert.deepEqual(
        stored?.transitions?.map((t) => t.status),
        ['launching', 'deploying'],
      );
      assert.equal(stored?.transitions?.[0]?.at.getTime(), stored?.createdAt.getTime());
      assert.equal(stored?.transitions?.[1]?.at.getTime(), stored?.updatedAt.getTime());
    });

    it('the same task delivered again while the first delivery creates the Job: 503 busy, one Job', async () => {
      const id = await enqueuedHeadRequest();
      let duplicate: Delivery | null = null;
      jobs.beforeCreate = async () => {
        jobs.beforeCreate = null;
        duplicate = await deliver(id);
      };

      const first = await deliver(id);

      assert.equal(first.status, 200);
      assert.equal(first.body.result, 'launched');
      assert.deepEqual(
        {
          status: (duplicate as Delivery | null)?.status,
          result: (duplicate as Delivery | null)?.body.result,
        },
        { status: 503, result: 'busy' },
      );
      assert.equal(serverJobs().length, 1);
      assert.equal((await allDeployments()).length, 1);
    });

    it('a task delivered again after success answers 200 and creates no second Job', async () => {
      const id = await enqueuedHeadRequest();
      const first = await deliver(id);
      assert.equal(first.body.result, 'launched');

      const again = await deliver(id);

      assert.equal(again.status, 200);
      assert.equal(again.body.result, 'already-done');
      assert.equal(serverJobs().length, 1);
      assert.equal(jobCreates().length, 1);
      assert.equal((await allDeployments()).length, 1);
    });

    it('a retry after the worker died between creating the Job and recording it adopts that Job', async () => {
      const id = await enqueuedHeadRequest();
      const instance = 'kf-master-0301-d1e';
      const createdAt = new Date(Date.now() - 11 * MINUTE_MS);
      await putDeployment(
        db,
        deployment(instance, {
          requestId: id,
          status: 'launching',
          jobName: null,
          createdAt,
          updatedAt: createdAt,
          readyAt: null,
          finishedAt: null,
          launchLeaseExpiresAt: new Date(Date.now() - MINUTE_MS),
        }),
      );
      const orphan = await createDeployJobOnServer(instance, id);

      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'launched');
      assert.equal(response.body.job, orphan);
      assert.deepEqual(
        serverJobs().map((job) => job.metadata.name),
        [orphan],
      );
      const adopted = await readDeployment(instance);
      assert.equal(adopted?.status, 'deploying');
      assert.equal(adopted?.jobName, orphan);
      assert.equal(adopted?.launchLeaseExpiresAt, null);
      assert.equal((await allDeployments()).length, 1);
      assert.equal((await store.getRequest(id))?.status, 'done');
    });

    it('answers 503 while another delivery holds a live launch lease, and creates nothing', async () => {
      const id = await enqueuedHeadRequest();
      const instance = 'kf-master-0301-b5y';
      const now = Date.now();
      await putDeployment(
        db,
        deployment(instance, {
          requestId: id,
          status: 'launching',
          jobName: null,
          createdAt: new Date(now - MINUTE_MS),
          updatedAt: new Date(now - MINUTE_MS),
          readyAt: null,
          finishedAt: null,
          launchLeaseExpiresAt: new Date(now + 9 * MINUTE_MS),
        }),
      );

      const response = await deliver(id);

      assert.equal(response.status, 503);
      assert.equal(response.body.kind, 'retry');
      assert.equal(response.body.result, 'busy');
      assert.equal(serverJobs().length, 0);
      const held = await readDeployment(instance);
      assert.equal(held?.status, 'launching');
      assert.equal(held?.launchLeaseExpiresAt?.getTime(), now + 9 * MINUTE_MS);
      assert.equal((await store.getRequest(id))?.status, 'enqueued');
    });

    it('Kubernetes 500: answers 503 and releases the lease; the retry launches', async () => {
      const id = await enqueuedHeadRequest();
      kube.server.injectFaults({
        status: 500,
        method: 'POST',
        count: 1,
        message: 'etcdserver: request timed out',
      });

      const failed = await deliver(id);

      assert.equal(failed.status, 503);
      assert.equal(failed.body.result, 'launch-failed-transient');
      assert.match(String(failed.body.detail), /etcdserver: request timed out/);
      assert.equal(serverJobs().length, 0);
      const [released, ...more] = await allDeployments();
      assert.equal(more.length, 0);
      assert.equal(released?.status, 'launching');
      assert.ok(released?.launchLeaseExpiresAt, 'the lease is set to the failure time');
      assert.ok(
        (released?.launchLeaseExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY) <= Date.now(),
        'the lease is released',
      );
      assert.equal((await store.getRequest(id))?.status, 'enqueued');

      const retried = await deliver(id);

      assert.equal(retried.status, 200);
      assert.equal(retried.body.result, 'launched');
      assert.equal(retried.body.instance, released?.instance);
      assert.equal(serverJobs().length, 1);
      assert.equal((await readDeployment(released?.instance as string))?.status, 'deploying');
      assert.equal((await allDeployments()).length, 1);
    });

    it('Kubernetes 422 (a template that renders an invalid Job): answers 200, deployment and request failed with the API message', async () => {
      const id = await enqueuedHeadRequest();
      const broken = structuredClone(templates.deploy) as {
        spec: { template: { spec: Record<string, unknown> } };
      };
      broken.spec.template.spec.restartPolicy = 'Always';
      const to = await startWorker({ templates: { deploy: broken, teardown: templates.teardown } });

      const response = await deliver(id, { to });

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'launch-failed');
      assert.equal(serverJobs().length, 0);
      const [failed] = await allDeployments();
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.launchLeaseExpiresAt, null);
      assert.ok(failed?.finishedAt);
      assert.match(failed?.error ?? '', /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
      assert.match(failed?.error ?? '', /HTTP 422 Invalid/);
      const request = await store.getRequest(id);
      assert.equal(request?.status, 'failed');
      assert.equal(request?.error, failed?.error);

      // Cloud Tasks delivers it again anyway: still nothing, still 200.
      const again = await deliver(id, { to });
      assert.equal(again.status, 200);
      assert.equal(again.body.result, 'already-failed');
      assert.equal(jobCreates().length, 1);
    });

    it('Kubernetes 422 injected by the API server: the same, with the server message', async () => {
      const id = await enqueuedHeadRequest();
      kube.server.injectFaults({ status: 422, method: 'POST', message: 'admission webhook denied the Job' });

      const response = await deliver(id);

      assert.equal(response.status, 200);
      const [failed] = await allDeployments();
      assert.equal(failed?.status, 'failed');
      assert.match(failed?.error ?? '', /^admission webhook denied the Job \(HTTP 422 Invalid/);
      assert.equal((await store.getRequest(id))?.status, 'failed');
    });

    it('answers 503 when Firestore is unavailable, and creates nothing', async () => {
      const id = await enqueuedHeadRequest();
      store.isDown = true;

      const response = await deliver(id);

      assert.equal(response.status, 503);
      assert.equal(response.body.kind, 'retry');
      assert.match(String(response.body.detail), /UNAVAILABLE/);
      assert.equal(serverJobs().length, 0);
      store.isDown = false;
      assert.equal((await allDeployments()).length, 0);
      assert.equal((await store.getRequest(id))?.status, 'enqueued');
    });

    it('Firestore lost after the Job was created: 503, busy while the lease holds, then the Job is adopted', async () => {
      const id = await enqueuedHeadRequest();
      store.isFinishDown = true;

      const lost = await deliver(id);

      assert.equal(lost.status, 503);
      assert.equal(serverJobs().length, 1);
      const created = serverJobs()[0]?.metadata.name;
      store.isFinishDown = false;
      const [held] = await allDeployments();
      assert.equal(held?.status, 'launching');

      const busy = await deliver(id);
      assert.equal(busy.status, 503);
      assert.equal(busy.body.result, 'busy');

      clockOffsetMs = (LAUNCH_LEASE_SECONDS + 60) * 1000;
      const adopted = await deliver(id);

      assert.equal(adopted.status, 200);
      assert.equal(adopted.body.result, 'launched');
      assert.equal(adopted.body.job, created);
      assert.equal(serverJobs().length, 1);
      assert.equal((await readDeployment(held?.instance as string))?.jobName, created);
    });

    it('re-checks the rate limit at execution: a second request of the version right after a launch is deferred', async () => {
      const first = await enqueuedHeadRequest();
      assert.equal((await deliver(first)).body.result, 'launched');
      const [launched] = await allDeployments();
      assert.ok(launched);
      // The branch moves on; the planner's request for the new head fires at once.
      await setHead('master', SHA_B);
      const second = 'deploy-master-b2b2b2b2b2b2-c';
      await putRequest(db, deployRequest(second, { commit: SHA_B }));

      const response = await deliver(second);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'deferred-rate-limited');
      const deferred = await store.getRequest(second);
      assert.equal(deferred?.status, 'deferred');
      assert.equal(deferred?.error, 'deferred: rate-limited');
      assert.equal(deferred?.notBefore.getTime(), launched.createdAt.getTime() + 20 * MINUTE_MS);
      assert.equal(serverJobs().length, 1);
      assert.equal((await allDeployments()).length, 1);
    });

    it('two requests of one version for the head, delivered together, launch it once', async () => {
      await setHead('master', SHA_A);
      const newCommit = 'deploy-master-a1a1a1a1a1a1-c';
      const manual = 'deploy-master-a1a1a1a1a1a1-m202603011000';
      await putRequest(db, deployRequest(newCommit));
      await putRequest(db, deployRequest(manual, { reason: 'manual' }));

      const responses = await Promise.all([deliver(newCommit), deliver(manual)]);

      assert.equal(serverJobs().length, 1, JSON.stringify(responses));
      assert.equal((await allDeployments()).length, 1);
      const results = responses.map((r) => `${r.status} ${r.body.result}`).sort();
      assert.deepEqual(results, ['200 launched', '200 skipped-in-progress']);
      const requests = await Promise.all([store.getRequest(newCommit), store.getRequest(manual)]);
      assert.deepEqual(
        requests.map((r) => r?.status),
        ['done', 'done'],
      );
    });

    it('re-checks capacity at execution: maxActiveDeployments reached -> deferred at-capacity', async () => {
      await setHead('master', SHA_A);
      await putDeployment(
        db,
        deployment('kf-v1-0301-aaa', { version: 'v1', branch: 'v1.0-branch', status: 'ready' }),
      );
      const id = 'deploy-master-a1a1a1a1a1a1-c';
      await putRequest(db, deployRequest(id));
      const to = await startWorker({ config: deploymentsConfig(1) });

      const response = await deliver(id, { to });

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'deferred-at-capacity');
      const deferred = await store.getRequest(id);
      assert.equal(deferred?.status, 'deferred');
      assert.equal(deferred?.error, 'deferred: at-capacity');
      assert.equal(serverJobs().length, 0);
      assert.equal((await allDeployments()).length, 1);
    });

    /** Heads on master and v1, and a deploy request each: two launches that want the last slot. */
    async function twoVersionsWantingALaunch(): Promise<{ masterId: string; v1Id: string }> {
      await setHead('master', SHA_A);
      await setHead('v1', SHA_B);
      const masterId = 'deploy-master-a1a1a1a1a1a1-c';
      const v1Id = 'deploy-v1-b2b2b2b2b2b2-c';
      await putRequest(db, deployRequest(masterId));
      await putRequest(db, deployRequest(v1Id, { version: 'v1', commit: SHA_B }));
      return { masterId, v1Id };
    }

    it('two instances racing for the last slot: exactly one launches, the other is deferred at-capacity', async () => {
      const { masterId, v1Id } = await twoVersionsWantingALaunch();
      // Two function instances: each has its own store (an instance runs its own claims one at a time).
      const other = new FlakyStore(db);
      const config = deploymentsConfig(1);
      const [toOne, toOther] = [await startWorker({ config }), await startWorker({ config, store: other })];
      // Both launch transactions read (no deployment active yet) before either decides and writes.
      let arrived = 0;
      let releaseBoth: () => void = () => {};
      const bothRead = new Promise<void>((resolve) => {
        releaseBoth = resolve;
      });
      let overlapped = false;
      const meet = async () => {
        arrived += 1;
        if (arrived === 2) {
          overlapped = true;
          releaseBoth();
        }
        // Only the first attempt of each waits; a retried transaction goes straight on.
        if (arrived <= 2) await bothRead;
      };
      store.betweenReadAndWrite = meet;
      other.betweenReadAndWrite = meet;

      const responses = await Promise.all([deliver(masterId, { to: toOne }), deliver(v1Id, { to: toOther })]);

      assert.ok(overlapped, 'the two launch transactions did not overlap');
      assert.deepEqual(responses.map((response) => response.status).sort(), [200, 200]);
      assert.deepEqual(responses.map((response) => response.body.result).sort(), [
        'deferred-at-capacity',
        'launched',
      ]);
      assert.equal(serverJobs().length, 1);
      assert.equal((await allDeployments()).length, 1);
    });

    it('one instance runs its launch claims one after the other: the second sees the first, no retry', async () => {
      const { masterId, v1Id } = await twoVersionsWantingALaunch();
      const to = await startWorker({ config: deploymentsConfig(1) });
      let inside = 0;
      let mostInside = 0;
      let attempts = 0;
      // The first claim stays open until the second has been asked for: without the lane both would
      // then be inside their transactions at once.
      const bothAsked = new Promise<void>((resolve) => {
        store.onClaimAsked = () => {
          if (store.claimsAsked === 2) resolve();
        };
      });
      store.betweenReadAndWrite = async () => {
        attempts += 1;
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        await bothAsked;
        inside -= 1;
      };

      const responses = await Promise.all([deliver(masterId, { to }), deliver(v1Id, { to })]);

      assert.equal(mostInside, 1, 'two launch claims of one instance overlapped');
      assert.equal(attempts, 2, 'a launch transaction was retried');
      assert.deepEqual(responses.map((response) => response.body.result).sort(), [
        'deferred-at-capacity',
        'launched',
      ]);
      assert.equal(serverJobs().length, 1);
    });

    it('defers when a running Job of the same commit is on the cluster though not in Firestore', async () => {
      await setHead('master', SHA_A);
      const foreign = await createDeployJobOnServer('kf-master-0228-f00', 'deploy-from-elsewhere');
      const id = 'deploy-master-a1a1a1a1a1a1-c';
      await putRequest(db, deployRequest(id));
      const before = Date.now();

      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'deferred-job-running');
      assert.equal(response.body.job, foreign);
      const deferred = await store.getRequest(id);
      assert.equal(deferred?.status, 'deferred');
      assert.match(deferred?.error ?? '', new RegExp(`Job ${foreign} of the same commit is still running`));
      assert.ok((deferred?.notBefore.getTime() ?? 0) >= before + 20 * MINUTE_MS);
      assert.deepEqual(
        serverJobs().map((job) => job.metadata.name),
        [foreign],
      );
      assert.equal((await allDeployments()).length, 0);
    });
  });

  describe('bad and unknown tasks', () => {
    it('a malformed body is 400 for a person and 200 for Cloud Tasks (so it does not loop)', async () => {
      const malformed: Array<{ body: string; type: string }> = [
        { body: 'not json', type: 'text/plain' },
        { body: '{}', type: 'application/json' },
        { body: '[]', type: 'application/json' },
        { body: JSON.stringify({ requestId: 42 }), type: 'application/json' },
        { body: JSON.stringify({ requestId: 'a b/c' }), type: 'application/json' },
      ];
      for (const { body, type } of malformed) {
        const byPerson = await deliver('', { task: null, body, type });
        assert.equal(byPerson.status, 400, body);
        assert.match(String(byPerson.body.error), /requestId/);
        const byTasks = await deliver('', { task: 'task-broken', body, type });
        assert.equal(byTasks.status, 200, body);
      }
      assert.equal(kube.server.requests().length, 0);
      assert.equal((await db.collection('deployRequests').get()).size, 0);
    });

    it('a plan task clears its pending-plan mark and plans its version (a request queued); a plan body with a bad field is refused, 200 for Cloud Tasks', async () => {
      const queue = new MemoryQueue();
      const pending = new FirestorePendingPlanStore(db);
      const plan = { config: CONFIG, store: new FirestorePlanStore(db), queue, clock, logger: silentLogger };
      const gateway = await startGateway({
        deployWorker: createDeployWorkerHandler({
          run: () => Promise.reject(new Error('not a deploy request')),
          work: (task) =>
            task.kind === 'plan'
              ? runPlanTask({ plan, pending }, task)
              : Promise.reject(new Error('no poll here')),
          logger: silentLogger,
        }),
      });
      gateways.push(gateway);
      const to = `${gateway.url}/deployWorker`;
      await setHead('master', SHA_A);
      assert.equal((await pending.markPending('master', clock())).kind, 'marked');
      const body = JSON.stringify({ kind: 'plan', version: 'master', head: SHA_A, deliveryId: 'd-1' });
      const planned = await deliver('', { to, body });
      assert.equal(planned.status, 200, JSON.stringify(planned.body));
      assert.equal((await db.collection('pendingPlans').doc('master').get()).exists, false);
      assert.equal(planned.body.result, 'planned-deploy-new-commit');
      assert.deepEqual(
        queue.tasks.map((task) => task.requestId),
        ['deploy-master-a1a1a1a1a1a1-c'],
      );
      const bad = JSON.stringify({ kind: 'plan', version: 'master', head: SHA_A, extra: 1 });
      assert.equal((await deliver('', { to, body: bad })).status, 200);
      const byPerson = await deliver('', { to, body: bad, task: null });
      assert.equal(byPerson.status, 400);
      assert.match(String(byPerson.body.error), /unexpected field "extra"/);
      assert.equal(queue.tasks.length, 1);
      assert.equal(serverJobs().length, 0);
    });

    /** A plan task's deps as the worker wires them: its pass launches through the worker's use case. */
    function launchingPlan(queue: MemoryQueue) {
      const worker = { config: CONFIG, store, jobs, templates, clock, logger: silentLogger };
      const launch = (request: DeployRequest) => runDeployRequest(worker, request);
      const plan = {
        config: CONFIG,
        store: new FirestorePlanStore(db),
        queue,
        clock,
        logger: silentLogger,
        launch,
      };
      return { worker, plan };
    }

    it('a plan task delivered twice at once launches once: the claim stores the request, one deployment, one Job', async () => {
      const queue = new MemoryQueue();
      const pending = new FirestorePendingPlanStore(db);
      const { worker, plan } = launchingPlan(queue);
      await setHead('master', SHA_A);
      const task = { kind: 'plan', version: 'master', head: SHA_A, deliveryId: 'd-1' } as const;
      const [first, second] = await Promise.all([
        runPlanTask({ plan, pending }, task),
        runPlanTask({ plan, pending }, task),
      ]);
      assert.deepEqual([first.kind, second.kind], ['done', 'done']);
      const id = 'deploy-master-a1a1a1a1a1a1-c';
      const request = await db.collection('deployRequests').doc(id).get();
      assert.equal(request.get('status'), 'done');
      const [deployment, ...others] = await allDeployments();
      assert.equal(others.length, 0, 'one deployment');
      assert.equal(deployment?.status, 'deploying');
      assert.equal(deployment?.requestId, id);
      assert.equal(serverJobs().length, 1);
      assert.equal(jobCreates().length, 1);
      // The delivery whose claim found the other's launch under way (busy) queued the request as a
      // safety net (its holder might die); that task finds it done.
      assert.ok(queue.tasks.length <= 1, `at most one deploy task: ${queue.tasks.length}`);
      for (const queued of queue.tasks) {
        assert.equal((await runDeployRequest(worker, queued.requestId)).result, 'already-done');
      }
      assert.equal(jobCreates().length, 1);
    });

    it('a plan task delivered once launches with no deploy task: the request never queued', async () => {
      const queue = new MemoryQueue();
      const { plan } = launchingPlan(queue);
      await setHead('master', SHA_A);
      const task = { kind: 'plan', version: 'master', head: SHA_A, deliveryId: 'd-1' } as const;
      const outcome = await runPlanTask({ plan, pending: new FirestorePendingPlanStore(db) }, task);
      assert.deepEqual(outcome, { kind: 'done', result: 'planned-deploy-new-commit' });
      const request = await db.collection('deployRequests').doc('deploy-master-a1a1a1a1a1a1-c').get();
      assert.equal(request.get('status'), 'done');
      assert.equal(request.get('enqueueCount'), 0);
      assert.equal(request.get('taskName'), null);
      assert.equal(queue.tasks.length, 0, 'no deploy task');
      assert.equal(jobCreates().length, 1);
      // Stored once the launch is done, saying so (the status page reads the flag, the console the text).
      const decision = (await db.collection('versions').doc('master').get()).get('decision');
      assert.equal(decision.launched, true);
      assert.equal(decision.text, 'deploy a1a1a1a launched (new commit)');
      const read = decisionFromDoc('master', decision);
      assert.ok(read?.kind === 'deploy' && read.launched === true, 'read back as launched');
    });

    it('a claim given a request that is stored already claims the stored one (nothing overwritten)', async () => {
      const id = await enqueuedHeadRequest();
      const stored = await db.collection('deployRequests').doc(id).get();
      const worker = { config: CONFIG, store, jobs, templates, clock, logger: silentLogger };
      const outcome = await runDeployRequest(worker, deployRequest(id, { commit: SHA_B, status: 'pending' }));
      assert.equal(outcome.result, 'launched');
      const [deployment] = await allDeployments();
      assert.equal(deployment?.commit, stored.get('commit'), 'the stored request was launched');
      const after = await db.collection('deployRequests').doc(id).get();
      assert.equal(after.get('status'), 'done');
      assert.equal(after.get('enqueueCount'), stored.get('enqueueCount'));
    });

    it('an unknown request id is 200 and does nothing', async () => {
      const response = await deliver('deploy-master-000000000000-c');
      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'unknown-request');
      assert.equal(serverJobs().length, 0);
      assert.equal((await allDeployments()).length, 0);
    });

    it('answers 405 to anything but POST', async () => {
      const response = await fetch(url, { method: 'GET' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'POST');
    });
  });

  describe('teardown requests', () => {
    const instance = 'kf-master-0301-7ea';
    const id = `teardown-${instance}-0`;

    beforeEach(async () => {
      await putDeployment(db, deployment(instance));
      await putRequest(
        db,
        deployRequest(id, { action: 'teardown', instance, reason: 'superseded by kf-master-0301-8eb' }),
      );
    });

    it('moves the deployment to deleting and creates the teardown Job', async () => {
      const before = Date.now();
      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'teardown-started');
      const [job, ...others] = serverJobs();
      assert.ok(job);
      assert.equal(others.length, 0);
      assert.equal(job.metadata.namespace, NAMESPACE);
      assert.equal(job.metadata.name, `auto-teardown-${instance.slice('kf-'.length)}-1`);
      assert.equal(job.metadata.labels?.[JOB_LABELS.action], 'teardown');
      assert.equal(job.metadata.labels?.[JOB_LABELS.instance], instance);
      assert.equal(job.metadata.labels?.[JOB_LABELS.autoDeploy], 'true');
      assert.equal(job.metadata.labels?.[JOB_LABELS.version], 'master');
      const command = (job.spec.template as { spec: { containers: Array<{ command: string[] }> } }).spec
        .containers[0]?.command;
      assert.ok(command?.includes(`--name=${instance}`), String(command));
      const deleting = await readDeployment(instance);
      assert.equal(deleting?.status, 'deleting');
      assert.equal(deleting?.teardownJobName, job.metadata.name);
      assert.equal(deleting?.launchLeaseExpiresAt, null);
      assert.ok((deleting?.deletingAt?.getTime() ?? 0) >= before);
      assert.equal((await store.getRequest(id))?.status, 'done');
    });

    it('Kubernetes 500: answers 503 and releases the teardown lease; the retry creates the Job', async () => {
      kube.server.injectFaults({ status: 500, method: 'POST', count: 1 });

      const failed = await deliver(id);

      assert.equal(failed.status, 503);
      assert.equal(failed.body.result, 'teardown-failed-transient');
      assert.equal(serverJobs().length, 0);
      const released = await readDeployment(instance);
      assert.equal(released?.status, 'deleting');
      assert.ok((released?.launchLeaseExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY) <= Date.now());

      const retried = await deliver(id);

      assert.equal(retried.status, 200);
      assert.equal(retried.body.result, 'teardown-started');
      assert.equal(serverJobs().length, 1);
      const deleting = await readDeployment(instance);
      assert.equal(deleting?.teardownJobName, serverJobs()[0]?.metadata.name);
      assert.equal(deleting?.deletingAt?.getTime(), released?.deletingAt?.getTime());
    });

    it('Kubernetes 422: answers 200, records the failure and leaves the instance failed for GC to retry', async () => {
      kube.server.injectFaults({ status: 422, method: 'POST', message: 'admission webhook denied the Job' });

      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.result, 'teardown-failed');
      assert.equal(serverJobs().length, 0);
      const failed = await readDeployment(instance);
      assert.equal(failed?.status, 'failed', 'not stuck in deleting');
      assert.match(failed?.error ?? '', /teardown failed: .*admission webhook denied the Job/);
      assert.equal(failed?.launchLeaseExpiresAt, null);
      assert.ok(failed?.deletingAt, 'deletingAt stays: the next teardown attempt gets a new request id');
      const request = await store.getRequest(id);
      assert.equal(request?.status, 'failed');
    });

    it('delivered twice, one after the other: one teardown Job', async () => {
      const first = await deliver(id);
      const second = await deliver(id);
      assert.equal(first.body.result, 'teardown-started');
      assert.equal(second.status, 200);
      assert.equal(second.body.result, 'already-done');
      assert.equal(serverJobs().length, 1);
    });

    it('delivered twice at once: one teardown Job', async () => {
      const responses = await Promise.all([deliver(id), deliver(id)]);
      assert.equal(serverJobs().length, 1, JSON.stringify(responses));
      const job = serverJobs()[0]?.metadata.name;
      assert.equal((await readDeployment(instance))?.teardownJobName, job);
      assert.equal((await store.getRequest(id))?.status, 'done');
    });

    it('delivered again while the first delivery creates the teardown Job: one teardown Job', async () => {
      let duplicate: Delivery | null = null;
      jobs.beforeCreate = async () => {
        jobs.beforeCreate = null;
        duplicate = await deliver(id);
      };

      const first = await deliver(id);

      const second = duplicate as Delivery | null;
      assert.ok(second, 'the duplicate was delivered');
      assert.equal(serverJobs().length, 1, JSON.stringify([first, second]));
      assert.equal(first.status, 200);
      assert.equal(first.body.result, 'teardown-started');
      assert.deepEqual(
        { status: second.status, result: second.body.result },
        { status: 503, result: 'busy' },
      );
      const retried = await deliver(id);
      assert.equal(retried.status, 200);
      assert.equal(retried.body.result, 'already-done');
      assert.equal(serverJobs().length, 1);
      assert.equal((await readDeployment(instance))?.teardownJobName, serverJobs()[0]?.metadata.name);
    });

    it('a retry of a teardown whose Job was created before the worker died adopts that Job', async () => {
      const deletingAt = new Date(Date.now() - 2 * MINUTE_MS);
      await putDeployment(
        db,
        deployment(instance, { status: 'deleting', deletingAt, updatedAt: deletingAt }),
      );
      const existing = await kube.launcher().createJob(NAMESPACE, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          // Named as the dead delivery named it: the teardown Job of the instance's first attempt.
          name: jobName('teardown', instance, 1),
          labels: {
            [JOB_LABELS.autoDeploy]: 'true',
            [JOB_LABELS.action]: 'teardown',
            [JOB_LABELS.instance]: instance,
          },
        },
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'teardown', image: 'busybox' }] },
          },
        },
      });

      const response = await deliver(id);

      assert.equal(response.status, 200);
      assert.equal(response.body.job, existing.name);
      assert.equal(serverJobs().length, 1);
      assert.equal((await readDeployment(instance))?.teardownJobName, existing.name);
    });
  });
});

/**
 * The code paths whose log lines infra/monitoring*.tf counts, run for real on the in-memory ports with a
 * logger that captures every line, each turned into the LogEntry Cloud Logging would store
 * (log-filter.ts). test/unit/infra-monitoring-logs.test.ts evaluates the metrics' filters against them.
 *
 * Each scenario is one thing an operator would want counted (or not): a push that launches, refused
 * deliveries, Jobs that fail or complete, teardowns that fail, failing and passing ticks.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { WebhookVerifier } from '../../functions/adapters/github-payload.js';
import { JOB_LABELS, jobName } from '../../functions/core/job-manifest.js';
import { JobApiError } from '../../functions/core/ports.js';
import type { Deployment, DeploymentsConfig } from '../../functions/core/types.js';
import { createGithubWebhookHandler } from '../../functions/github-webhook.js';
import { createLogger, type Logger } from '../../functions/log.js';
import { createSchedulerTickHandler } from '../../functions/scheduler-tick.js';
import { createPushEvaluator } from '../../functions/use-cases/plan-and-enqueue.js';
import { reconcileCloudInventory } from '../../functions/use-cases/reconcile-inventory.js';
import { refreshDeployments } from '../../functions/use-cases/refresh-deployments.js';
import { runDeployRequest } from '../../functions/use-cases/run-deploy-request.js';
import { runTick } from '../../functions/use-cases/tick.js';
import { verifyInstances } from '../../functions/use-cases/verify-instances.js';
import { buildPushPayload, fakeSha, signDelivery } from '../../scripts/lib/push-payload.js';
import { makeDeployment, makeDeployRequest } from './fixtures.js';
import { type LogEntry, logEntryOf } from './log-filter.js';
import {
  MemoryDeploymentStore,
  MemoryIntakeStore,
  MemoryInventory,
  MemoryLeaseStore,
  MemoryPollStore,
  MemoryProbe,
} from './memory-stores.js';
import { memoryWorld, REPO } from './use-case-fixtures.js';

export const SCENARIO_NOW = new Date('2026-11-30T09:00:00Z');
export const WEBHOOK_SECRET = 'monitoring-test-secret';
/** How long the push scenario's worker runs after the push: its requestToJobMs. */
export const PUSH_TO_WORKER_MS = 3250;

const MINUTE = 60_000;
const ago = (minutes: number) => new Date(SCENARIO_NOW.getTime() - minutes * MINUTE);

/** A logger whose lines become LogEntries (one list per Cloud Run service, as Logging would tag them). */
function capture(service: string): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: createLogger({}, (line) => entries.push(logEntryOf(line, service))), entries };
}

/** The Request and Response the webhook and tick handlers use, in memory. */
function fakeHttp(method: string, headers: Record<string, string> = {}, body = '') {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const req = {
    method,
    rawBody: Buffer.from(body),
    body,
    path: '/',
    get: (name: string) => lower[name.toLowerCase()],
  };
  const answer: { status: number; body: unknown } = { status: 0, body: undefined };
  const res = {
    status(code: number) {
      answer.status = code;
      return res;
    },
    set: () => res,
    json(value: unknown) {
      answer.body = value;
      return res;
    },
  };
  return { req: req as unknown as Request, res: res as unknown as Response, answer };
}

function webhookHandler(world: ReturnType<typeof memoryWorld>, logger: Logger) {
  return createGithubWebhookHandler({
    verifier: new WebhookVerifier([WEBHOOK_SECRET]),
    store: new MemoryIntakeStore(world.state),
    versions: world.config.versions,
    evaluator: createPushEvaluator({ ...world.plan, logger }),
    clock: world.clock.read,
    logger,
  });
}

/** What one followed push did, counted on the in-memory ports (docs/operations.md quotes it). */
export interface PushCounts {
  answer: number;
  tasksEnqueued: number;
  workerRuns: number;
  jobsCreated: number;
}

/** A signed push to master, then the worker running its task PUSH_TO_WORKER_MS later. */
async function pushScenario(): Promise<{ entries: LogEntry[]; counts: PushCounts }> {
  const world = memoryWorld(SCENARIO_NOW);
  const webhook = capture('githubwebhook');
  const worker = capture('deployworker');
  const payload = buildPushPayload({
    repo: REPO,
    ref: 'master',
    before: fakeSha('old'),
    commits: [fakeSha('new')],
  });
  const delivery = await signDelivery('push', payload, WEBHOOK_SECRET, 'delivery-push-1');
  const http = fakeHttp('POST', delivery.headers, delivery.body);
  await webhookHandler(world, webhook.logger)(http.req, http.res);
  world.clock.advanceMinutes(PUSH_TO_WORKER_MS / MINUTE);
  let workerRuns = 0;
  for (const task of world.queue.tasks) {
    workerRuns += 1;
    await runDeployRequest({ ...world.worker, logger: worker.logger }, task.requestId);
  }
  return {
    entries: [...webhook.entries, ...worker.entries],
    counts: {
      answer: http.answer.status,
      tasksEnqueued: world.queue.tasks.length,
      workerRuns,
      jobsCreated: world.jobs.jobs.length,
    },
  };
}

/** Deliveries the webhook refuses (bad signature, not JSON, GET) and one it ignores (another branch). */
async function webhookScenario(): Promise<LogEntry[]> {
  const world = memoryWorld(SCENARIO_NOW);
  const { logger, entries } = capture('githubwebhook');
  const handler = webhookHandler(world, logger);
  const push = buildPushPayload({ repo: REPO, ref: 'master', commits: [fakeSha('x')] });
  const forged = await signDelivery('push', push, 'not-the-secret', 'delivery-forged');
  const notJson = await signDelivery('push', '{"ref": ', WEBHOOK_SECRET, 'delivery-not-json');
  const ignored = await signDelivery(
    'push',
    buildPushPayload({ repo: REPO, ref: 'some-feature', commits: [fakeSha('y')] }),
    WEBHOOK_SECRET,
    'delivery-ignored',
  );
  for (const [method, delivery] of [
    ['POST', forged],
    ['POST', notJson],
    ['GET', { headers: {}, body: '' }],
    ['POST', ignored],
  ] as const) {
    const http = fakeHttp(method, delivery.headers, delivery.body);
    await handler(http.req, http.res);
  }
  return entries;
}

/** The teardown Job of attempt `attempt`, named as the worker names it (the refresh follows it by name). */
async function teardownJob(
  world: ReturnType<typeof memoryWorld>,
  instance: string,
  attempt: number,
  state: 'failed' | 'complete',
) {
  const job = await world.jobs.createJob('auto-deploy', {
    metadata: {
      name: jobName('teardown', instance, attempt),
      labels: {
        [JOB_LABELS.autoDeploy]: 'true',
        [JOB_LABELS.action]: 'teardown',
        [JOB_LABELS.instance]: instance,
      },
    },
  });
  world.jobs.finish(job.name, state, state === 'failed' ? 'BackoffLimitExceeded' : null);
}

async function deployJob(
  world: ReturnType<typeof memoryWorld>,
  instance: string,
  state: 'failed' | 'complete',
) {
  const job = await world.jobs.createJob('auto-deploy', {
    metadata: {
      generateName: `deploy-${instance}-`,
      labels: {
        [JOB_LABELS.autoDeploy]: 'true',
        [JOB_LABELS.action]: 'deploy',
        [JOB_LABELS.instance]: instance,
      },
    },
  });
  world.jobs.finish(job.name, state, state === 'failed' ? 'kfctl exited 1' : null);
  return job.name;
}

function put(
  world: ReturnType<typeof memoryWorld>,
  fields: Partial<Deployment> & Pick<Deployment, 'instance'>,
) {
  world.state.deployments.set(
    fields.instance,
    makeDeployment({ status: 'deploying', createdAt: ago(60), ...fields }),
  );
}

/** The tick's refresh: a deploy Job failed, one completed (ready), a teardown attempt failed, the last one failed. */
async function refreshScenario(): Promise<LogEntry[]> {
  const world = memoryWorld(SCENARIO_NOW);
  const { logger, entries } = capture('schedulertick');
  put(world, {
    instance: 'kf-master-1130-aaa',
    jobName: await deployJob(world, 'kf-master-1130-aaa', 'failed'),
  });
  put(world, {
    instance: 'kf-v1-1130-bbb',
    version: 'v1',
    jobName: await deployJob(world, 'kf-v1-1130-bbb', 'complete'),
  });
  for (const [instance, attempts] of [
    ['kf-master-1129-ccc', 1],
    ['kf-master-1129-ddd', 3],
  ] as const) {
    put(world, { instance, status: 'deleting', deletingAt: ago(30), teardownAttempts: attempts });
    await teardownJob(world, instance, attempts, 'failed');
  }
  await refreshDeployments({
    config: world.config,
    store: new MemoryDeploymentStore(world.state),
    jobs: world.jobs,
    clock: world.clock.read,
    logger,
  });
  return entries;
}

/** The inventory: a completed teardown whose cluster is still listed, after the last attempt. */
async function inventoryScenario(): Promise<LogEntry[]> {
  const base = memoryWorld(SCENARIO_NOW).config;
  const config: DeploymentsConfig = { ...base, inventory: { ...base.inventory, enabled: true } };
  const world = memoryWorld(SCENARIO_NOW, config);
  const { logger, entries } = capture('schedulertick');
  put(world, {
    instance: 'kf-v1-1129-eee',
    version: 'v1',
    status: 'deleting',
    deletingAt: ago(30),
    teardownAttempts: 3,
    teardownFinishedAt: ago(10),
    cluster: { listed: true, checkedAt: ago(5) },
  });
  const inventory = new MemoryInventory();
  inventory.add('kf-v1-1129-eee');
  await reconcileCloudInventory({
    config,
    store: new MemoryDeploymentStore(world.state),
    inventory,
    clock: world.clock.read,
    logger,
  });
  return entries;
}

/** The worker: a launch Kubernetes refuses for good (422), and a teardown it refuses for good (403). */
async function workerFailuresScenario(): Promise<LogEntry[]> {
  const world = memoryWorld(SCENARIO_NOW);
  const { logger, entries } = capture('deployworker');
  world.state.setHead(REPO, 'master', fakeSha('head'));
  const deploy = makeDeployRequest({
    id: 'deploy-master-failing',
    commit: fakeSha('head'),
    status: 'enqueued',
    createdAt: ago(2),
    notBefore: ago(1),
  });
  world.state.requests.set(deploy.id, deploy);
  world.jobs.fail('createJob', new JobApiError('HTTP 422: spec.template invalid', 422, false));
  await runDeployRequest({ ...world.worker, logger }, deploy.id);

  put(world, { instance: 'kf-v1-1128-fff', version: 'v1', status: 'ready', createdAt: ago(600) });
  const teardown = makeDeployRequest({
    id: 'teardown-kf-v1-1128-fff',
    action: 'teardown',
    version: 'v1',
    instance: 'kf-v1-1128-fff',
    status: 'enqueued',
    createdAt: ago(2),
    notBefore: ago(1),
  });
  world.state.requests.set(teardown.id, teardown);
  world.jobs.fail('createJob', new JobApiError('HTTP 403: forbidden', 403, false));
  await runDeployRequest({ ...world.worker, logger }, teardown.id);
  return entries;
}

/** Readiness: an unhealthy instance answers again (ready again, not a new deploy). */
async function recoveryScenario(): Promise<LogEntry[]> {
  const base = memoryWorld(SCENARIO_NOW).config;
  const config: DeploymentsConfig = {
    ...base,
    versions: base.versions.map((v) => ({ ...v, readiness: { ...v.readiness, enabled: true } })),
  };
  const world = memoryWorld(SCENARIO_NOW, config);
  const { logger, entries } = capture('schedulertick');
  put(world, { instance: 'kf-master-1130-ggg', status: 'unhealthy', readyAt: ago(50) });
  const probe = new MemoryProbe();
  probe.answers.set('http://probe/kf-master-1130-ggg', 200);
  await verifyInstances({
    config,
    store: new MemoryDeploymentStore(world.state),
    probe,
    urlTemplate: 'http://probe/{instance}',
    clock: world.clock.read,
    logger,
  });
  return entries;
}

/** Two ticks through the schedulerTick handler: one whose refresh step fails, one that works. */
async function tickScenario(isFailing: boolean): Promise<LogEntry[]> {
  const world = memoryWorld(SCENARIO_NOW);
  const { logger, entries } = capture('schedulertick');
  const intake = new MemoryIntakeStore(world.state);
  const refresh = {
    config: world.config,
    store: new MemoryDeploymentStore(world.state),
    jobs: world.jobs,
    clock: world.clock.read,
    logger,
  };
  put(world, { instance: 'kf-master-1130-hhh', status: 'deploying' });
  if (isFailing) world.jobs.fail('listJobs', new Error('the cluster is unreachable'));
  const tick = () =>
    runTick({
      poll: {
        versions: world.config.versions,
        commits: null,
        pollStore: new MemoryPollStore(world.state),
        intake,
        clock: world.clock.read,
        logger,
      },
      refresh,
      inventory: { ...refresh, inventory: new MemoryInventory() },
      verify: { ...refresh, probe: new MemoryProbe(), urlTemplate: null },
      cleanJobs: refresh,
      leases: {
        store: new MemoryLeaseStore(world.state),
        deployments: refresh.store,
        clock: world.clock.read,
        logger,
      },
      plan: { ...world.plan, logger },
      intake,
      logger,
    });
  const http = fakeHttp('POST');
  await createSchedulerTickHandler({ tick, logger })(http.req, http.res);
  return entries;
}

/** Every scenario's captured entries, by scenario name; and what the push did. */
export async function runLogScenarios(): Promise<{ entries: Map<string, LogEntry[]>; push: PushCounts }> {
  const push = await pushScenario();
  const entries = new Map<string, LogEntry[]>([
    ['push', push.entries],
    ['webhook', await webhookScenario()],
    ['refresh', await refreshScenario()],
    ['inventory', await inventoryScenario()],
    ['workerFailures', await workerFailuresScenario()],
    ['recovery', await recoveryScenario()],
    ['tickFailing', await tickScenario(true)],
    ['tickPassing', await tickScenario(false)],
  ]);
  return { entries, push: push.counts };
}

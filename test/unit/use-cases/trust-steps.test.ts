/** The tick's trust steps on in-memory ports: inventory, readiness probes, and Job cleanup. */
import assert from 'node:assert/strict';
import type { Deployment, DeploymentStatus, DeploymentsConfig } from '../../../functions/core/types.js';
import { silentLogger } from '../../../functions/log.js';
import { cleanFinishedJobs } from '../../../functions/use-cases/clean-jobs.js';
import { reconcileCloudInventory } from '../../../functions/use-cases/reconcile-inventory.js';
import { verifyInstances } from '../../../functions/use-cases/verify-instances.js';
import { makeDeployment } from '../../support/fixtures.js';
import {
  MemoryDeploymentStore,
  MemoryInventory,
  MemoryJobs,
  MemoryProbe,
  MemoryState,
} from '../../support/memory-stores.js';
import { TestClock, useCaseConfig } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const HOUR = 3_600_000;

function config(fields: Partial<DeploymentsConfig> = {}): DeploymentsConfig {
  const base = useCaseConfig();
  const readiness = { ...base.readiness, enabled: true };
  return {
    ...base,
    readiness,
    inventory: { enabled: true, adopt: true },
    versions: base.versions.map((v) => ({ ...v, readiness })),
    ...fields,
  };
}

function dep(instance: string, status: DeploymentStatus, fields: Partial<Deployment> = {}): Deployment {
  return makeDeployment({ instance, status, createdAt: new Date(NOW.getTime() - HOUR), ...fields });
}

describe('tick trust steps (in-memory ports)', () => {
  let state: MemoryState;
  let clock: TestClock;
  let store: MemoryDeploymentStore;

  beforeEach(() => {
    state = new MemoryState();
    clock = new TestClock(NOW);
    store = new MemoryDeploymentStore(state);
  });

  const put = (...deployments: Deployment[]) => {
    for (const d of deployments) state.deployments.set(d.instance, d);
  };
  const statusOf = (instance: string) => state.deployments.get(instance)?.status;

  describe('reconcileCloudInventory', () => {
    it('marks a ready instance whose cluster is gone lost, adopts an unknown one, and records what is listed', async () => {
      const inventory = new MemoryInventory();
      inventory.add('kf-master-1129-bbb');
      inventory.add('kf-v1-1128-0aa', { 'git-manifests': 'd'.repeat(40) });
      put(dep('kf-master-1129-aaa', 'ready'), dep('kf-master-1129-bbb', 'ready'));
      const report = await reconcileCloudInventory({
        config: config(),
        store,
        inventory,
        clock: clock.read,
        logger: silentLogger,
      });
      assert.deepEqual(report, {
        ok: true,
        clusters: 2,
        changed: ['kf-master-1129-aaa: ready -> lost', 'kf-master-1129-bbb: cluster listed'],
        adopted: ['kf-v1-1128-0aa'],
      });
      assert.equal(statusOf('kf-master-1129-aaa'), 'lost');
      assert.equal(state.deployments.get('kf-v1-1128-0aa')?.commit, 'd'.repeat(40));
    });

    it('a failed listing changes nothing: the step fails, no instance is marked lost', async () => {
      const inventory = new MemoryInventory();
      inventory.failNext = 1;
      put(dep('kf-master-1129-aaa', 'ready'));
      await assert.rejects(
        reconcileCloudInventory({
          config: config(),
          store,
          inventory,
          clock: clock.read,
          logger: silentLogger,
        }),
        /PERMISSION_DENIED/,
      );
      assert.equal(statusOf('kf-master-1129-aaa'), 'ready');
    });

    it('does nothing when the inventory is off', async () => {
      const inventory = new MemoryInventory();
      put(dep('kf-master-1129-aaa', 'ready'));
      const off = config({ inventory: { enabled: false, adopt: true } });
      const report = await reconcileCloudInventory({
        config: off,
        store,
        inventory,
        clock: clock.read,
        logger: silentLogger,
      });
      assert.equal(report.skipped, 'inventory disabled');
      assert.equal(statusOf('kf-master-1129-aaa'), 'ready');
    });
  });

  describe('verifyInstances', () => {
    const url = (instance: string) => `https://${instance}.endpoints.kf-ci-test.cloud.goog/`;

    it('probes each instance in service and moves verifying to ready on an expected status', async () => {
      const probe = new MemoryProbe();
      probe.answers.set(url('kf-master-1129-aaa'), 302);
      put(
        dep('kf-master-1129-aaa', 'verifying', { verifyingAt: NOW }),
        dep('kf-master-1129-bbb', 'ready'),
        dep('kf-master-1129-ccc', 'failed'),
      );
      const report = await verifyInstances({
        config: config(),
        store,
        probe,
        urlTemplate: null,
        clock: clock.read,
        logger: silentLogger,
      });
      assert.deepEqual(report, { ok: true, probed: 2, changed: ['kf-master-1129-aaa: verifying -> ready'] });
      assert.deepEqual([...probe.probed].sort(), [url('kf-master-1129-aaa'), url('kf-master-1129-bbb')]);
      assert.equal(state.deployments.get('kf-master-1129-bbb')?.probe?.consecutiveFailures, 1);
    });

    it('READINESS_URL replaces every version template', async () => {
      const probe = new MemoryProbe();
      put(dep('kf-master-1129-aaa', 'ready'));
      await verifyInstances({
        config: config(),
        store,
        probe,
        urlTemplate: 'http://127.0.0.1:9/instances/{instance}/',
        clock: clock.read,
        logger: silentLogger,
      });
      assert.deepEqual(probe.probed, ['http://127.0.0.1:9/instances/kf-master-1129-aaa/']);
    });

    it('with readiness off, a verifying instance is ready at once and nothing is probed', async () => {
      const probe = new MemoryProbe();
      put(dep('kf-master-1129-aaa', 'verifying'));
      const off = useCaseConfig();
      const report = await verifyInstances({
        config: off,
        store,
        probe,
        urlTemplate: null,
        clock: clock.read,
        logger: silentLogger,
      });
      assert.deepEqual(report.changed, ['kf-master-1129-aaa: verifying -> ready']);
      assert.deepEqual(probe.probed, []);
    });
  });

  describe('cleanFinishedJobs', () => {
    it('deletes the finished Jobs past their retention, keeps the rest, and reports a failure', async () => {
      const jobs = new MemoryJobs(() => new Date(NOW.getTime() - 100 * HOUR));
      const labels = (instance: string) => ({
        metadata: {
          name: `job-${instance}`,
          labels: { 'auto-deploy': 'true', 'auto-deploy-action': 'deploy', 'kf-name': instance },
        },
      });
      for (const instance of ['kf-a', 'kf-b', 'kf-c']) await jobs.createJob('auto-deploy', labels(instance));
      jobs.finish('job-kf-a', 'complete');
      jobs.finish('job-kf-c', 'complete');
      for (const job of jobs.jobs) job.finishedAt = new Date(NOW.getTime() - 80 * HOUR);
      put(dep('kf-a', 'ready'), dep('kf-b', 'deploying'), dep('kf-c', 'ready'));
      jobs.fail('deleteJob', new Error('HTTP 503'));
      const report = await cleanFinishedJobs({
        config: useCaseConfig(),
        store,
        jobs,
        clock: clock.read,
        logger: silentLogger,
      });
      assert.equal(report.ok, false);
      assert.deepEqual(report.deleted, ['job-kf-c']);
      assert.deepEqual(report.failed, ['job-kf-a: HTTP 503']);
      assert.deepEqual(jobs.jobs.map((j) => j.name).sort(), ['job-kf-a', 'job-kf-b']);
    });
  });
});

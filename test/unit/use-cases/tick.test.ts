/** The tick's use cases on in-memory ports: poll, refresh, and their composition with plan. */
import assert from 'node:assert/strict';
import { GitHubApiError } from '../../../functions/adapters/github-rest.js';
import { ZERO_SHA } from '../../../functions/core/names.js';
import type { TickHealth } from '../../../functions/core/tick-health.js';
import { silentLogger } from '../../../functions/log.js';
import { pollBranches } from '../../../functions/use-cases/poll-branches.js';
import { refreshDeployments } from '../../../functions/use-cases/refresh-deployments.js';
import { runTick, type TickDeps } from '../../../functions/use-cases/tick.js';
import { makeDeployment } from '../../support/fixtures.js';
import {
  MemoryCommitSource,
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
const NEW = 'b2'.repeat(20);

function found(sha: string, etag: string) {
  return {
    kind: 'found' as const,
    sha,
    etag,
    message: 'Update',
    author: { name: 'Jane', email: null, username: 'jane' },
    timestamp: null,
    url: null,
  };
}

describe('tick use cases (in-memory ports)', () => {
  let world: ReturnType<typeof memoryWorld>;
  let commits: MemoryCommitSource;
  let intake: MemoryIntakeStore;

  beforeEach(() => {
    world = memoryWorld(NOW);
    commits = new MemoryCommitSource();
    intake = new MemoryIntakeStore(world.state);
  });

  const pollDeps = (source: MemoryCommitSource | null = commits) => ({
    versions: world.config.versions,
    commits: source,
    pollStore: new MemoryPollStore(world.state),
    intake,
    clock: world.clock.read,
    logger: silentLogger,
  });
  const refreshDeps = () => ({
    config: world.config,
    store: new MemoryDeploymentStore(world.state),
    jobs: world.jobs,
    clock: world.clock.read,
    logger: silentLogger,
  });
  const leaseDeps = () => ({
    store: new MemoryLeaseStore(world.state),
    deployments: new MemoryDeploymentStore(world.state),
    clock: world.clock.read,
    logger: silentLogger,
  });
  const stepDeps = () => ({
    inventory: { ...refreshDeps(), inventory: new MemoryInventory() },
    verify: { ...refreshDeps(), probe: new MemoryProbe(), urlTemplate: null },
    cleanJobs: refreshDeps(),
  });

  describe('pollBranches', () => {
    it('records a moved head as a push, remembers the ETag, and sends it next time', async () => {
      world.state.setHead(REPO, 'master', SHA);
      world.state.etags.set('kubeflow:manifests:master', 'W/"1"');
      world.state.etagShas.set('kubeflow:manifests:master', SHA);
      commits.answers.set(`${REPO}@master`, found(NEW, 'W/"2"'));
      const report = await pollBranches(pollDeps());
      assert.deepEqual(report, {
        ok: true,
        branches: 2,
        recorded: ['kubeflow:manifests:master'],
        failed: [],
      });
      assert.equal(world.state.heads.get('kubeflow:manifests:master')?.sha, NEW);
      assert.equal(world.state.etags.get('kubeflow:manifests:master'), 'W/"2"');
      assert.equal(world.state.etagShas.get('kubeflow:manifests:master'), NEW, 'the head it answered for');
      assert.deepEqual(commits.asked[0], { repo: REPO, branch: 'master', etag: 'W/"1"' });
    });

    it('a head a push moved since the last answer is asked for unconditionally (a 304 would hide it)', async () => {
      world.state.setHead(REPO, 'master', NEW);
      world.state.etags.set('kubeflow:manifests:master', 'W/"1"');
      world.state.etagShas.set('kubeflow:manifests:master', SHA);
      commits.answers.set(`${REPO}@master`, found(SHA, 'W/"1"'));
      await pollBranches(pollDeps());
      assert.deepEqual(commits.asked[0], { repo: REPO, branch: 'master', etag: null });
      assert.equal(world.state.heads.get('kubeflow:manifests:master')?.sha, SHA, "GitHub's head recorded");
    });

    it('a branch GitHub cannot tell about is reported and kept as recorded; the others are still polled', async () => {
      world.state.setHead(REPO, 'master', SHA);
      commits.answers.set(`${REPO}@master`, new GitHubApiError('HTTP 403: rate limit exceeded', 403));
      commits.answers.set(`${REPO}@v1.0-branch`, found(NEW, 'W/"9"'));
      const report = await pollBranches(pollDeps());
      assert.equal(report.ok, false);
      assert.deepEqual(report.failed, ['kubeflow:manifests:master']);
      assert.deepEqual(report.recorded, ['kubeflow:manifests:v1.0-branch']);
      assert.match(report.error ?? '', /rate limit exceeded/);
      assert.equal(world.state.heads.get('kubeflow:manifests:master')?.sha, SHA);
      assert.equal(world.state.heads.get('kubeflow:manifests:master')?.deleted, false);
    });

    it('a missing branch with a live head is recorded as deleted', async () => {
      world.state.setHead(REPO, 'master', SHA);
      const report = await pollBranches(pollDeps());
      assert.deepEqual(report.recorded, ['kubeflow:manifests:master']);
      const head = world.state.heads.get('kubeflow:manifests:master');
      assert.deepEqual([head?.sha, head?.deleted], [SHA, true]);
      assert.notEqual(head?.sha, ZERO_SHA);
    });

    it('is skipped without a commit source', async () => {
      const report = await pollBranches(pollDeps(null));
      assert.deepEqual(report, {
        ok: true,
        skipped: 'no commit source configured',
        branches: 0,
        recorded: [],
        failed: [],
      });
    });
  });

  describe('refreshDeployments', () => {
    it('follows a completed deploy Job to ready; a deployment changed meanwhile is left alone', async () => {
      const created = await world.jobs.createJob('auto-deploy', {
        metadata: {
          generateName: 'auto-deploy-master-',
          labels: { 'auto-deploy': 'true', 'auto-deploy-action': 'deploy', 'kf-name': 'kf-master-1129-abc' },
        },
      });
      world.jobs.finish(created.name, 'complete');
      const deploying = makeDeployment({
        instance: 'kf-master-1129-abc',
        status: 'deploying',
        jobName: created.name,
        createdAt: new Date(NOW.getTime() - 60_000),
      });
      world.state.deployments.set(deploying.instance, deploying);
      const report = await refreshDeployments(refreshDeps());
      assert.deepEqual(report, { ok: true, followed: 1, changed: ['kf-master-1129-abc'] });
      assert.equal(world.state.deployments.get('kf-master-1129-abc')?.status, 'ready');
      assert.deepEqual(world.state.deployments.get('kf-master-1129-abc')?.readyAt, NOW);
    });

    it("follows a teardown attempt's own Job only: the earlier attempt's finished Job does not end it", async () => {
      const labels = {
        'auto-deploy': 'true',
        'auto-deploy-action': 'teardown',
        'kf-name': 'kf-master-1129-abc',
      };
      const first = await world.jobs.createJob('auto-deploy', {
        metadata: { name: 'auto-teardown-master-1129-abc-1', labels },
      });
      world.jobs.finish(first.name, 'complete');
      // Attempt 2 is claimed (deleting), its Job not created yet.
      const deleting = makeDeployment({
        instance: 'kf-master-1129-abc',
        status: 'deleting',
        deletingAt: NOW,
        teardownAttempts: 2,
        teardownJobName: null,
        createdAt: new Date(NOW.getTime() - 60_000),
      });
      world.state.deployments.set(deleting.instance, deleting);
      assert.deepEqual(await refreshDeployments(refreshDeps()), { ok: true, followed: 1, changed: [] });
      assert.equal(world.state.deployments.get(deleting.instance)?.teardownFinishedAt ?? null, null);

      // Its own Job finishes: now it is followed.
      const second = await world.jobs.createJob('auto-deploy', {
        metadata: { name: 'auto-teardown-master-1129-abc-2', labels },
      });
      world.jobs.finish(second.name, 'complete');
      assert.deepEqual(await refreshDeployments(refreshDeps()), {
        ok: true,
        followed: 1,
        changed: [deleting.instance],
      });
      assert.equal(world.state.deployments.get(deleting.instance)?.teardownJobName, second.name);
    });
  });

  describe('runTick', () => {
    it('runs every step even when one throws, and reports that one as failed', async () => {
      world.state.setHead(REPO, 'master', SHA);
      world.state.deployments.set(
        'kf-master-1129-abc',
        makeDeployment({ instance: 'kf-master-1129-abc', status: 'deploying', createdAt: NOW }),
      );
      world.jobs.fail('listJobs', new Error('the cluster is unreachable'));
      const report = await runTick({
        poll: pollDeps(null),
        refresh: refreshDeps(),
        ...stepDeps(),
        leases: leaseDeps(),
        plan: world.plan,
        intake,
        logger: silentLogger,
      });
      assert.equal(report.ok, false);
      assert.deepEqual(report.refresh, { ok: false, error: 'the cluster is unreachable' });
      assert.equal(report.poll.ok, true);
      assert.equal(report.leases.ok, true);
      assert.equal(report.plan.ok, true);
      // The plan step still ran after the refresh failed.
      assert.equal(world.state.calls.get('syncVersions'), 1);
      assert.equal(world.state.calls.get('readSnapshot'), 1);
    });

    const tickDeps = (health: TickDeps['health']): TickDeps => ({
      poll: pollDeps(),
      refresh: refreshDeps(),
      ...stepDeps(),
      leases: leaseDeps(),
      plan: world.plan,
      intake,
      health,
      logger: silentLogger,
    });

    it('records its health after the steps: when it ran and what went wrong, in words', async () => {
      world.state.setHead(REPO, 'master', SHA);
      commits.answers.set(
        `${REPO}@master`,
        new GitHubApiError('GitHub answered 403: rate limit exhausted', 403),
      );
      const written: TickHealth[] = [];
      const report = await runTick(
        tickDeps({ writeTickHealth: async (health) => void written.push(health) }),
      );
      assert.equal(report.ok, false);
      assert.equal(report.health, undefined);
      assert.equal(written.length, 1);
      assert.deepEqual(written[0], {
        ranAt: NOW,
        ok: false,
        problems: [
          {
            step: 'poll',
            severity: 'error',
            message:
              'GitHub could not tell about kubeflow/manifests@master (GitHub answered 403: rate limit exhausted); the recorded heads are kept',
          },
        ],
      });
    });

    it("a failed health write is reported and answers 500, the steps' report kept as it was", async () => {
      const report = await runTick(
        tickDeps({
          writeTickHealth: async () => {
            throw new Error('firestore unavailable');
          },
        }),
      );
      assert.deepEqual(report.health, { ok: false, error: 'firestore unavailable' });
      assert.equal(report.ok, false);
      assert.equal(report.poll.ok, true);
      assert.equal(report.plan.ok, true);
    });
  });
});

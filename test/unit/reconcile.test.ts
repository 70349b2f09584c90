import assert from 'node:assert/strict';
import { LAUNCH_LEASE_SECONDS } from '../../functions/core/launch.js';
import { newestJobOf, reconcileDeployment } from '../../functions/core/reconcile.js';
import type { Deployment, DeploymentStatus, JobSummary } from '../../functions/core/types.js';
import { makeDeployment, TEST_POLICY } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const HEAD = 'a'.repeat(40);

const ago = (ms: number): Date => new Date(NOW.getTime() - ms);

function dep(instance: string, status: DeploymentStatus, overrides: Partial<Deployment> = {}): Deployment {
  return makeDeployment({
    instance,
    status,
    commit: HEAD,
    jobName: `job-${instance}`,
    kfctlUrl: 'https://example.com/kfctl',
    kfDefUrl: 'https://example.com/kfdef.yaml',
    createdAt: ago(HOUR),
    ...overrides,
  });
}

function job(name: string, state: JobSummary['state'], message: string | null = null): JobSummary {
  return { name, namespace: 'auto-deploy', labels: {}, state, createdAt: ago(HOUR), message };
}

describe('reconcileDeployment', () => {
  const leaseAhead = new Date(NOW.getTime() + MINUTE);
  const cases: Array<{
    name: string;
    d: Deployment;
    deployJob?: JobSummary;
    teardownJob?: JobSummary;
    expected: Partial<Deployment> | null;
  }> = [
    {
      name: 'launching + Job running -> deploying (lease released, Job name learnt)',
      d: dep('x', 'launching', { jobName: null, launchLeaseExpiresAt: leaseAhead }),
      deployJob: job('auto-deploy-master-abc', 'running'),
      expected: {
        jobName: 'auto-deploy-master-abc',
        launchLeaseExpiresAt: null,
        status: 'deploying',
        updatedAt: NOW,
        error: null,
      },
    },
    {
      name: 'launching + Job complete -> ready',
      d: dep('x', 'launching', { launchLeaseExpiresAt: leaseAhead }),
      deployJob: job('job-x', 'complete'),
      expected: {
        launchLeaseExpiresAt: null,
        status: 'ready',
        readyAt: NOW,
        finishedAt: NOW,
        updatedAt: NOW,
        error: null,
      },
    },
    {
      name: 'launching + no Job while the lease holds -> unchanged (the worker may still be creating it)',
      d: dep('x', 'launching', { jobName: null, launchLeaseExpiresAt: leaseAhead }),
      expected: null,
    },
    {
      name: 'launching + no Job, lease expiring exactly now -> unchanged',
      d: dep('x', 'launching', { jobName: null, launchLeaseExpiresAt: NOW }),
      expected: null,
    },
    {
      name: 'launching + no Job, lease expired -> lost',
      d: dep('x', 'launching', { jobName: null, launchLeaseExpiresAt: new Date(NOW.getTime() - 1) }),
      expected: {
        status: 'lost',
        launchLeaseExpiresAt: null,
        updatedAt: NOW,
        finishedAt: NOW,
        error: 'the launch lease expired before a deploy Job was seen (the worker stopped while launching)',
      },
    },
    {
      name: 'launching + no Job and no lease: the lease counts from createdAt',
      d: dep('x', 'launching', { jobName: null, createdAt: ago(LAUNCH_LEASE_SECONDS * 1000 - 1) }),
      expected: null,
    },
    {
      name: 'deploying + Job running -> unchanged',
      d: dep('x', 'deploying'),
      deployJob: job('job-x', 'running'),
      expected: null,
    },
    {
      name: 'deploying + Job complete -> ready',
      d: dep('x', 'deploying'),
      deployJob: job('job-x', 'complete'),
      expected: { status: 'ready', readyAt: NOW, finishedAt: NOW, updatedAt: NOW, error: null },
    },
    {
      name: "deploying + Job failed -> failed with the Job's message",
      d: dep('x', 'deploying'),
      deployJob: job('job-x', 'failed', 'BackoffLimitExceeded: Job has reached the specified backoff limit'),
      expected: {
        status: 'failed',
        finishedAt: NOW,
        updatedAt: NOW,
        error: 'deploy Job job-x failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
      },
    },
    {
      name: 'deploying + Job failed without a message',
      d: dep('x', 'deploying'),
      deployJob: job('job-x', 'failed'),
      expected: {
        status: 'failed',
        finishedAt: NOW,
        updatedAt: NOW,
        error: 'deploy Job job-x failed: no reason given',
      },
    },
    {
      name: 'deploying + Job gone -> lost',
      d: dep('x', 'deploying'),
      expected: {
        status: 'lost',
        updatedAt: NOW,
        finishedAt: NOW,
        error: 'deploy Job job-x disappeared before it finished',
      },
    },
    {
      name: 'lost + Job shows up running -> deploying again',
      d: dep('x', 'lost', { error: 'lease expired' }),
      deployJob: job('job-x', 'running'),
      expected: { status: 'deploying', updatedAt: NOW, error: null },
    },
    { name: 'lost + still no Job -> unchanged', d: dep('x', 'lost'), expected: null },
    { name: 'ready + Job gone (TTL) -> stays ready', d: dep('x', 'ready'), expected: null },
    {
      name: 'ready + Job complete -> unchanged',
      d: dep('x', 'ready'),
      deployJob: job('job-x', 'complete'),
      expected: null,
    },
    {
      name: 'failed stays failed',
      d: dep('x', 'failed'),
      deployJob: job('job-x', 'complete'),
      expected: null,
    },
    {
      name: 'deleting + teardown complete -> deleted',
      d: dep('x', 'deleting', { teardownJobName: 'td-x' }),
      teardownJob: job('td-x', 'complete'),
      expected: { status: 'deleted', deletedAt: NOW, updatedAt: NOW, teardownJobName: 'td-x' },
    },
    {
      // Issue 7: a failed teardown is a counted attempt, tried again after a backoff.
      name: 'deleting + teardown failed -> failed, collected again after the backoff (attempt 1 of 3)',
      d: dep('x', 'deleting', { teardownJobName: 'td-x', teardownAttempts: 1 }),
      teardownJob: job('td-x', 'failed', 'quota exceeded'),
      expected: {
        status: 'failed',
        launchLeaseExpiresAt: null,
        updatedAt: NOW,
        nextTeardownAt: new Date(NOW.getTime() + 20 * MINUTE),
        teardownJobName: 'td-x',
        error: 'teardown attempt 1 of 3 failed: the teardown Job td-x failed: quota exceeded',
      },
    },
    {
      name: 'deleting + the last teardown attempt failed -> teardown-failed, never silently deleted',
      d: dep('x', 'deleting', { teardownJobName: 'td-x', teardownAttempts: 3 }),
      teardownJob: job('td-x', 'failed', 'quota exceeded'),
      expected: {
        status: 'teardown-failed',
        launchLeaseExpiresAt: null,
        updatedAt: NOW,
        nextTeardownAt: null,
        teardownJobName: 'td-x',
        error:
          'teardown failed 3 times, last: the teardown Job td-x failed: quota exceeded; the instance may still hold cloud resources: tear it down by hand',
      },
    },
    {
      name: 'deleting + teardown running -> unchanged',
      d: dep('x', 'deleting', { teardownJobName: 'td-x' }),
      teardownJob: job('td-x', 'running'),
      expected: null,
    },
    {
      name: 'deleting + teardown running, name not yet recorded -> records it',
      d: dep('x', 'deleting'),
      teardownJob: job('td-x', 'running'),
      expected: { teardownJobName: 'td-x', updatedAt: NOW },
    },
    {
      name: 'deleting + no teardown Job recorded or listed yet (the worker is creating it) -> unchanged',
      d: dep('x', 'deleting'),
      expected: null,
    },
    {
      // Issue 7 follow-up: it used to stay deleting forever when its teardown Job was deleted while running.
      name: 'deleting + its recorded teardown Job vanished before it finished -> a failed attempt, tried again',
      d: dep('x', 'deleting', { teardownJobName: 'td-x', teardownAttempts: 1 }),
      expected: {
        status: 'failed',
        launchLeaseExpiresAt: null,
        updatedAt: NOW,
        nextTeardownAt: new Date(NOW.getTime() + 20 * MINUTE),
        error: 'teardown attempt 1 of 3 failed: the teardown Job td-x disappeared before it finished',
      },
    },
    {
      name: 'deleting + teardown seen finished, Job since cleaned (inventory on) -> unchanged',
      d: dep('x', 'deleting', { teardownJobName: 'td-x', teardownFinishedAt: NOW }),
      expected: null,
    },
    {
      name: 'deleting ignores the deploy Job',
      d: dep('x', 'deleting', { teardownJobName: 'td-x' }),
      deployJob: job('job-x', 'failed', 'x'),
      teardownJob: job('td-x', 'running'),
      expected: null,
    },
    {
      name: 'deleted stays deleted',
      d: dep('x', 'deleted'),
      teardownJob: job('td-x', 'failed', 'x'),
      expected: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const options = { readiness: false, inventory: false, policy: TEST_POLICY };
      assert.deepEqual(
        reconcileDeployment(c.d, c.deployJob ?? null, c.teardownJob ?? null, NOW, options),
        c.expected,
      );
    });
  }
});

describe('newestJobOf', () => {
  const labelled = (name: string, instance: string, action: string, createdAt: Date | null): JobSummary => ({
    ...job(name, 'running'),
    labels: { 'kf-name': instance, 'auto-deploy-action': action },
    createdAt,
  });
  const jobs = [
    labelled('deploy-old', 'kf-a', 'deploy', ago(2 * HOUR)),
    labelled('deploy-new', 'kf-a', 'deploy', ago(HOUR)),
    labelled('teardown', 'kf-a', 'teardown', ago(MINUTE)),
    labelled('other-instance', 'kf-b', 'deploy', NOW),
  ];

  it('picks the newest Job of the instance for the action', () => {
    assert.equal(newestJobOf(jobs, 'kf-a', 'deploy')?.name, 'deploy-new');
    assert.equal(newestJobOf(jobs, 'kf-a', 'teardown')?.name, 'teardown');
  });

  it('is null when the instance has no Job for the action', () => {
    assert.equal(newestJobOf(jobs, 'kf-b', 'teardown'), null);
    assert.equal(newestJobOf([], 'kf-a', 'deploy'), null);
  });
});

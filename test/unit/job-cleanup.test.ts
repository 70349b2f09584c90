import assert from 'node:assert/strict';
import { jobsToDelete } from '../../functions/core/job-cleanup.js';
import type { Deployment, DeploymentStatus, JobSummary } from '../../functions/core/types.js';
import { makeDeployment, TEST_POLICY } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const HOUR = 3_600_000;

function job(
  name: string,
  action: 'deploy' | 'teardown',
  instance: string,
  state: JobSummary['state'],
  finishedHoursAgo: number | null,
): JobSummary {
  return {
    name,
    namespace: 'auto-deploy',
    labels: {
      'auto-deploy': 'true',
      'auto-deploy-action': action,
      'kf-name': instance,
      'auto-version-name': 'master',
    },
    state,
    createdAt: new Date(NOW.getTime() - 100 * HOUR),
    finishedAt: finishedHoursAgo === null ? null : new Date(NOW.getTime() - finishedHoursAgo * HOUR),
    message: null,
  };
}
const dep = (instance: string, status: DeploymentStatus, fields: Partial<Deployment> = {}) =>
  makeDeployment({ instance, status, createdAt: new Date(NOW.getTime() - 100 * HOUR), ...fields });

describe('jobsToDelete', () => {
  const policyOf = () => TEST_POLICY; // jobRetentionHours: 72
  const names = (jobs: JobSummary[], deployments: Deployment[]) =>
    jobsToDelete(jobs, deployments, policyOf, NOW).map((j) => j.name);

  it('deletes a finished deploy Job of a ready instance after jobRetentionHours (strict)', () => {
    const ready = [dep('kf-a', 'ready')];
    assert.deepEqual(names([job('old', 'deploy', 'kf-a', 'complete', 72.01)], ready), ['old']);
    assert.deepEqual(names([job('edge', 'deploy', 'kf-a', 'complete', 72)], ready), []);
  });

  it('never deletes a running Job, however old', () => {
    assert.deepEqual(names([job('r', 'deploy', 'kf-a', 'running', null)], [dep('kf-a', 'ready')]), []);
  });

  it('keeps the deploy Job of a record that still follows it (launching, deploying, lost)', () => {
    for (const status of ['launching', 'deploying', 'lost'] as const) {
      assert.deepEqual(names([job('j', 'deploy', 'kf-a', 'failed', 100)], [dep('kf-a', status)]), [], status);
    }
  });

  it("keeps the current teardown Job of a deleting record, but not an earlier attempt's", () => {
    const deleting = [dep('kf-a', 'deleting', { teardownJobName: 'td-2' })];
    assert.deepEqual(
      names(
        [job('td-1', 'teardown', 'kf-a', 'complete', 100), job('td-2', 'teardown', 'kf-a', 'complete', 100)],
        deleting,
      ),
      ['td-1'],
    );
  });

  it('deletes the finished Jobs of an instance no record knows any more', () => {
    assert.deepEqual(names([job('orphan', 'teardown', 'kf-gone', 'complete', 80)], []), ['orphan']);
  });
});

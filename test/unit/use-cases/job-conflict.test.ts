/**
 * A 409 on creating a Job (found by the fault tier, test/fault/kubernetes.fault.test.ts): it used to be
 * a permanent failure, so a deploy whose Job another delivery had just created was recorded `failed`.
 * Kubernetes says the Job exists: adopt it when it is found by its labels, else retry.
 */
import assert from 'node:assert/strict';
import { JobApiError, type JobLauncher } from '../../../functions/core/ports.js';
import type { DeployRequest } from '../../../functions/core/types.js';
import { runDeployRequest } from '../../../functions/use-cases/run-deploy-request.js';
import { makeDeployRequest } from '../../support/fixtures.js';
import { memoryWorld, REPO } from '../../support/use-case-fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'a1'.repeat(20);
const MINUTE = 60_000;
const CONFLICT = new JobApiError('jobs.batch "x" already exists (HTTP 409 AlreadyExists)', 409, false);

function request(): DeployRequest {
  return makeDeployRequest({
    id: 'deploy-master-a1a1a1a1a1a1-c',
    commit: SHA,
    status: 'enqueued',
    enqueueCount: 1,
    createdAt: new Date(NOW.getTime() - 2 * MINUTE),
    notBefore: new Date(NOW.getTime() - MINUTE),
  });
}

describe('runDeployRequest: 409 on create', () => {
  const cases: Array<{
    name: string;
    /** Whether the Job really exists when Kubernetes answers 409 (another delivery created it). */
    isJobCreatedMeanwhile: boolean;
    /** `error`: the deployment's error, null or matching (a retried launch shows why it retries). */
    expect: { outcome: string; status: string; jobs: number; requestStatus: string; error: RegExp | null };
  }> = [
    {
      name: 'the Job another delivery created meanwhile is adopted: launched, one Job',
      isJobCreatedMeanwhile: true,
      expect: { outcome: 'launched', status: 'deploying', jobs: 1, requestStatus: 'done', error: null },
    },
    {
      name: 'a 409 with no Job to be found is retried, never recorded as a failed deploy',
      isJobCreatedMeanwhile: false,
      expect: {
        outcome: 'launch-failed-transient',
        status: 'launching',
        jobs: 0,
        requestStatus: 'enqueued',
        error: /^launch failed, retrying: .*409/,
      },
    },
  ];
  for (const { name, isJobCreatedMeanwhile, expect } of cases) {
    it(name, async () => {
      const world = memoryWorld(NOW);
      world.state.setHead(REPO, 'master', SHA);
      world.state.requests.set(request().id, request());
      const racing: JobLauncher = {
        listJobs: (namespace, labels) => world.jobs.listJobs(namespace, labels),
        deleteJob: (namespace, jobName) => world.jobs.deleteJob(namespace, jobName),
        createJob: async (namespace, manifest) => {
          if (isJobCreatedMeanwhile) await world.jobs.createJob(namespace, manifest);
          throw CONFLICT;
        },
      };
      const outcome = await runDeployRequest({ ...world.worker, jobs: racing }, request().id);
      assert.equal(outcome.result, expect.outcome);
      const [deployment, ...others] = [...world.state.deployments.values()];
      assert.equal(others.length, 0);
      assert.equal(deployment?.status, expect.status);
      if (expect.error === null) assert.equal(deployment?.error ?? null, null);
      else assert.match(deployment?.error ?? '', expect.error);
      assert.equal(world.jobs.jobs.length, expect.jobs);
      if (expect.jobs === 1) assert.equal(deployment?.jobName, world.jobs.jobs[0]?.name);
      assert.equal(world.state.requests.get(request().id)?.status, expect.requestStatus);
    });
  }
});

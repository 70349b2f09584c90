/** core/github-deployments.ts: the GitHub state each status calls for; the next call given what is posted. */
import assert from 'node:assert/strict';
import {
  claimGitHubSync,
  EMPTY_GITHUB_RECORD,
  findOwnDeployment,
  GITHUB_DESCRIPTION_MAX_CHARS,
  GITHUB_SYNC_LEASE_SECONDS,
  type GitHubStatusRequest,
  type GitHubStep,
  type GitHubSyncSettings,
  githubDeploymentRequest,
  githubDescription,
  jobConsoleUrl,
  nextGitHubStep,
  settleGitHubSync,
} from '../../functions/core/github-deployments.js';
import type {
  Deployment,
  DeploymentStatus,
  GitHubDeploymentRecord,
  GitHubDeploymentState,
} from '../../functions/core/types.js';
import { launchedFields, makeDeployment } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const SHA = 'c3'.repeat(20);
const INSTANCE = 'kf-master-1129-3a7';
const CLUSTER = { project: 'kf-ci', location: 'us-east1-d', cluster: 'kubeflow-testing' };
const WITH_CLUSTER: GitHubSyncSettings = { cluster: CLUSTER };
const JOB = 'auto-deploy-master-x7k2p';
const TEARDOWN_JOB = 'auto-teardown-master-q9z1r';
const DEPLOY_LOGS = `https://console.cloud.google.com/kubernetes/job/us-east1-d/kubeflow-testing/auto-deploy/${JOB}/details?project=kf-ci`;
const TEARDOWN_LOGS = `https://console.cloud.google.com/kubernetes/job/us-east1-d/kubeflow-testing/auto-deploy/${TEARDOWN_JOB}/details?project=kf-ci`;
const ENDPOINT = `https://${INSTANCE}.endpoints.kf-ci.cloud.goog`;

const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

/** A deployment of master at SHA with its Jobs; `status` may be one the type does not know yet. */
function deployment(status: string, fields: Partial<Deployment> = {}): Deployment {
  return makeDeployment({
    instance: INSTANCE,
    ...launchedFields(INSTANCE, SHA, { project: 'kf-ci', namespace: 'auto-deploy' }),
    status: status as DeploymentStatus,
    createdAt: minutes(-30),
    jobName: JOB,
    teardownJobName: TEARDOWN_JOB,
    ...fields,
  });
}

function posted(state: GitHubDeploymentState | null, fields: Partial<GitHubDeploymentRecord> = {}) {
  return { ...EMPTY_GITHUB_RECORD, deploymentId: 42, state, postedAt: minutes(-5), ...fields };
}

/** What a case expects: the action, and of the status sent (when one is), what it names. */
interface StatusExpectation {
  action: string;
  description?: string | RegExp;
  logUrl?: string;
  environmentUrl?: string;
}

/** The step in short: `create <state>`, `post <state>` or `none`, with the status sent. */
function summary(step: GitHubStep) {
  if (step.kind === 'none') return { action: 'none' };
  return { action: `${step.kind} ${step.status.state}`, status: step.status };
}

describe('GitHub deployments (core)', () => {
  describe('nextGitHubStep: what each status calls for', () => {
    const cases: Array<{
      name: string;
      d: Deployment;
      settings?: GitHubSyncSettings;
      expected: StatusExpectation;
    }> = [
      {
        name: 'launching, Job not created yet: nothing',
        d: deployment('launching', { jobName: null }),
        expected: { action: 'none' },
      },
      {
        name: 'launching with its Job: create, in_progress, log_url to the Job',
        d: deployment('launching'),
        expected: {
          action: 'create in_progress',
          description: `deploy Job ${JOB} is running`,
          logUrl: DEPLOY_LOGS,
        },
      },
      {
        name: 'deploying: create, in_progress',
        d: deployment('deploying'),
        expected: { action: 'create in_progress', logUrl: DEPLOY_LOGS },
      },
      {
        name: 'deploying without a named GKE cluster: no log_url',
        d: deployment('deploying'),
        settings: { cluster: null },
        expected: { action: 'create in_progress' },
      },
      {
        name: 'verifying, in_progress posted: nothing',
        d: deployment('verifying', { github: posted('in_progress') }),
        expected: { action: 'none' },
      },
      {
        name: 'verifying, nothing posted: create, in_progress',
        d: deployment('verifying'),
        expected: {
          action: 'create in_progress',
          description: 'the instance is being verified',
          logUrl: DEPLOY_LOGS,
        },
      },
      {
        name: 'ready after in_progress: post success with the endpoint',
        d: deployment('ready', { github: posted('in_progress') }),
        expected: { action: 'post success', environmentUrl: ENDPOINT, logUrl: DEPLOY_LOGS },
      },
      {
        name: 'ready, never shown: create, success',
        d: deployment('ready'),
        expected: { action: 'create success', environmentUrl: ENDPOINT },
      },
      {
        name: 'ready, success posted: nothing',
        d: deployment('ready', { github: posted('success') }),
        expected: { action: 'none' },
      },
      {
        name: 'unhealthy: error with the reason',
        d: deployment('unhealthy', { github: posted('success'), error: 'health check failed: 502' }),
        expected: { action: 'post error', description: 'unhealthy: health check failed: 502' },
      },
      {
        name: 'ready again after unhealthy: success again',
        d: deployment('ready', { github: posted('error') }),
        expected: { action: 'post success', environmentUrl: ENDPOINT },
      },
      {
        name: 'failed: failure with the error, cut to 140 characters',
        d: deployment('failed', {
          github: posted('in_progress'),
          error: `deploy Job ${JOB} failed: ${'x'.repeat(300)}`,
        }),
        expected: { action: 'post failure', description: new RegExp(`^deploy Job ${JOB} failed: x+…$`) },
      },
      {
        name: 'lost: error',
        d: deployment('lost', { github: posted('in_progress'), error: null }),
        expected: { action: 'post error', description: 'the deploy Job vanished' },
      },
      {
        name: 'teardown-failed: error, log_url to the teardown Job',
        d: deployment('teardown-failed', { github: posted('success'), error: 'teardown failed: quota' }),
        expected: { action: 'post error', description: 'teardown failed: quota', logUrl: TEARDOWN_LOGS },
      },
      {
        name: 'deleting: keeps what was posted',
        d: deployment('deleting', { github: posted('success') }),
        expected: { action: 'none' },
      },
      {
        name: 'deleted: inactive, log_url to the teardown Job',
        d: deployment('deleted', { github: posted('success') }),
        expected: {
          action: 'post inactive',
          description: 'the instance was torn down',
          logUrl: TEARDOWN_LOGS,
        },
      },
      {
        name: 'deleted, created but no state posted yet: inactive',
        d: deployment('deleted', { github: posted(null) }),
        expected: { action: 'post inactive' },
      },
      {
        name: 'deleted, never shown: nothing to deactivate',
        d: deployment('deleted'),
        expected: { action: 'none' },
      },
      {
        name: 'deleted, inactive posted: nothing',
        d: deployment('deleted', { github: posted('inactive') }),
        expected: { action: 'none' },
      },
      { name: 'adopted: not our launch, nothing', d: deployment('adopted'), expected: { action: 'none' } },
      {
        name: 'a status with no rule yet: nothing',
        d: deployment('hibernating'),
        expected: { action: 'none' },
      },
      {
        name: 'a status named like an Object method: nothing',
        d: deployment('toString'),
        expected: { action: 'none' },
      },
      {
        name: 'another sync holds the lease: nothing',
        d: deployment('ready', { github: posted('in_progress', { leaseExpiresAt: minutes(1) }) }),
        expected: { action: 'none' },
      },
      {
        name: 'a lease that expired: act',
        d: deployment('ready', { github: posted('in_progress', { leaseExpiresAt: minutes(-1) }) }),
        expected: { action: 'post success', environmentUrl: ENDPOINT },
      },
      {
        name: 'rate-limited until later: nothing',
        d: deployment('ready', {
          github: posted('in_progress', { retryAt: minutes(10), error: 'rate limit' }),
        }),
        expected: { action: 'none' },
      },
      {
        name: 'rate limit reset passed: act',
        d: deployment('ready', {
          github: posted('in_progress', { retryAt: minutes(-1), error: 'rate limit' }),
        }),
        expected: { action: 'post success', environmentUrl: ENDPOINT },
      },
      {
        name: 'an earlier failure without a reset: retried',
        d: deployment('failed', {
          github: posted(null, { deploymentId: null, error: '500', attempts: 3 }),
          error: 'boom',
        }),
        expected: { action: 'create failure', description: 'boom' },
      },
    ];

    /** The status sent against what the case expects of it. */
    function assertStatus(status: GitHubStatusRequest, expected: StatusExpectation, noCluster: boolean) {
      assert.equal(status.auto_inactive, false);
      if ('logUrl' in expected || noCluster) assert.equal(status.log_url, expected.logUrl);
      assert.equal(status.environment_url, expected.environmentUrl);
      const { description } = expected;
      if (typeof description === 'string') assert.equal(status.description, description);
      if (description instanceof RegExp) assert.match(status.description, description);
      assert.ok(status.description.length <= GITHUB_DESCRIPTION_MAX_CHARS, status.description);
    }

    for (const { name, d, settings, expected } of cases) {
      it(name, () => {
        const step = nextGitHubStep(d, NOW, settings ?? WITH_CLUSTER);
        const { action, status } = summary(step);
        assert.equal(action, expected.action, step.kind === 'none' ? step.reason : undefined);
        if (status) assertStatus(status, expected, settings?.cluster === null);
      });
    }

    it('carries the repository and, for a recorded deployment, its id', () => {
      const step = nextGitHubStep(deployment('ready', { github: posted('in_progress') }), NOW, WITH_CLUSTER);
      assert.equal(step.kind, 'post');
      assert.deepEqual(step.kind === 'post' && [step.repo, step.deploymentId], ['kubeflow/manifests', 42]);
    });
  });

  describe('the GitHub deployment of a launch', () => {
    it('is of the full sha, in auto-deploy/<version>, transient, not production, never merged, no contexts, naming the instance', () => {
      assert.deepEqual(githubDeploymentRequest(deployment('deploying')), {
        ref: SHA,
        task: 'deploy',
        environment: 'auto-deploy/master',
        description: `Kubeflow instance ${INSTANCE}`,
        transient_environment: true,
        production_environment: false,
        auto_merge: false,
        required_contexts: [],
        payload: { instance: INSTANCE, version: 'master', requestId: `req-${INSTANCE}` },
      });
    });

    it('is found again by the instance its payload names (the oldest when several), else none', () => {
      const listed = [
        { id: 9, instance: 'kf-master-1129-bbb' },
        { id: 7, instance: INSTANCE },
        { id: 5, instance: INSTANCE },
        { id: 3, instance: null },
      ];
      assert.equal(findOwnDeployment(listed, INSTANCE), 5);
      assert.equal(findOwnDeployment(listed, 'kf-master-1129-ccc'), null);
      assert.equal(findOwnDeployment([], INSTANCE), null);
    });
  });

  describe('descriptions and links', () => {
    const cases: Array<[string, string, string]> = [
      ['short text stays', 'Kubeflow is ready', 'Kubeflow is ready'],
      ['whitespace and newlines collapse', '  deploy\n failed:\t quota  ', 'deploy failed: quota'],
      ['exactly 140 characters stay', 'y'.repeat(140), 'y'.repeat(140)],
      ['141 characters are cut with an ellipsis', 'y'.repeat(141), `${'y'.repeat(139)}…`],
      ['astral characters are never split', '🚀'.repeat(150), `${'🚀'.repeat(139)}…`],
    ];
    for (const [name, text, expected] of cases) {
      it(`description: ${name}`, () => assert.equal(githubDescription(text), expected));
    }

    it('links a Job to its page in the Cloud console, its parts encoded', () => {
      assert.equal(jobConsoleUrl(CLUSTER, 'auto-deploy', JOB), DEPLOY_LOGS);
      assert.equal(
        jobConsoleUrl({ project: 'p:x', location: 'us-east1', cluster: 'c' }, 'n', 'j'),
        'https://console.cloud.google.com/kubernetes/job/us-east1/c/n/j/details?project=p%3Ax',
      );
    });
  });

  describe('claim and settle', () => {
    it('claims with a lease when there is something to post, keeping what was recorded', () => {
      const claimed = claimGitHubSync(
        deployment('ready', { github: posted('in_progress', { attempts: 2 }) }),
        NOW,
        WITH_CLUSTER,
      );
      assert.equal(claimed.step.kind, 'post');
      assert.deepEqual(claimed.record, {
        ...posted('in_progress', { attempts: 2 }),
        leaseExpiresAt: new Date(NOW.getTime() + GITHUB_SYNC_LEASE_SECONDS * 1000),
      });
    });

    it('claims nothing (no write) when nothing is due', () => {
      const claimed = claimGitHubSync(deployment('ready', { github: posted('success') }), NOW, WITH_CLUSTER);
      assert.deepEqual(claimed, { step: { kind: 'none', reason: 'success already posted' }, record: null });
    });

    it('a success records the id and the state, clears the error, the attempts and the lease', () => {
      const current = posted('in_progress', {
        error: 'boom',
        attempts: 3,
        retryAt: minutes(-1),
        leaseExpiresAt: minutes(2),
      });
      assert.deepEqual(settleGitHubSync(current, { ok: true, deploymentId: 42, state: 'success' }, NOW), {
        deploymentId: 42,
        state: 'success',
        postedAt: NOW,
        error: null,
        attempts: 0,
        retryAt: null,
        leaseExpiresAt: null,
      });
    });

    it('a failure keeps what was posted, counts the attempt, records the error and the rate-limit reset', () => {
      const current = posted('in_progress', { attempts: 1, leaseExpiresAt: minutes(2) });
      const failure = {
        ok: false as const,
        deploymentId: 42,
        error: 'answered 403: rate limit',
        retryAt: minutes(30),
      };
      assert.deepEqual(settleGitHubSync(current, failure, NOW), {
        ...current,
        error: 'answered 403: rate limit',
        attempts: 2,
        retryAt: minutes(30),
        leaseExpiresAt: null,
      });
    });

    it('a failure after the deployment was created records its id, so it is not created again', () => {
      const failure = { ok: false as const, deploymentId: 77, error: 'answered 500', retryAt: null };
      const settled = settleGitHubSync(undefined, failure, NOW);
      assert.equal(settled.deploymentId, 77);
      assert.equal(settled.state, null);
      assert.equal(settled.attempts, 1);
      assert.equal(
        nextGitHubStep(deployment('deploying', { github: settled }), NOW, WITH_CLUSTER).kind,
        'post',
      );
    });
  });
});

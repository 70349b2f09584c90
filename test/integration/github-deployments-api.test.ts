/**
 * The GitHub deployments REST adapter (GitHubRestDeployments) over a socket against the fake GitHub REST
 * API: the requests it makes, what it reads back, and what each error answer becomes.
 */
import assert from 'node:assert/strict';
import { GitHubRestDeployments } from '../../functions/adapters/github-deployments.js';
import { GitHubApiError } from '../../functions/adapters/github-http.js';
import {
  type GitHubDeploymentRequest,
  type GitHubStatusRequest,
  githubDeploymentRequest,
} from '../../functions/core/github-deployments.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { launchedFields, makeDeployment } from '../support/fixtures.js';

const REPO = 'kubeflow/manifests';
const SHA = 'd4'.repeat(20);
const OTHER_SHA = 'e5'.repeat(20);
const TOKEN = 'github_pat_deployments-test';

function request(instance: string, sha = SHA, version = 'master'): GitHubDeploymentRequest {
  return githubDeploymentRequest(
    makeDeployment({
      instance,
      ...launchedFields(instance, sha, { project: 'kf-ci', namespace: 'auto-deploy' }),
      version,
      status: 'deploying',
      createdAt: new Date('2026-11-29T14:00:00Z'),
    }),
  );
}

const IN_PROGRESS: GitHubStatusRequest = {
  state: 'in_progress',
  description: 'deploy Job auto-deploy-master-x7k2p is running',
  log_url:
    'https://console.cloud.google.com/kubernetes/job/us-east1-d/c/auto-deploy/auto-deploy-master-x7k2p/details?project=p',
  auto_inactive: false,
};

describe('GitHubRestDeployments (fake GitHub REST API)', () => {
  let github: FakeGitHub;
  let api: GitHubRestDeployments;

  before(async () => {
    github = await startFakeGitHub({ token: TOKEN });
  });

  beforeEach(() => {
    github.requests.length = 0;
    github.deploymentsApi.deployments.length = 0;
    github.deploymentsApi.canWrite = true;
    api = new GitHubRestDeployments({ apiUrl: `${github.url}/`, token: TOKEN, timeoutMs: 5_000 });
  });

  after(async () => {
    await github.stop();
  });

  it('creates a deployment with the body the core asks for, authenticated, as JSON', async () => {
    const id = await api.createDeployment(REPO, request('kf-master-1129-aaa'));
    const [stored] = github.deploymentsApi.of(REPO);
    assert.equal(stored?.id, id);
    assert.deepEqual(
      {
        sha: stored?.sha,
        environment: stored?.environment,
        transient: stored?.transientEnvironment,
        production: stored?.productionEnvironment,
        autoMerge: stored?.autoMerge,
        contexts: stored?.requiredContexts,
        payload: stored?.payload,
      },
      {
        sha: SHA,
        environment: 'auto-deploy/master',
        transient: true,
        production: false,
        autoMerge: false,
        contexts: [],
        payload: { instance: 'kf-master-1129-aaa', version: 'master', requestId: 'req-kf-master-1129-aaa' },
      },
    );
    const [sent] = github.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.url, '/repos/kubeflow/manifests/deployments');
    assert.equal(sent?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(sent?.headers['content-type'], 'application/json');
    assert.equal(sent?.headers['x-github-api-version'], '2022-11-28');
    assert.equal(sent?.headers.accept, 'application/vnd.github+json');
  });

  it('lists the deployments of a sha in an environment, with the instance their payload names', async () => {
    const mine = await api.createDeployment(REPO, request('kf-master-1129-aaa'));
    await api.createDeployment(REPO, request('kf-master-1129-bbb', OTHER_SHA));
    await api.createDeployment(REPO, request('kf-v1-1129-ccc', SHA, 'v1'));
    const listed = await api.listDeployments(REPO, SHA, 'auto-deploy/master');
    assert.deepEqual(listed, [{ id: mine, instance: 'kf-master-1129-aaa' }]);
    assert.equal(
      github.requests.at(-1)?.url,
      `/repos/kubeflow/manifests/deployments?sha=${SHA}&environment=auto-deploy%2Fmaster&per_page=100`,
    );
  });

  it('reads a payload GitHub returns as a JSON string, and one that names no instance as null', async () => {
    const body = JSON.stringify([
      { id: 7, payload: '{"instance":"kf-master-1129-aaa"}' },
      { id: 8, payload: {} },
      { id: 9, payload: 'not json' },
    ]);
    const fake = new GitHubRestDeployments({
      apiUrl: 'https://ghe.example/api/v3',
      fetch: async () => new Response(body, { status: 200 }),
    });
    assert.deepEqual(await fake.listDeployments(REPO, SHA, 'auto-deploy/master'), [
      { id: 7, instance: 'kf-master-1129-aaa' },
      { id: 8, instance: null },
      { id: 9, instance: null },
    ]);
  });

  it('posts a status with its description, log_url and auto_inactive', async () => {
    const id = await api.createDeployment(REPO, request('kf-master-1129-aaa'));
    await api.postStatus(REPO, id, IN_PROGRESS);
    await api.postStatus(REPO, id, {
      state: 'success',
      description: 'Kubeflow is ready',
      environment_url: 'https://kf-master-1129-aaa.endpoints.kf-ci.cloud.goog',
      auto_inactive: false,
    });
    assert.deepEqual(
      github.deploymentsApi
        .of(REPO)[0]
        ?.statuses.map((s) => [s.state, s.environmentUrl, s.logUrl, s.autoInactive]),
      [
        ['in_progress', null, IN_PROGRESS.log_url, false],
        ['success', 'https://kf-master-1129-aaa.endpoints.kf-ci.cloud.goog', null, false],
      ],
    );
    assert.equal(github.requests.at(-1)?.url, `/repos/kubeflow/manifests/deployments/${id}/statuses`);
  });

  async function failure(call: () => Promise<unknown>): Promise<GitHubApiError> {
    try {
      await call();
    } catch (err) {
      assert.ok(err instanceof GitHubApiError, String(err));
      return err;
    }
    assert.fail('expected a GitHubApiError');
  }

  it('a 500 is a GitHubApiError with the status and GitHub message', async () => {
    github.failNext(1, 500, { body: JSON.stringify({ message: 'Server Error' }) });
    const err = await failure(() => api.createDeployment(REPO, request('kf-master-1129-aaa')));
    assert.equal(err.status, 500);
    assert.match(err.message, /answered 500 \(Server Error\)/);
    assert.equal(err.rateLimitResetAt, null);
  });

  it('an exhausted rate limit carries its reset time', async () => {
    const resetSeconds = 1_800_000_000;
    github.failNext(1, 403, {
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetSeconds) },
      body: JSON.stringify({ message: 'API rate limit exceeded' }),
    });
    const err = await failure(() => api.listDeployments(REPO, SHA, 'auto-deploy/master'));
    assert.equal(err.status, 403);
    assert.deepEqual(err.rateLimitResetAt, new Date(resetSeconds * 1000));
    assert.match(err.message, /rate limit exhausted, resets at 2027-01-15T08:00:00.000Z/);
  });

  it('a token that may not write deployments: 403 saying which permission it needs', async () => {
    github.deploymentsApi.canWrite = false;
    const err = await failure(() => api.createDeployment(REPO, request('kf-master-1129-aaa')));
    assert.equal(err.status, 403);
    assert.match(err.message, /Resource not accessible by personal access token/);
    assert.match(err.message, /deployments: write.*repo_deployment/);
  });

  it('a secondary rate limit (403 with retry-after) says when to retry', async () => {
    github.failNext(1, 403, { headers: { 'retry-after': '60' } });
    const err = await failure(() => api.postStatus(REPO, 1, IN_PROGRESS));
    assert.match(err.message, /secondary rate limit, retry after 60 s/);
  });

  it('a rejected token: 401 saying to check GITHUB_TOKEN', async () => {
    const wrong = new GitHubRestDeployments({ apiUrl: github.url, token: 'wrong', timeoutMs: 5_000 });
    const err = await failure(() => wrong.listDeployments(REPO, SHA, 'auto-deploy/master'));
    assert.equal(err.status, 401);
    assert.match(err.message, /Check GITHUB_TOKEN/);
  });

  it('a status GitHub refuses (422) names the reason', async () => {
    const id = await api.createDeployment(REPO, request('kf-master-1129-aaa'));
    const err = await failure(() =>
      api.postStatus(REPO, id, { ...IN_PROGRESS, description: 'x'.repeat(141) }),
    );
    assert.equal(err.status, 422);
    assert.match(err.message, /Validation Failed/);
  });

  it('a create answered 201 with a body without an id is a GitHubApiError', async () => {
    const fake = new GitHubRestDeployments({
      fetch: async () => new Response(JSON.stringify({ message: 'ok' }), { status: 201 }),
    });
    const err = await failure(() => fake.createDeployment(REPO, request('kf-master-1129-aaa')));
    assert.match(err.message, /unexpected body \(id: /);
  });

  it('a server that does not answer in time: a GitHubApiError without a status', async () => {
    const slow = new GitHubRestDeployments({ apiUrl: github.url, token: TOKEN, timeoutMs: 100 });
    github.failNext(1, 500, { delayMs: 2_000 });
    const err = await failure(() => slow.postStatus(REPO, 1, IN_PROGRESS));
    assert.equal(err.status, null);
    assert.match(err.message, /timed out after 100 ms/);
  });
});

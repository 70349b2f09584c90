import assert from 'node:assert/strict';
import { GitHubApiError, GitHubRestCommitSource } from '../../functions/adapters/github-rest.js';
import { type FakeGitHub, fakeEtag, startFakeGitHub } from '../support/fake-github.js';

const REPO = 'kubeflow/manifests';
const SHA_A = 'a'.repeat(40);
const SHA_B = '0123456789abcdef0123456789abcdef01234567';

describe('GitHubRestCommitSource against a fake GitHub over HTTP', () => {
  let github: FakeGitHub;
  let source: GitHubRestCommitSource;

  beforeEach(async () => {
    github = await startFakeGitHub();
    source = new GitHubRestCommitSource({
      apiUrl: github.url,
      token: 'test-token',
      userAgent: 'auto-deploy-test',
    });
  });

  afterEach(async () => {
    await github.stop();
  });

  it('reads a branch head with its commit details and ETag', async () => {
    github.setHead(REPO, 'master', {
      sha: SHA_B,
      message: 'Fix the KfDef\n\nLonger text.',
      authorName: 'Ada Lovelace',
      authorEmail: 'ada@example.com',
      authorLogin: 'ada',
      date: '2024-05-06T07:08:09Z',
    });

    const head = await source.fetchBranchHead(REPO, 'master', null);

    assert.deepEqual(head, {
      kind: 'found',
      sha: SHA_B,
      etag: fakeEtag(SHA_B),
      message: 'Fix the KfDef\n\nLonger text.',
      author: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' },
      timestamp: new Date('2024-05-06T07:08:09Z'),
      url: `https://github.com/${REPO}/commit/${SHA_B}`,
    });
    assert.equal(github.requests.length, 1);
    const request = github.requests[0];
    assert.equal(request?.method, 'GET');
    assert.equal(request?.url, '/repos/kubeflow/manifests/branches/master');
    assert.equal(request?.headers.accept, 'application/vnd.github+json');
    assert.equal(request?.headers['x-github-api-version'], '2022-11-28');
    assert.equal(request?.headers['user-agent'], 'auto-deploy-test');
    assert.equal(request?.headers['if-none-match'], undefined);
  });

  it('reads an author without a GitHub account or date', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A, authorLogin: null, authorEmail: null, date: 'not a date' });

    const head = await source.fetchBranchHead(REPO, 'master', null);

    assert.equal(head.kind, 'found');
    if (head.kind !== 'found') return;
    assert.deepEqual(head.author, { name: 'Test Author', email: null, username: null });
    assert.equal(head.timestamp, null);
  });

  it('answers unchanged on 304 when the ETag still matches, sending If-None-Match', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A });
    const first = await source.fetchBranchHead(REPO, 'master', null);
    assert.equal(first.kind, 'found');
    const etag = first.kind === 'found' ? first.etag : null;
    assert.ok(etag);

    const second = await source.fetchBranchHead(REPO, 'master', etag);

    assert.deepEqual(second, { kind: 'unchanged' });
    assert.equal(github.requests[1]?.headers['if-none-match'], etag);
    assert.equal(github.requests[1]?.status, 304);
  });

  it('answers found with the new head when the branch moved since the ETag', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A });
    github.setHead(REPO, 'master', { sha: SHA_B });

    const head = await source.fetchBranchHead(REPO, 'master', fakeEtag(SHA_A));

    assert.equal(head.kind, 'found');
    assert.equal(head.kind === 'found' ? head.sha : null, SHA_B);
    assert.equal(github.requests[0]?.headers['if-none-match'], fakeEtag(SHA_A));
  });

  it('answers missing for a branch that does not exist or was deleted', async () => {
    assert.deepEqual(await source.fetchBranchHead(REPO, 'nope', null), { kind: 'missing' });

    github.setHead(REPO, 'gone', { sha: SHA_A });
    github.deleteBranch(REPO, 'gone');
    assert.deepEqual(await source.fetchBranchHead(REPO, 'gone', fakeEtag(SHA_A)), { kind: 'missing' });
  });

  it('sends the token as a Bearer Authorization header', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A });

    await source.fetchBranchHead(REPO, 'master', null);

    assert.equal(github.requests[0]?.headers.authorization, 'Bearer test-token');
  });

  it('sends no Authorization header without a token', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A });
    for (const token of [undefined, null, '']) {
      const anonymous = new GitHubRestCommitSource({ apiUrl: github.url, token });
      await anonymous.fetchBranchHead(REPO, 'master', null);
    }

    assert.equal(github.requests.length, 3);
    for (const request of github.requests) {
      assert.equal(request.headers.authorization, undefined);
      assert.equal(request.headers['user-agent'], 'kubeflow-auto-deploy');
    }
  });

  it('percent-encodes branches with slashes and non-ASCII characters', async () => {
    const branch = 'release/v1.0-ü #1';
    github.setHead(REPO, branch, { sha: SHA_B });

    const head = await source.fetchBranchHead(REPO, branch, null);

    assert.equal(head.kind, 'found');
    assert.equal(github.requests[0]?.url, '/repos/kubeflow/manifests/branches/release%2Fv1.0-%C3%BC%20%231');
    assert.equal(github.requests[0]?.branch, branch);
  });

  it('tolerates a trailing slash on the API URL', async () => {
    github.setHead(REPO, 'master', { sha: SHA_A });
    const slashed = new GitHubRestCommitSource({ apiUrl: `${github.url}/` });

    assert.equal((await slashed.fetchBranchHead(REPO, 'master', null)).kind, 'found');
    assert.equal(github.requests[0]?.url, '/repos/kubeflow/manifests/branches/master');
  });

  it('throws a GitHubApiError with the status on a 500', async () => {
    github.failNext(1, 500, { body: JSON.stringify({ message: 'Server Error' }) });

    const err = await source.fetchBranchHead(REPO, 'master', null).then(
      () => assert.fail('expected a GitHubApiError'),
      (e: unknown) => e,
    );

    assert.ok(err instanceof GitHubApiError);
    assert.equal(err.name, 'GitHubApiError');
    assert.equal(err.status, 500);
    assert.match(err.message, /answered 500 \(Server Error\)/);
    assert.match(err.message, /\/repos\/kubeflow\/manifests\/branches\/master/);
  });

  it('names the rate-limit reset time on a rate-limited 403 and 429', async () => {
    const resetSeconds = 1_700_000_000;
    for (const status of [403, 429]) {
      github.failNext(1, status, {
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetSeconds) },
        body: JSON.stringify({ message: 'API rate limit exceeded for 1.2.3.4.' }),
      });

      const err = await source.fetchBranchHead(REPO, 'master', null).then(
        () => assert.fail('expected a GitHubApiError'),
        (e: unknown) => e,
      );

      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.status, status);
      assert.match(err.message, /rate limit exhausted/);
      assert.ok(err.message.includes(new Date(resetSeconds * 1000).toISOString()), err.message);
      assert.deepEqual(err.rateLimitResetAt, new Date(resetSeconds * 1000));
    }
  });

  it('tells a forbidden 403 that is not the rate limit apart', async () => {
    github.failNext(1, 403, { body: JSON.stringify({ message: 'Resource not accessible' }) });

    await assert.rejects(source.fetchBranchHead(REPO, 'master', null), (err: unknown) => {
      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.status, 403);
      assert.equal(err.rateLimitResetAt, null);
      assert.doesNotMatch(err.message, /rate limit exhausted/);
      return true;
    });
  });

  it('throws a GitHubApiError naming the token on a 401', async () => {
    const strict = await startFakeGitHub({ token: 'right' });
    try {
      strict.setHead(REPO, 'master', { sha: SHA_A });
      const wrong = new GitHubRestCommitSource({ apiUrl: strict.url, token: 'wrong' });
      await assert.rejects(wrong.fetchBranchHead(REPO, 'master', null), (err: unknown) => {
        assert.ok(err instanceof GitHubApiError);
        assert.equal(err.status, 401);
        assert.match(err.message, /GITHUB_TOKEN/);
        return true;
      });
      const right = new GitHubRestCommitSource({ apiUrl: strict.url, token: 'right' });
      assert.equal((await right.fetchBranchHead(REPO, 'master', null)).kind, 'found');
    } finally {
      await strict.stop();
    }
  });

  const badBodies: { name: string; body: string; pattern: RegExp }[] = [
    { name: 'not JSON', body: '<html>proxy error</html>', pattern: /not JSON/ },
    { name: 'no commit', body: JSON.stringify({ name: 'master' }), pattern: /commit/ },
    {
      name: 'a short sha',
      body: JSON.stringify({ name: 'master', commit: { sha: 'abc', commit: { message: 'm' } } }),
      pattern: /commit\.sha: must be a 40-character hex sha/,
    },
    {
      name: 'a message that is not a string',
      body: JSON.stringify({ name: 'master', commit: { sha: SHA_A, commit: { message: 42 } } }),
      pattern: /commit\.commit\.message/,
    },
  ];
  for (const { name, body, pattern } of badBodies) {
    it(`throws a GitHubApiError on a 200 with ${name}`, async () => {
      github.failNext(1, 200, { body });

      await assert.rejects(source.fetchBranchHead(REPO, 'master', null), (err: unknown) => {
        assert.ok(err instanceof GitHubApiError);
        assert.equal(err.status, 200);
        assert.match(err.message, pattern);
        return true;
      });
    });
  }

  it('throws a GitHubApiError with a null status when the server is down', async () => {
    const url = github.url;
    await github.stop();
    github = await startFakeGitHub(); // for afterEach
    const down = new GitHubRestCommitSource({ apiUrl: url, timeoutMs: 5000 });

    await assert.rejects(down.fetchBranchHead(REPO, 'master', null), (err: unknown) => {
      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.status, null);
      assert.match(err.message, /failed: connect ECONNREFUSED/);
      return true;
    });
  });

  it('throws a GitHubApiError with a null status on a timeout', async () => {
    // The fake holds its answer far longer than the test may run: only the client's own timeout can
    // end the call (without it the test fails on mocha's timeout). It is dropped when the fake stops.
    github.failNext(1, 200, { delayMs: 10 * 60_000, body: '{}' });
    const impatient = new GitHubRestCommitSource({ apiUrl: github.url, timeoutMs: 100 });

    await assert.rejects(impatient.fetchBranchHead(REPO, 'master', null), (err: unknown) => {
      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.status, null);
      assert.match(err.message, /timed out after 100 ms/);
      return true;
    });
  });

  it('rejects a repository that is not owner/name without a request', async () => {
    await assert.rejects(source.fetchBranchHead('just-a-name', 'master', null), GitHubApiError);
    assert.equal(github.requests.length, 0);
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response(null, { status: 304 });
    };
    const injected = new GitHubRestCommitSource({
      apiUrl: 'https://github.example/api/v3',
      fetch: fakeFetch,
    });

    assert.deepEqual(await injected.fetchBranchHead('o/r', 'b', '"x"'), { kind: 'unchanged' });
    assert.deepEqual(calls, ['https://github.example/api/v3/repos/o/r/branches/b']);
  });
});

describe('fake GitHub', () => {
  it('counts failNext per request and then serves normally again', async () => {
    const github = await startFakeGitHub();
    try {
      github.setHead(REPO, 'master', { sha: SHA_A });
      github.failNext(2, 502);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await fetch(`${github.url}/repos/${REPO}/branches/master`)).status);
      }
      assert.deepEqual(statuses, [502, 502, 200]);
      assert.deepEqual(
        github.requests.map((r) => r.status),
        [502, 502, 200],
      );
      // Repository names are case-insensitive on GitHub.
      assert.equal((await fetch(`${github.url}/repos/Kubeflow/Manifests/branches/master`)).status, 200);
      assert.equal((await fetch(`${github.url}/repos/${REPO}/branches/Master`)).status, 404);
      assert.equal((await fetch(`${github.url}/other`)).status, 404);
    } finally {
      await github.stop();
    }
  });
});

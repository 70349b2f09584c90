/**
 * GitHub REST poll adapter: reads the head of a branch (`GET /repos/{owner}/{repo}/branches/{branch}`),
 * the scheduler tick's fallback for a lost webhook delivery. Conditional requests (`If-None-Match`)
 * answer 304 when the branch has not moved, and a 304 does not count against the rate limit.
 */
import { z } from 'zod';
import type { PolledHead } from '../core/poll.js';
import type { CommitSource } from '../core/ports.js';
import { parseTimestamp } from '../core/time.js';
import {
  exhaustedRateLimit,
  GitHubApiError,
  type GitHubClient,
  type GitHubClientOptions,
  githubClient,
  githubHeaders,
  githubMessage,
  githubRequest,
  parseJsonBody,
  repoUrl,
} from './github-http.js';

export {
  DEFAULT_GITHUB_API_URL,
  DEFAULT_GITHUB_TIMEOUT_MS,
  DEFAULT_GITHUB_USER_AGENT,
  GITHUB_API_VERSION,
  GitHubApiError,
} from './github-http.js';

/** Without a token, GitHub allows 60 requests an hour per IP. */
export type GitHubRestCommitSourceOptions = GitHubClientOptions;

const shaSchema = z.string().regex(/^[0-9a-f]{40}$/i, { error: 'must be a 40-character hex sha' });

/** The part of GitHub's "Get a branch" response this adapter reads. */
const branchSchema = z.object({
  name: z.string(),
  commit: z.object({
    sha: shaSchema,
    html_url: z.string().nullish(),
    // The GitHub account of the author; null when the author's email matches no account.
    author: z.object({ login: z.string() }).nullish(),
    commit: z.object({
      message: z.string(),
      author: z
        .object({ name: z.string().nullish(), email: z.string().nullish(), date: z.string().nullish() })
        .nullish(),
    }),
  }),
});

/** Reads branch heads from GitHub's REST API with conditional requests. */
export class GitHubRestCommitSource implements CommitSource {
  private readonly client: GitHubClient;

  constructor(options: GitHubRestCommitSourceOptions = {}) {
    this.client = githubClient(options);
  }

  /** The URL of the "Get a branch" endpoint for `repo` (`owner/name`) and `branch`. */
  branchUrl(repo: string, branch: string): string {
    return `${repoUrl(this.client, repo)}/branches/${encodeURIComponent(branch)}`;
  }

  async fetchBranchHead(repo: string, branch: string, etag: string | null): Promise<PolledHead> {
    const url = this.branchUrl(repo, branch);
    const what = `GET ${url}`;
    const headers = githubHeaders(this.client, etag ? { 'If-None-Match': etag } : {});
    const { response, text } = await githubRequest(this.client, url, { headers }, what);
    if (response.status === 304) return { kind: 'unchanged' };
    if (response.status === 404) return { kind: 'missing' };
    if (response.status !== 200) throw errorFromResponse(what, response, text);
    return toPolledHead(parseBranch(what, text), response.headers.get('etag'));
  }
}

/** A 200 answer's body as a branch; anything else is a GitHubApiError naming what was wrong. */
function parseBranch(what: string, text: string): z.infer<typeof branchSchema> {
  const parsed = branchSchema.safeParse(parseJsonBody(what, 200, text));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new GitHubApiError(
    `${what} answered 200 with an unexpected body (${problems.join('; ')}). Is GITHUB_API_URL a GitHub REST API?`,
    200,
  );
}

function toPolledHead(branch: z.infer<typeof branchSchema>, etag: string | null): PolledHead {
  const commit = branch.commit;
  const author = commit.commit.author;
  return {
    kind: 'found',
    sha: commit.sha.toLowerCase(),
    etag,
    message: commit.commit.message,
    author: {
      name: author?.name ?? commit.author?.login ?? '',
      email: author?.email ?? null,
      username: commit.author?.login ?? null,
    },
    timestamp: parseTimestamp(author?.date),
    url: commit.html_url ?? null,
  };
}

/** The error for a status other than 200, 304 and 404, saying what to do about it. */
function errorFromResponse(what: string, response: Response, text: string): GitHubApiError {
  const status = response.status;
  const detail = githubMessage(text);
  const base = `${what} answered ${status}${detail ? ` (${detail})` : ''}`;
  const exhausted = exhaustedRateLimit(response);
  if (exhausted) {
    const resetAt = exhausted.resetAt;
    const when = resetAt ? `resets at ${resetAt.toISOString()}` : 'reset time unknown';
    return new GitHubApiError(
      `${base}: rate limit exhausted, ${when}. Set GITHUB_TOKEN for a higher limit, or poll less often.`,
      status,
      resetAt,
    );
  }
  if (status === 403 || status === 429) {
    const retryAfter = response.headers.get('retry-after');
    const hint = retryAfter
      ? `retry after ${retryAfter} s`
      : 'possibly a secondary rate limit or missing permission';
    return new GitHubApiError(`${base}: ${hint}.`, status);
  }
  if (status === 401) {
    return new GitHubApiError(`${base}: the token was rejected. Check GITHUB_TOKEN.`, status);
  }
  return new GitHubApiError(`${base}.`, status);
}

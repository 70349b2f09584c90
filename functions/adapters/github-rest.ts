/**
 * GitHub REST poll adapter: reads the head of a branch (`GET /repos/{owner}/{repo}/branches/{branch}`),
 * the scheduler tick's fallback for a lost webhook delivery. Conditional requests (`If-None-Match`)
 * answer 304 when the branch has not moved, and a 304 does not count against the rate limit.
 */
import { z } from 'zod';
import type { CommitSource, PolledHead } from '../core/ports.js';
import { parseTimestamp } from '../core/time.js';

/** The public GitHub API; GitHub Enterprise Server uses `https://<host>/api/v3`. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** How long one poll request may take before it is abandoned. */
export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

export const DEFAULT_GITHUB_USER_AGENT = 'kubeflow-auto-deploy';

/** The REST API version the response schema below was written against. */
export const GITHUB_API_VERSION = '2022-11-28';

/** At most this much of an error response's body is kept in the error message. */
const MAX_ERROR_BODY_CHARS = 300;

/** A failed GitHub REST call: an unexpected status, a network error, a timeout or a malformed body. */
export class GitHubApiError extends Error {
  override name = 'GitHubApiError';
  constructor(
    message: string,
    /** HTTP status, or null when no response came (network error, timeout). */
    readonly status: number | null,
    /** When the rate limit opens again, when GitHub said so (403/429 with `x-ratelimit-remaining: 0`). */
    readonly rateLimitResetAt: Date | null = null,
  ) {
    super(message);
  }
}

export interface GitHubRestCommitSourceOptions {
  /** Base URL of the REST API, without a trailing slash (one is tolerated). */
  apiUrl?: string;
  /** A token (PAT or installation token); without one, GitHub allows 60 requests an hour per IP. */
  token?: string | null;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** GitHub rejects requests without a User-Agent. */
  userAgent?: string;
}

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
  private readonly apiUrl: string;
  private readonly token: string | null;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly userAgent: string;

  constructor(options: GitHubRestCommitSourceOptions = {}) {
    this.apiUrl = (options.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
    this.token = options.token || null;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? DEFAULT_GITHUB_USER_AGENT;
  }

  /** The URL of the "Get a branch" endpoint for `repo` (`owner/name`) and `branch`. */
  branchUrl(repo: string, branch: string): string {
    const [owner, name, ...rest] = repo.split('/');
    if (!owner || !name || rest.length > 0) {
      throw new GitHubApiError(`Repository '${repo}' is not of the form 'owner/name'.`, null);
    }
    return `${this.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/branches/${encodeURIComponent(branch)}`;
  }

  async fetchBranchHead(repo: string, branch: string, etag: string | null): Promise<PolledHead> {
    const url = this.branchUrl(repo, branch);
    const what = `GET ${url}`;
    const { response, text } = await this.get(url, what, etag);
    if (response.status === 304) return { kind: 'unchanged' };
    if (response.status === 404) return { kind: 'missing' };
    if (response.status !== 200) throw errorFromResponse(what, response, text);
    return toPolledHead(parseBranch(what, text), response.headers.get('etag'));
  }

  private headers(etag: string | null): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': GITHUB_API_VERSION,
      'User-Agent': this.userAgent,
    };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (etag) headers['If-None-Match'] = etag;
    return headers;
  }

  /** The response and its whole body, under one deadline; a failure to get them is a GitHubApiError. */
  private async get(
    url: string,
    what: string,
    etag: string | null,
  ): Promise<{ response: Response; text: string }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await this.fetch(url, { headers: this.headers(etag), signal, redirect: 'follow' });
      // Read the body under the same deadline: a server may send headers and then stall.
      return { response, text: await response.text() };
    } catch (err) {
      if (signal.aborted) throw new GitHubApiError(`${what} timed out after ${this.timeoutMs} ms.`, null);
      const cause =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new GitHubApiError(`${what} failed: ${cause}. Check GITHUB_API_URL and the network.`, null);
    }
  }
}

/** A 200 answer's body as a branch; anything else is a GitHubApiError naming what was wrong. */
function parseBranch(what: string, text: string): z.infer<typeof branchSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GitHubApiError(`${what} answered 200 with a body that is not JSON: ${truncate(text)}`, 200);
  }
  const parsed = branchSchema.safeParse(json);
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
  if ((status === 403 || status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
    const resetSeconds = Number(response.headers.get('x-ratelimit-reset'));
    const resetAt = Number.isFinite(resetSeconds) && resetSeconds > 0 ? new Date(resetSeconds * 1000) : null;
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

/** GitHub's error bodies are `{"message": "..."}`; anything else is shown truncated. */
function githubMessage(text: string): string {
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') {
      return truncate(json.message);
    }
  } catch {
    // Not JSON: fall through and show the text itself.
  }
  return truncate(text.trim());
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_BODY_CHARS ? `${text.slice(0, MAX_ERROR_BODY_CHARS)}...` : text;
}

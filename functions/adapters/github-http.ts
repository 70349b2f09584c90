/**
 * What the GitHub REST adapters share: the API's defaults, its headers, one request under a deadline,
 * and GitHubApiError with what GitHub's error answers say (message, rate-limit reset).
 */

/** The public GitHub API; GitHub Enterprise Server uses `https://<host>/api/v3`. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** How long one request may take (headers and body) before it is abandoned. */
export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

export const DEFAULT_GITHUB_USER_AGENT = 'kubeflow-auto-deploy';

/** The REST API version the adapters' request and response shapes were written against. */
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

/** How a GitHub REST adapter talks to the API. */
export interface GitHubClientOptions {
  /** Base URL of the REST API, without a trailing slash (one is tolerated). */
  apiUrl?: string;
  /** A token (PAT or installation token). */
  token?: string | null;
  /** Injected for tests; the global fetch by default. */
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** GitHub rejects requests without a User-Agent. */
  userAgent?: string;
}

/** The options with their defaults filled in. */
export function githubClient(options: GitHubClientOptions) {
  return {
    apiUrl: (options.apiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    token: options.token || null,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS,
    userAgent: options.userAgent ?? DEFAULT_GITHUB_USER_AGENT,
  };
}

export type GitHubClient = ReturnType<typeof githubClient>;

/** `<apiUrl>/repos/<owner>/<name>` for `repo` (`owner/name`). */
export function repoUrl(client: GitHubClient, repo: string): string {
  const [owner, name, ...rest] = repo.split('/');
  if (!owner || !name || rest.length > 0) {
    throw new GitHubApiError(`Repository '${repo}' is not of the form 'owner/name'.`, null);
  }
  return `${client.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

/** The headers of every request: JSON media type, API version, User-Agent, the token when there is one. */
export function githubHeaders(
  client: GitHubClient,
  extra: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': GITHUB_API_VERSION,
    'User-Agent': client.userAgent,
    ...extra,
  };
  if (client.token) headers.Authorization = `Bearer ${client.token}`;
  return headers;
}

/** The response and its whole body, under one deadline; a failure to get them is a GitHubApiError. */
export async function githubRequest(
  client: GitHubClient,
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string },
  what: string,
): Promise<{ response: Response; text: string }> {
  const signal = AbortSignal.timeout(client.timeoutMs);
  try {
    const response = await client.fetch(url, { ...init, signal, redirect: 'follow' });
    // Read the body under the same deadline: a server may send headers and then stall.
    return { response, text: await response.text() };
  } catch (err) {
    if (signal.aborted) throw new GitHubApiError(`${what} timed out after ${client.timeoutMs} ms.`, null);
    const cause =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new GitHubApiError(`${what} failed: ${cause}. Check GITHUB_API_URL and the network.`, null);
  }
}

/** A 403/429 that says the rate limit is exhausted (`x-ratelimit-remaining: 0`): when it resets, if said. */
export function exhaustedRateLimit(response: Response): { resetAt: Date | null } | null {
  const status = response.status;
  if ((status !== 403 && status !== 429) || response.headers.get('x-ratelimit-remaining') !== '0')
    return null;
  const resetSeconds = Number(response.headers.get('x-ratelimit-reset'));
  return {
    resetAt: Number.isFinite(resetSeconds) && resetSeconds > 0 ? new Date(resetSeconds * 1000) : null,
  };
}

/** GitHub's error bodies are `{"message": "..."}`; anything else is shown truncated. */
export function githubMessage(text: string): string {
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

/** `text` cut to what an error message keeps. */
export function truncate(text: string): string {
  return text.length > MAX_ERROR_BODY_CHARS ? `${text.slice(0, MAX_ERROR_BODY_CHARS)}...` : text;
}

/** A 2xx answer's body as JSON; anything else is a GitHubApiError naming what was wrong. */
export function parseJsonBody(what: string, status: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GitHubApiError(
      `${what} answered ${status} with a body that is not JSON: ${truncate(text)}`,
      status,
    );
  }
}

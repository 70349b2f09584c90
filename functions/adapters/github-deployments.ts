/**
 * GitHub deployments REST adapter (GITHUB_DEPLOYMENTS): lists a commit's deployments in an environment,
 * creates one, posts its statuses. The bodies come from the core (core/github-deployments.ts); this
 * file sends them and says in words what an error answer means and what to do about it.
 *
 * The token needs `deployments: write` (fine-grained) or the `repo_deployment` scope (classic).
 */
import { z } from 'zod';
import type {
  GitHubDeploymentRequest,
  GitHubDeploymentSummary,
  GitHubStatusRequest,
} from '../core/github-deployments.js';
import type { GitHubDeploymentsApi } from '../core/ports.js';
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

/** GitHub lists at most this many per page; a commit has a handful of deployments per environment. */
const PAGE_SIZE = 100;

const PERMISSION_HINT =
  'the token needs `deployments: write` on the repository (fine-grained) or the `repo_deployment` scope (classic)';

const deploymentSchema = z.object({ id: z.number().int().positive(), payload: z.unknown() });

/** The instance a deployment's payload names (an object, or a JSON string for older API clients). */
function payloadInstance(payload: unknown): string | null {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (value && typeof value === 'object' && 'instance' in value && typeof value.instance === 'string') {
    return value.instance;
  }
  return null;
}

/** `body` parsed by `schema`, or a GitHubApiError naming what was wrong. */
function parseAnswer<T>(schema: z.ZodType<T>, what: string, status: number, text: string): T {
  const parsed = schema.safeParse(parseJsonBody(what, status, text));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new GitHubApiError(
    `${what} answered ${status} with an unexpected body (${problems.join('; ')}). Is GITHUB_API_URL a GitHub REST API?`,
    status,
  );
}

/** The error for an unexpected answer, saying what to do about it. */
function deploymentsError(what: string, response: Response, text: string): GitHubApiError {
  const status = response.status;
  const detail = githubMessage(text);
  const base = `${what} answered ${status}${detail ? ` (${detail})` : ''}`;
  const exhausted = exhaustedRateLimit(response);
  if (exhausted) {
    const when = exhausted.resetAt ? `resets at ${exhausted.resetAt.toISOString()}` : 'reset time unknown';
    return new GitHubApiError(
      `${base}: rate limit exhausted, ${when}; retried after it.`,
      status,
      exhausted.resetAt,
    );
  }
  if (status === 401)
    return new GitHubApiError(`${base}: the token was rejected. Check GITHUB_TOKEN.`, status);
  if (status === 403 || status === 404) {
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter)
      return new GitHubApiError(`${base}: secondary rate limit, retry after ${retryAfter} s.`, status);
    return new GitHubApiError(`${base}: ${PERMISSION_HINT}.`, status);
  }
  return new GitHubApiError(`${base}.`, status);
}

/** Creates GitHub deployments and posts their statuses. */
export class GitHubRestDeployments implements GitHubDeploymentsApi {
  private readonly client: GitHubClient;

  constructor(options: GitHubClientOptions = {}) {
    this.client = githubClient(options);
  }

  async listDeployments(repo: string, sha: string, environment: string): Promise<GitHubDeploymentSummary[]> {
    const query = new URLSearchParams({ sha, environment, per_page: String(PAGE_SIZE) });
    const url = `${repoUrl(this.client, repo)}/deployments?${query}`;
    const what = `GET ${url}`;
    const { response, text } = await githubRequest(
      this.client,
      url,
      { headers: githubHeaders(this.client) },
      what,
    );
    if (response.status !== 200) throw deploymentsError(what, response, text);
    const listed = parseAnswer(z.array(deploymentSchema), what, response.status, text);
    return listed.map((deployment) => ({ id: deployment.id, instance: payloadInstance(deployment.payload) }));
  }

  async createDeployment(repo: string, request: GitHubDeploymentRequest): Promise<number> {
    const url = `${repoUrl(this.client, repo)}/deployments`;
    const what = `POST ${url} (${request.environment}, ${request.ref})`;
    const { response, text } = await this.post(url, request, what);
    // 202 is GitHub merging the default branch into the ref first: never asked for (auto_merge: false).
    if (response.status !== 201) throw deploymentsError(what, response, text);
    return parseAnswer(deploymentSchema, what, response.status, text).id;
  }

  async postStatus(repo: string, deploymentId: number, status: GitHubStatusRequest): Promise<void> {
    const url = `${repoUrl(this.client, repo)}/deployments/${deploymentId}/statuses`;
    const what = `POST ${url} (${status.state})`;
    const { response, text } = await this.post(url, status, what);
    if (response.status !== 201) throw deploymentsError(what, response, text);
  }

  private post(url: string, body: unknown, what: string) {
    const headers = githubHeaders(this.client, { 'Content-Type': 'application/json' });
    return githubRequest(this.client, url, { method: 'POST', headers, body: JSON.stringify(body) }, what);
  }
}

/**
 * The deployments endpoints of the fake GitHub REST API (fake-github.ts), kept in memory and checked the
 * way GitHub checks them:
 *
 *   GET  /repos/{owner}/{repo}/deployments?sha=&ref=&task=&environment=  newest first
 *   POST /repos/{owner}/{repo}/deployments                               201 (422 without a ref)
 *   POST /repos/{owner}/{repo}/deployments/{id}/statuses                 201 (404 unknown id, 422 bad
 *                                                                        state or description > 140 chars)
 *
 * `canWrite = false` answers writes 403 as GitHub does for a token without `deployments: write`.
 */

/** A status posted to a fake deployment. */
export interface FakeDeploymentStatus {
  id: number;
  state: string;
  description: string;
  environmentUrl: string | null;
  logUrl: string | null;
  autoInactive: boolean | null;
}

/** A deployment the fake holds, with every status posted to it, oldest first. */
export interface FakeDeployment {
  id: number;
  /** `owner/name` as the request spelled it. */
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string | null;
  payload: unknown;
  transientEnvironment: boolean | null;
  productionEnvironment: boolean | null;
  autoMerge: boolean | null;
  requiredContexts: unknown;
  statuses: FakeDeploymentStatus[];
}

/** An answer: status and JSON body. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const LIST = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/?$/;
const STATUSES = /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses\/?$/;

function repoOf(match: RegExpExecArray): string {
  return `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`;
}

function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function invalid(message: string): FakeAnswer {
  return { status: 422, body: { message: 'Validation Failed', errors: [{ message }] } };
}

const optionalBoolean = (value: unknown) => (typeof value === 'boolean' ? value : null);
const optionalString = (value: unknown) => (typeof value === 'string' ? value : null);

export class FakeDeploymentsApi {
  readonly deployments: FakeDeployment[] = [];
  /** False: every write answers 403 "Resource not accessible by personal access token". */
  canWrite = true;
  private nextId = 1;

  constructor(private readonly apiUrl: () => string) {}

  /** The answer for a deployments request, or null when the path is not a deployments endpoint. */
  handle(method: string, path: string, query: URLSearchParams, body: unknown): FakeAnswer | null {
    const list = LIST.exec(path);
    const statuses = STATUSES.exec(path);
    if (!list && !statuses) return null;
    if (method === 'POST' && !this.canWrite) {
      return { status: 403, body: { message: 'Resource not accessible by personal access token' } };
    }
    if (list && method === 'GET') return this.list(repoOf(list), query);
    if (list && method === 'POST') return this.create(repoOf(list), body);
    if (statuses && method === 'POST') return this.postStatus(repoOf(statuses), Number(statuses[3]), body);
    return { status: 404, body: { message: 'Not Found' } };
  }

  /** The deployments of `repo`, oldest first. */
  of(repo: string): FakeDeployment[] {
    return this.deployments.filter((d) => sameRepo(d.repo, repo));
  }

  private list(repo: string, query: URLSearchParams): FakeAnswer {
    const filters: Array<[string, (d: FakeDeployment) => string]> = [
      ['sha', (d) => d.sha],
      ['ref', (d) => d.ref],
      ['task', (d) => d.task],
      ['environment', (d) => d.environment],
    ];
    const matching = this.of(repo).filter((d) =>
      filters.every(([name, field]) => !query.has(name) || query.get(name) === field(d)),
    );
    return { status: 200, body: matching.reverse().map((d) => this.json(d)) };
  }

  private create(repo: string, body: unknown): FakeAnswer {
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof fields.ref !== 'string' || fields.ref === '') return invalid('ref is missing');
    if (!/^[0-9a-f]{40}$/.test(fields.ref)) return invalid(`No ref found for: ${fields.ref}`);
    const deployment: FakeDeployment = {
      id: this.nextId++,
      repo,
      sha: fields.ref,
      ref: fields.ref,
      task: optionalString(fields.task) ?? 'deploy',
      environment: optionalString(fields.environment) ?? 'production',
      description: optionalString(fields.description),
      payload: fields.payload ?? {},
      transientEnvironment: optionalBoolean(fields.transient_environment),
      productionEnvironment: optionalBoolean(fields.production_environment),
      autoMerge: optionalBoolean(fields.auto_merge),
      requiredContexts: fields.required_contexts,
      statuses: [],
    };
    this.deployments.push(deployment);
    return { status: 201, body: this.json(deployment) };
  }

  private postStatus(repo: string, id: number, body: unknown): FakeAnswer {
    const deployment = this.of(repo).find((d) => d.id === id);
    if (!deployment) return { status: 404, body: { message: 'Not Found' } };
    const fields = (body ?? {}) as Record<string, unknown>;
    if (typeof fields.state !== 'string' || !STATES.includes(fields.state)) {
      return invalid(`state is not included in the list: ${String(fields.state)}`);
    }
    const description = optionalString(fields.description) ?? '';
    if (description.length > 140) return invalid('description is too long (maximum is 140 characters)');
    const status: FakeDeploymentStatus = {
      id: deployment.id * 1000 + deployment.statuses.length + 1,
      state: fields.state,
      description,
      environmentUrl: optionalString(fields.environment_url),
      logUrl: optionalString(fields.log_url),
      autoInactive: optionalBoolean(fields.auto_inactive),
    };
    deployment.statuses.push(status);
    return {
      status: 201,
      body: {
        id: status.id,
        state: status.state,
        description: status.description,
        environment: deployment.environment,
        environment_url: status.environmentUrl ?? '',
        log_url: status.logUrl ?? '',
        deployment_url: `${this.apiUrl()}/repos/${deployment.repo}/deployments/${deployment.id}`,
      },
    };
  }

  private json(d: FakeDeployment): unknown {
    const url = `${this.apiUrl()}/repos/${d.repo}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: `DE_${d.id}`,
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: { login: 'auto-deploy-bot', id: 1, type: 'User' },
      created_at: '2026-11-29T14:00:00Z',
      updated_at: '2026-11-29T14:00:00Z',
      statuses_url: `${url}/statuses`,
      repository_url: `${this.apiUrl()}/repos/${d.repo}`,
      transient_environment: d.transientEnvironment ?? false,
      production_environment: d.productionEnvironment ?? false,
    };
  }
}

/**
 * In-memory ports of the GitHub deployments sync, for the use case's unit tests: its store on the shared
 * MemoryState (memory-stores.ts), and a GitHub deployments API that records every call in order and
 * can be told to fail the next ones.
 */
import type {
  GitHubDeploymentRequest,
  GitHubDeploymentSummary,
  GitHubStatusRequest,
  GitHubStep,
} from '../../functions/core/github-deployments.js';
import type { GitHubDeploymentsApi, GitHubSyncStore } from '../../functions/core/ports.js';
import type { Deployment, GitHubDeploymentRecord } from '../../functions/core/types.js';
import type { MemoryState } from './memory-stores.js';

export class MemoryGitHubSyncStore implements GitHubSyncStore {
  /** The next this-many writes of a record throw (Firestore down after GitHub answered). */
  failWrites = 0;

  constructor(private readonly state: MemoryState) {}

  async listGitHubCandidates(): Promise<Deployment[]> {
    return this.state
      .deploymentList()
      .filter(
        (d) =>
          d.status !== 'deleted' ||
          (d.github !== undefined && d.github.deploymentId !== null && d.github.state !== 'inactive'),
      );
  }

  async claimGitHubSync(
    instance: string,
    decide: (deployment: Deployment) => { step: GitHubStep; record: GitHubDeploymentRecord | null },
  ): Promise<GitHubStep | null> {
    const current = this.state.deployments.get(instance);
    if (!current) return null;
    const { step, record } = decide({ ...current });
    if (record) this.state.deployments.set(instance, { ...current, github: { ...record } });
    return step;
  }

  async writeGitHubRecord(
    instance: string,
    update: (current: GitHubDeploymentRecord | undefined) => GitHubDeploymentRecord,
  ): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw new Error('UNAVAILABLE: Firestore is down');
    }
    const current = this.state.deployments.get(instance);
    if (current) this.state.deployments.set(instance, { ...current, github: update(current.github) });
  }
}

/** One call the fake API received. */
export type GitHubApiCall =
  | { method: 'list'; repo: string; sha: string; environment: string }
  | { method: 'create'; repo: string; request: GitHubDeploymentRequest }
  | { method: 'status'; repo: string; deploymentId: number; status: GitHubStatusRequest };

/** GitHub's deployments in memory: ids count from 1001, every call recorded in order. */
export class MemoryGitHubApi implements GitHubDeploymentsApi {
  readonly calls: GitHubApiCall[] = [];
  readonly deployments: Array<{ id: number; repo: string; request: GitHubDeploymentRequest }> = [];
  /** The next calls throw these errors, one each, whatever the call. */
  readonly failures: Error[] = [];

  private maybeFail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  async listDeployments(repo: string, sha: string, environment: string): Promise<GitHubDeploymentSummary[]> {
    this.calls.push({ method: 'list', repo, sha, environment });
    this.maybeFail();
    return this.deployments
      .filter((d) => d.repo === repo && d.request.ref === sha && d.request.environment === environment)
      .map((d) => ({ id: d.id, instance: d.request.payload.instance }));
  }

  async createDeployment(repo: string, request: GitHubDeploymentRequest): Promise<number> {
    this.calls.push({ method: 'create', repo, request });
    this.maybeFail();
    const id = 1001 + this.deployments.length;
    this.deployments.push({ id, repo, request });
    return id;
  }

  async postStatus(repo: string, deploymentId: number, status: GitHubStatusRequest): Promise<void> {
    this.calls.push({ method: 'status', repo, deploymentId, status });
    this.maybeFail();
  }

  /** The calls in short: `list`, `create`, `status <id> <state>`. */
  summary(): string[] {
    return this.calls.map((call) =>
      call.method === 'status' ? `status ${call.deploymentId} ${call.status.state}` : call.method,
    );
  }
}

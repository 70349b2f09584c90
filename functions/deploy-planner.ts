/**
 * The planner's use cases, shared by `schedulerTick` (every step) and `githubWebhook` (plan and
 * enqueue for the versions a push touched):
 *
 * 1. poll: read each followed branch's head from GitHub (conditional request) and record a new one
 *    exactly as the webhook does (source `poll`), because GitHub never retries a failed delivery;
 * 2. refresh: follow the deploy and teardown Jobs on the cluster and move deployments along;
 * 3. plan and enqueue: the pure planner decides; each decision becomes a deploy or teardown request
 *    (claimed once by its derived id) and a Cloud Tasks task (named from the request, so a repeat is
 *    a no-op); each version's decision is stored for the console and the status page.
 *
 * A step that fails is logged and reported; the others still run, and nothing is lost: a request
 * that could not be queued stays pending and the next pass queues it.
 */

import type { IntakeStore } from './adapters/firestore-store.js';
import type { FirestorePipelineStore } from './adapters/pipeline-store.js';
import { newestJobOf, reconcileDeployment } from './core/deployments.js';
import { describeDecision, shownDecision } from './core/describe.js';
import { pushFromPoll } from './core/intake.js';
import { JOB_LABELS } from './core/job-manifest.js';
import { branchDocId, taskNameFor, ZERO_SHA } from './core/names.js';
import { planDeploys } from './core/plan.js';
import type {
  Clock,
  CommitSource,
  DeployEvaluator,
  DeployQueue,
  EvaluationTrigger,
  JobLauncher,
} from './core/ports.js';
import { isDueForEnqueue, requestsForPlan } from './core/requests.js';
import type { DeploymentsConfig, DeployRequest, Plan } from './core/types.js';
import { describeError, type Logger } from './log.js';

export interface DeployPlannerDeps {
  config: DeploymentsConfig;
  store: FirestorePipelineStore;
  intake: IntakeStore;
  queue: DeployQueue;
  jobs: JobLauncher;
  /** Null disables the poll fallback. */
  commits: CommitSource | null;
  clock: Clock;
  logger: Logger;
}

/** What one step did, for the tick's answer and its log line. */
export interface StepReport {
  ok: boolean;
  error?: string;
  [detail: string]: unknown;
}

export interface TickReport {
  poll: StepReport;
  refresh: StepReport;
  plan: StepReport;
}

export class DeployPlanner implements DeployEvaluator {
  constructor(private readonly deps: DeployPlannerDeps) {}

  /** The webhook's hook: plan and enqueue for the versions a push touched (no GC, no poll). */
  async evaluate(versions: string[], trigger: EvaluationTrigger): Promise<void> {
    const report = await this.planAndEnqueue(new Set(versions));
    this.deps.logger.info('evaluated after push', {
      trigger: trigger.kind,
      deliveryId: trigger.deliveryId,
      ...report,
    });
  }

  /** One scheduler tick: poll, refresh, plan. Each step runs even when an earlier one failed. */
  async tick(): Promise<TickReport> {
    const poll = await this.step('poll', () => this.pollBranches());
    const refresh = await this.step('refresh', () => this.refreshFromCluster());
    const plan = await this.step('plan', async () => {
      // Keeps versions/{name} in step with the config file, so operators find every version in the console.
      await this.deps.intake.syncVersions(this.deps.config.versions, this.deps.clock());
      return this.planAndEnqueue(null);
    });
    return { poll, refresh, plan };
  }

  private async step(name: string, run: () => Promise<Record<string, unknown>>): Promise<StepReport> {
    try {
      // A step that partly failed says so itself (`ok: false` and `error` in its result).
      return { ok: true, ...(await run()) };
    } catch (err) {
      this.deps.logger.error(`tick step ${name} failed`, { step: name, ...describeError(err) });
      return { ok: false, error: (err as Error).message };
    }
  }

  /**
   * Step 1: the poll fallback. A branch GitHub cannot tell about is logged and skipped, the other
   * branches are still polled, and the step reports the failure (`ok: false`), so the tick answers 500.
   */
  async pollBranches(): Promise<Record<string, unknown>> {
    const { commits, store, intake, config, clock, logger } = this.deps;
    if (!commits) return { skipped: 'no commit source configured' };
    const branches = new Map<string, { repo: string; branch: string; versions: string[] }>();
    for (const version of config.versions) {
      const key = branchDocId(version.repo, version.branch);
      const entry = branches.get(key) ?? { repo: version.repo, branch: version.branch, versions: [] };
      entry.versions.push(version.name);
      branches.set(key, entry);
    }
    const recorded: string[] = [];
    const failed: string[] = [];
    const errors: string[] = [];
    for (const [key, { repo, branch, versions }] of branches) {
      const log = logger.child({ repo, branch, version: versions.join(',') });
      try {
        const state = await store.readPollState(repo, branch);
        const polled = await commits.fetchBranchHead(repo, branch, state.sha === null ? null : state.etag);
        if (polled.kind === 'unchanged') continue;
        const now = clock();
        if (polled.kind === 'missing') {
          if (state.sha === null || state.deleted) continue;
          const result = await intake.recordPush(
            pushFromPoll({ repo, branch, before: state.sha, after: ZERO_SHA, head: null }, now),
            branch,
            versions,
            now,
          );
          log.warn('poll found the branch deleted', { outcome: result.kind });
          recorded.push(key);
          continue;
        }
        if (polled.sha !== state.sha || state.deleted) {
          const result = await intake.recordPush(
            pushFromPoll(
              { repo, branch, before: state.sha ?? ZERO_SHA, after: polled.sha, head: polled },
              now,
            ),
            branch,
            versions,
            now,
          );
          log.info('poll recorded a new head', { commit: polled.sha, outcome: result.kind });
          recorded.push(key);
        }
        await store.writePollState(repo, branch, polled.etag, now);
      } catch (err) {
        // GitHub unreachable or rate-limited: keep going with what is recorded.
        log.warn('poll failed for a branch; using what is recorded', describeError(err));
        failed.push(key);
        errors.push(`${key}: ${(err as Error).message}`);
      }
    }
    const report = { branches: branches.size, recorded, failed };
    if (failed.length === 0) return report;
    return {
      ...report,
      ok: false,
      error: `poll failed for ${failed.length} of ${branches.size} branches: ${errors.join('; ')}`,
    };
  }

  /** Step 2: follow the Jobs of every deployment in flight. */
  async refreshFromCluster(): Promise<Record<string, unknown>> {
    const { store, jobs, config, clock, logger } = this.deps;
    const followed = await store.listFollowedDeployments();
    if (followed.length === 0) return { followed: 0, changed: [] };
    const all = await jobs.listJobs(config.namespace, { [JOB_LABELS.autoDeploy]: 'true' });
    const now = clock();
    const changed: string[] = [];
    for (const deployment of followed) {
      const deployJob = newestJobOf(all, deployment.instance, 'deploy');
      const teardownJob = newestJobOf(all, deployment.instance, 'teardown');
      const patch = reconcileDeployment(deployment, deployJob, teardownJob, now);
      if (!patch) continue;
      const outcome = await store.updateDeploymentIf(deployment, patch);
      if (outcome === 'updated') {
        changed.push(deployment.instance);
        logger.info('deployment status changed', {
          instance: deployment.instance,
          version: deployment.version,
          commit: deployment.commit,
          from: deployment.status,
          to: patch.status ?? deployment.status,
          job: deployJob?.name ?? teardownJob?.name ?? null,
        });
      }
    }
    return { followed: followed.length, changed };
  }

  /**
   * Step 3: plan, record requests, enqueue them, store decisions. `only` limits the pass to some
   * versions (after a push); GC runs only in a full pass.
   */
  async planAndEnqueue(only: Set<string> | null): Promise<Record<string, unknown>> {
    const { store, config, clock } = this.deps;
    const now = clock();
    const snapshot = await store.readSnapshot(config.versions, now);
    const plan: Plan = planDeploys({
      now,
      maxActiveDeployments: config.policy.maxActiveDeployments,
      versions: snapshot.versions,
      deployments: snapshot.deployments,
      openRequests: snapshot.openRequests,
      policy: config.policy,
    });
    const decisions = plan.versions.filter((decision) => only === null || only.has(decision.version));
    const toEnqueue = new Map<string, DeployRequest>();
    for (const wanted of requestsForPlan(plan, snapshot.deployments, now, only)) {
      const { request } = await store.createRequest(wanted);
      if (request.status === 'pending') toEnqueue.set(request.id, request);
    }

    const decisionByVersion = new Map(plan.versions.map((decision) => [decision.version, decision]));
    for (const request of snapshot.openRequests) {
      if (only !== null && !only.has(request.version)) continue;
      if (isDueForEnqueue(request, decisionByVersion.get(request.version), now))
        toEnqueue.set(request.id, request);
    }

    const enqueued: string[] = [];
    const failed: string[] = [];
    for (const request of toEnqueue.values()) {
      if (await this.enqueue(request, now)) enqueued.push(request.id);
      else failed.push(request.id);
    }

    await store.writeDecisions(
      decisions.map((decision) => {
        const shown = shownDecision(decision, now);
        return { decision: shown, text: describeDecision(shown, now) };
      }),
      now,
    );
    return {
      decisions: Object.fromEntries(decisions.map((d) => [d.version, `${d.kind}:${d.reason}`])),
      collect: only === null ? plan.collect.map((c) => c.instance) : [],
      enqueued,
      enqueueFailed: failed,
    };
  }

  /** Puts one request in the queue; on failure it stays open (pending) with the error, for the next pass. */
  private async enqueue(request: DeployRequest, now: Date): Promise<boolean> {
    const { queue, store, logger } = this.deps;
    const count = request.enqueueCount + 1;
    const taskName = taskNameFor(request.id, count);
    const notBefore = request.notBefore.getTime() > now.getTime() ? request.notBefore : now;
    const log = logger.child({
      request: request.id,
      task: taskName,
      version: request.version,
      commit: request.commit,
      action: request.action,
    });
    try {
      const result = await queue.enqueue({ requestId: request.id, taskName, notBefore });
      await store.markEnqueued(request.id, count, taskName, now, request.updatedAt);
      log.info(result.isNew ? 'request enqueued' : 'request was already enqueued', {
        notBefore: notBefore.toISOString(),
      });
      return true;
    } catch (err) {
      log.error('enqueue failed; the request stays pending for the next tick', describeError(err));
      await store.markEnqueueFailed(request.id, (err as Error).message, now).catch((writeErr: unknown) => {
        log.error('could not record the enqueue failure', describeError(writeErr));
      });
      return false;
    }
  }
}

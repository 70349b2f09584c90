/**
 * `npm run bench -- plan`: how long one planner pass takes at scale (pure core, no I/O): 3 and 50
 * versions, each with a history of deployments and an open request; p50 and p99 over many runs.
 * Context for the tick's figures (the planner is a small part of a tick): no target.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_POLICY, DEFAULT_READINESS } from '../../functions/config.js';
import { planDeploys } from '../../functions/core/plan.js';
import type { Deployment, DeployRequest, VersionState } from '../../functions/core/types.js';
import type { Benchmark } from './context.js';
import { type Figure, info, summarize } from './report.js';

const NOW = new Date('2026-11-29T12:00:00Z');
const HOUR_MS = 3_600_000;

function sha(n: number): string {
  return n.toString(16).padStart(40, '0');
}

function fixture(versionCount: number, historyPerVersion: number) {
  const versions: VersionState[] = [];
  const deployments: Deployment[] = [];
  const openRequests: DeployRequest[] = [];
  for (let v = 0; v < versionCount; v++) {
    const name = `v${v}`;
    versions.push({
      config: {
        name,
        repo: 'kubeflow/manifests',
        branch: `branch-${v}`,
        kfDefPath: 'kfdef/a.yaml',
        kfctlUrl: 'https://example.com/kfctl.tgz',
        paused: false,
        policy: DEFAULT_POLICY,
        readiness: DEFAULT_READINESS,
      },
      switches: { paused: false, forceRedeploy: false },
      head: { sha: sha(v * 1000 + historyPerVersion), deleted: false },
    });
    for (let h = 0; h < historyPerVersion; h++) {
      const createdAt = new Date(NOW.getTime() - (historyPerVersion - h) * 4 * HOUR_MS);
      deployments.push({
        instance: `kf-${name}-1129-${h.toString(16).padStart(3, '0')}`,
        version: name,
        repo: 'kubeflow/manifests',
        branch: `branch-${v}`,
        commit: sha(v * 1000 + h),
        reason: 'new-commit',
        requestId: `deploy-${name}-${h}`,
        status: h === historyPerVersion - 1 ? 'deploying' : 'ready',
        namespace: 'auto-deploy',
        jobName: `auto-deploy-${name}-${h}`,
        teardownJobName: null,
        kfctlUrl: 'https://example.com/kfctl.tgz',
        kfDefUrl: 'https://example.com/kfdef.yaml',
        endpoint: 'https://example.com',
        credentialsCommand: 'gcloud ...',
        createdAt,
        updatedAt: createdAt,
        readyAt: null,
        finishedAt: null,
        deletingAt: null,
        deletedAt: null,
        launchLeaseExpiresAt: null,
        error: null,
      });
    }
    if (v % 5 === 0) {
      openRequests.push({
        id: `deploy-${name}-open`,
        action: 'deploy',
        version: name,
        commit: sha(v * 1000 + historyPerVersion),
        reason: 'new-commit',
        instance: null,
        notBefore: new Date(NOW.getTime() + 600_000),
        status: 'enqueued',
        enqueueCount: 1,
        taskName: 't',
        createdAt: NOW,
        updatedAt: NOW,
        error: null,
      });
    }
  }
  return { versions, deployments, openRequests };
}

function measure(runs: number, body: () => unknown): number[] {
  for (let i = 0; i < Math.min(50, runs); i++) body();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    body();
    times.push(performance.now() - start);
  }
  return times;
}

const RUNS = 500;

/** One figure per case: p50 of a planner pass (p99 in the label). */
export const runPlanBench: Benchmark = async () => {
  const figures: Figure[] = [];
  for (const [versionCount, history] of [
    [3, 5],
    [50, 5],
    [50, 50],
  ] as const) {
    const input = fixture(versionCount, history);
    const times = measure(RUNS, () =>
      planDeploys({ now: NOW, maxActiveDeployments: 10, policy: DEFAULT_POLICY, ...input }),
    );
    const summary = summarize(times.map((ms) => ms * 1000));
    figures.push(
      info({
        bench: 'plan',
        id: `plan.${versionCount}v-${history}h`,
        label: `planDeploys, ${versionCount} versions x ${history} deployments, p50 (p99 ${summary.p99} us)`,
        value: summary.p50,
        unit: 'us',
        detail: { runs: RUNS, summary },
      }),
    );
  }
  return figures;
};

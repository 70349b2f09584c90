/**
 * Wiring of the use cases on the in-memory ports (memory-stores.ts) for their unit tests: a deployments
 * config of two versions, Job templates parsed from inline YAML (no file I/O), a clock the test moves.
 */
import { parseDeploymentsConfig } from '../../functions/config.js';
import { DEPLOY_CONTAINER_NAME, TEARDOWN_CONTAINER_NAME } from '../../functions/core/job-manifest.js';
import type { CommitSource } from '../../functions/core/ports.js';
import type { DeploymentsConfig } from '../../functions/core/types.js';
import { type JobTemplates, parseJobTemplate } from '../../functions/job-templates.js';
import { silentLogger } from '../../functions/log.js';
import type { PlanAndEnqueueDeps } from '../../functions/use-cases/plan-and-enqueue.js';
import type { PollBranchesDeps } from '../../functions/use-cases/poll-branches.js';
import type { RunDeployRequestDeps } from '../../functions/use-cases/run-deploy-request.js';
import {
  MemoryIntakeStore,
  MemoryJobs,
  MemoryLaunchStore,
  MemoryPlanStore,
  MemoryPollStore,
  MemoryQueue,
  MemoryState,
} from './memory-stores.js';

export const REPO = 'kubeflow/manifests';

/** master (branch master) and v1 (branch v1.0-branch), the default policy, unless `policy` is given. */
export function useCaseConfig(policy = ''): DeploymentsConfig {
  return parseDeploymentsConfig(
    `
project: kf-ci-test
zone: us-east1-d
namespace: auto-deploy
readiness: {enabled: false}
inventory: {enabled: false}
${policy}
versions:
  - {name: master, repo: ${REPO}, branch: master, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl_v1.0_linux.tar.gz"}
  - {name: v1, repo: ${REPO}, branch: v1.0-branch, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl_v1.0_linux.tar.gz"}
`,
    'use-case test config',
  );
}

function template(container: string): string {
  return `
apiVersion: batch/v1
kind: Job
metadata: {}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: ${container}
          image: gcr.io/kubeflow-ci/test-worker:latest
`;
}

/** Minimal valid deploy and teardown templates. */
export const TEST_TEMPLATES: JobTemplates = {
  deploy: parseJobTemplate(template(DEPLOY_CONTAINER_NAME), 'deploy.yaml', DEPLOY_CONTAINER_NAME),
  teardown: parseJobTemplate(template(TEARDOWN_CONTAINER_NAME), 'teardown.yaml', TEARDOWN_CONTAINER_NAME),
};

/** A clock the test sets and moves. */
export class TestClock {
  constructor(public now: Date) {}
  readonly read = (): Date => new Date(this.now);
  advanceMinutes(minutes: number): void {
    this.now = new Date(this.now.getTime() + minutes * 60_000);
  }
}

/** Everything a use-case test needs, on one in-memory state. */
export function memoryWorld(start: Date, config: DeploymentsConfig = useCaseConfig()) {
  const state = new MemoryState();
  const clock = new TestClock(start);
  const jobs = new MemoryJobs(clock.read);
  const queue = new MemoryQueue();
  const launchStore = new MemoryLaunchStore(state);
  const worker: RunDeployRequestDeps = {
    config,
    store: launchStore,
    jobs,
    templates: TEST_TEMPLATES,
    clock: clock.read,
    logger: silentLogger,
  };
  const plan: PlanAndEnqueueDeps = {
    config,
    store: new MemoryPlanStore(state),
    queue,
    clock: clock.read,
    logger: silentLogger,
  };
  return { state, clock, jobs, queue, launchStore, worker, plan, config };
}

/** The poll's dependencies on a world's state, asking `commits` (GitHub). */
export function memoryPollDeps(
  world: ReturnType<typeof memoryWorld>,
  commits: CommitSource | null,
): PollBranchesDeps {
  return {
    versions: world.config.versions,
    commits,
    pollStore: new MemoryPollStore(world.state),
    intake: new MemoryIntakeStore(world.state),
    clock: world.clock.read,
    logger: silentLogger,
  };
}

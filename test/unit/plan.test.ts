import assert from 'node:assert/strict';
import { deployRequestId } from '../../functions/core/names.js';
import { type PlanInput, planDeploys } from '../../functions/core/plan.js';
import type {
  Deployment,
  DeploymentStatus,
  DeployRequest,
  VersionDecision,
  VersionState,
} from '../../functions/core/types.js';
import {
  makeDeployment,
  makeEnqueuedRequest,
  makeVersionState,
  TEST_POLICY as POLICY,
} from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const OLDER = 'c'.repeat(40);

const ago = (ms: number): Date => new Date(NOW.getTime() - ms);
const ahead = (ms: number): Date => new Date(NOW.getTime() + ms);

interface VersionOptions {
  paused?: boolean;
  switchPaused?: boolean;
  force?: boolean;
  head?: VersionState['head'];
}

function version(name: string, options: VersionOptions = {}): VersionState {
  return makeVersionState({
    config: { name, paused: options.paused ?? false },
    switches: { paused: options.switchPaused ?? false, forceRedeploy: options.force ?? false },
    head: options.head === undefined ? { sha: HEAD, deleted: false } : options.head,
  });
}

function dep(
  instance: string,
  status: DeploymentStatus,
  ageMs: number,
  overrides: Partial<Deployment> = {},
): Deployment {
  const createdAt = ago(ageMs);
  return makeDeployment({ instance, status, commit: HEAD, createdAt, updatedAt: createdAt, ...overrides });
}

function openRequest(id: string, overrides: Partial<DeployRequest> = {}): DeployRequest {
  return makeEnqueuedRequest(NOW, { id, commit: HEAD, ...overrides });
}

/** `n` ready instances of other versions, old enough, each alone in its version (never collected). */
function busy(n: number, status: DeploymentStatus = 'ready', prefix = 'busy'): Deployment[] {
  return Array.from({ length: n }, (_, i) =>
    dep(`${prefix}-${i}`, status, 5 * HOUR, { version: `${prefix}${i}`, commit: OLD }),
  );
}

function plan(partial: Partial<PlanInput>): ReturnType<typeof planDeploys> {
  return planDeploys({
    now: NOW,
    maxActiveDeployments: 10,
    versions: [version('master')],
    deployments: [],
    openRequests: [],
    ...partial,
  });
}

const deploy = (
  reason: 'new-commit' | 'periodic' | 'manual',
  notBefore: Date,
  requestId: string,
  commit = HEAD,
): VersionDecision => ({ kind: 'deploy', version: 'master', commit, reason, notBefore, requestId });

const retry = (notBefore: Date, requestId: string, attempt: number): VersionDecision => ({
  kind: 'deploy',
  version: 'master',
  commit: HEAD,
  reason: 'retry',
  notBefore,
  requestId,
  attempt,
  maxAttempts: 3,
});

describe('plan: planDeploys', () => {
  const cases: Array<{ name: string; input: Partial<PlanInput>; expected: VersionDecision }> = [
    // --- a) paused
    {
      name: 'paused in the config -> wait paused',
      input: { versions: [version('master', { paused: true })] },
      expected: { kind: 'wait', version: 'master', reason: 'paused' },
    },
    {
      name: 'paused by the switch -> wait paused',
      input: { versions: [version('master', { switchPaused: true })] },
      expected: { kind: 'wait', version: 'master', reason: 'paused' },
    },
    {
      name: 'paused beats forceRedeploy',
      input: { versions: [version('master', { switchPaused: true, force: true })] },
      expected: { kind: 'wait', version: 'master', reason: 'paused' },
    },
    // --- b) no commit
    {
      name: 'no head recorded -> wait no-commit',
      input: { versions: [version('master', { head: null })] },
      expected: { kind: 'wait', version: 'master', reason: 'no-commit' },
    },
    {
      name: 'branch deleted -> wait no-commit',
      input: { versions: [version('master', { head: { sha: HEAD, deleted: true } })] },
      expected: { kind: 'wait', version: 'master', reason: 'no-commit' },
    },
    // --- c) open requests
    {
      name: 'an open request for the head not yet due -> wait rate-limited until its notBefore, with its commit',
      input: {
        openRequests: [openRequest('r1', { notBefore: ahead(5 * MINUTE), status: 'pending' })],
      },
      expected: {
        kind: 'wait',
        version: 'master',
        reason: 'rate-limited',
        until: ahead(5 * MINUTE),
        commit: HEAD,
      },
    },
    // --- c') superseded requests: the branch moved on before the worker came (issue 10)
    {
      name: 'an open request for an older commit does not block the head -> deploy the head now',
      input: { openRequests: [openRequest('r1', { commit: OLD })] },
      expected: deploy('new-commit', NOW, deployRequestId('master', HEAD, 'c')),
    },
    {
      name: 'a superseded request not yet due -> deploy the head when the launches allow, not at its notBefore',
      input: {
        openRequests: [openRequest('r1', { commit: OLD, status: 'pending', notBefore: ahead(15 * MINUTE) })],
      },
      expected: deploy('new-commit', NOW, deployRequestId('master', HEAD, 'c')),
    },
    {
      name: 'a superseded request the worker deferred -> deploy the head',
      input: { openRequests: [openRequest('r1', { commit: OLD, status: 'deferred' })] },
      expected: deploy('new-commit', NOW, deployRequestId('master', HEAD, 'c')),
    },
    {
      name: 'a superseded request that launched -> the head deploys when the rate limit opens (one launch a window)',
      input: {
        deployments: [dep('old', 'launching', 2 * MINUTE, { commit: OLD, requestId: 'r1' })],
        openRequests: [openRequest('r1', { commit: OLD })],
      },
      expected: deploy('new-commit', ahead(18 * MINUTE), 'deploy-master-aaaaaaaaaaaa-c202611291358'),
    },
    {
      name: 'a request for the head beside a superseded one -> wait for the head request',
      input: {
        openRequests: [
          openRequest('old', { commit: OLD, notBefore: ago(MINUTE) }),
          openRequest('new', { commit: HEAD, notBefore: ahead(MINUTE) }),
        ],
      },
      expected: {
        kind: 'wait',
        version: 'master',
        reason: 'rate-limited',
        until: ahead(MINUTE),
        commit: HEAD,
      },
    },
    {
      name: 'an open request whose enqueue failed -> wait not-queued, with the error (not "deploying")',
      input: {
        openRequests: [
          openRequest('r1', { notBefore: NOW, status: 'pending', error: 'enqueue failed: UNAVAILABLE' }),
        ],
      },
      expected: {
        kind: 'wait',
        version: 'master',
        reason: 'not-queued',
        commit: HEAD,
        error: 'enqueue failed: UNAVAILABLE',
      },
    },
    {
      name: 'an open request pending for the first time (no error) -> wait in-progress',
      input: { openRequests: [openRequest('r1', { notBefore: NOW, status: 'pending' })] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'an open request due -> wait in-progress',
      input: { openRequests: [openRequest('r1', { notBefore: NOW })] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'a deferred request while every slot is taken -> wait at-capacity',
      input: {
        deployments: busy(10),
        openRequests: [openRequest('r1', { status: 'deferred' })],
      },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: 'a deferred request with a free slot -> wait in-progress (the next plan re-enqueues it)',
      input: { deployments: busy(9), openRequests: [openRequest('r1', { status: 'deferred' })] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'an open request blocks forceRedeploy until it is done',
      input: { versions: [version('master', { force: true })], openRequests: [openRequest('r1')] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'teardown requests and closed requests do not block deploys',
      input: {
        openRequests: [
          openRequest('t1', { action: 'teardown', instance: 'kf-master-1129-abc' }),
          openRequest('done', { status: 'done' }),
          openRequest('failed', { status: 'failed' }),
        ],
      },
      expected: deploy('new-commit', NOW, deployRequestId('master', HEAD, 'c')),
    },
    {
      name: "another version's open request does not block this one",
      input: { openRequests: [openRequest('r1', { version: 'v1' })] },
      expected: deploy('new-commit', NOW, deployRequestId('master', HEAD, 'c')),
    },
    // --- d) history
    {
      name: 'empty history -> deploy the head now (window c)',
      input: {},
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      name: 'head commit launching -> wait in-progress',
      input: { deployments: [dep('l', 'launching', 5 * MINUTE)] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'head commit deploying -> wait in-progress, even under forceRedeploy',
      input: {
        versions: [version('master', { force: true })],
        deployments: [dep('d', 'deploying', 30 * MINUTE)],
      },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'new commit 20 min after the last launch -> deploy now (boundary allowed)',
      input: { deployments: [dep('prev', 'ready', 20 * MINUTE, { commit: OLD })] },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c202611291340'),
    },
    {
      name: 'new commit 19m59s after the last launch -> deploy at the end of the rate limit',
      input: { deployments: [dep('prev', 'ready', 20 * MINUTE - 1000, { commit: OLD })] },
      expected: deploy('new-commit', ahead(1000), 'deploy-master-aaaaaaaaaaaa-c202611291340'),
    },
    {
      name: 'new commit while an older commit is still deploying -> deploy (only the same commit waits)',
      input: { deployments: [dep('prev', 'deploying', 30 * MINUTE, { commit: OLD })] },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c202611291330'),
    },
    {
      name: 'newest launch failed on an older commit -> deploy the new head',
      input: {
        deployments: [
          dep('r', 'ready', 5 * HOUR, { commit: OLDER }),
          dep('f', 'failed', HOUR, { commit: OLD }),
        ],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c202611291300'),
    },
    // Issue 7: a failed launch of the head commit is retried after a doubling backoff, a bounded number of times.
    {
      name: 'newest launch of the head commit failed 1 h ago -> retry now (attempt 2 of 3)',
      input: { deployments: [dep('r', 'ready', 5 * HOUR, { commit: OLD }), dep('f', 'failed', HOUR)] },
      expected: retry(NOW, 'deploy-master-aaaaaaaaaaaa-r202611291300', 2),
    },
    {
      name: 'newest launch of the head commit failed 10 min ago -> retry when the 20 min backoff passed',
      input: { deployments: [dep('f', 'failed', 10 * MINUTE)] },
      expected: retry(ago(-10 * MINUTE), 'deploy-master-aaaaaaaaaaaa-r202611291350', 2),
    },
    {
      name: 'the backoff doubles: after the second failure 40 min, never sooner than the rate limit',
      input: {
        deployments: [
          dep('f1', 'failed', 3 * HOUR, { finishedAt: ago(3 * HOUR) }),
          dep('f2', 'failed', 30 * MINUTE, { finishedAt: ago(25 * MINUTE) }),
        ],
      },
      expected: retry(ago(-15 * MINUTE), 'deploy-master-aaaaaaaaaaaa-r202611291330', 3),
    },
    {
      name: 'the head commit failed 3 times in a row -> wait failed (no retry loop)',
      input: {
        deployments: [
          dep('f1', 'failed', 5 * HOUR),
          dep('f2', 'lost', 4 * HOUR),
          dep('f3', 'failed', 3 * HOUR),
        ],
      },
      expected: { kind: 'wait', version: 'master', reason: 'failed', commit: HEAD, attempts: 3 },
    },
    {
      name: 'a success in between starts the count again',
      input: {
        deployments: [
          dep('f1', 'failed', 5 * HOUR),
          dep('r', 'ready', 4 * HOUR),
          dep('f2', 'failed', 3 * HOUR),
        ],
      },
      expected: retry(NOW, 'deploy-master-aaaaaaaaaaaa-r202611291100', 2),
    },
    {
      name: 'after the last attempt, the periodic rule still redeploys',
      input: {
        deployments: [
          dep('f1', 'failed', 14 * HOUR),
          dep('f2', 'failed', 13 * HOUR),
          dep('f3', 'failed', 12 * HOUR),
        ],
      },
      expected: deploy('periodic', NOW, 'deploy-master-aaaaaaaaaaaa-p202611290200'),
    },
    {
      name: 'newest launch of the head commit lost -> retry',
      input: { deployments: [dep('l', 'lost', 2 * HOUR)] },
      expected: retry(NOW, 'deploy-master-aaaaaaaaaaaa-r202611291200', 2),
    },
    {
      name: 'newest launch of the head commit unhealthy -> retry',
      input: { deployments: [dep('u', 'unhealthy', 2 * HOUR, { readyAt: ago(2 * HOUR) })] },
      expected: retry(NOW, 'deploy-master-aaaaaaaaaaaa-r202611291200', 2),
    },
    {
      name: 'head commit verifying -> wait in-progress',
      input: { deployments: [dep('v', 'verifying', 10 * MINUTE)] },
      expected: { kind: 'wait', version: 'master', reason: 'in-progress', commit: HEAD },
    },
    {
      name: 'newest launch of the head commit failed 12 h ago -> retry (attempts remain)',
      input: { deployments: [dep('f', 'failed', 12 * HOUR)] },
      expected: retry(NOW, 'deploy-master-aaaaaaaaaaaa-r202611290200', 2),
    },
    {
      name: 'head deployed and ready 11h59m ago -> wait up-to-date',
      input: { deployments: [dep('r', 'ready', 12 * HOUR - MINUTE)] },
      expected: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: HEAD },
    },
    {
      name: 'head deployed exactly 12 h ago -> periodic redeploy (boundary allowed)',
      input: { deployments: [dep('r', 'ready', 12 * HOUR)] },
      expected: deploy('periodic', NOW, 'deploy-master-aaaaaaaaaaaa-p202611290200'),
    },
    {
      name: 'the periodic rule counts from the newest launch, not the oldest',
      input: { deployments: [dep('r1', 'ready', 30 * HOUR), dep('r2', 'ready', 2 * HOUR)] },
      expected: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: HEAD },
    },
    {
      name: 'force-push back to a commit that is already ready -> wait up-to-date',
      input: {
        deployments: [
          dep('a', 'ready', 6 * HOUR, { commit: HEAD }),
          dep('b', 'ready', 2 * HOUR, { commit: OLD }),
        ],
      },
      expected: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: HEAD },
    },
    {
      name: 'force-push back to a commit whose instance was collected -> deploy it again, with a new request id',
      input: {
        deployments: [
          dep('a', 'deleted', 20 * HOUR, { commit: HEAD }),
          dep('b', 'ready', 8 * HOUR, { commit: OLD }),
        ],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c202611290600'),
    },
    {
      name: 'force-push back to a commit whose deploy failed -> deploy it again',
      input: {
        deployments: [
          dep('a', 'failed', 6 * HOUR, { commit: HEAD }),
          dep('b', 'ready', 2 * HOUR, { commit: OLD }),
        ],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c202611291200'),
    },
    {
      name: 'forceRedeploy -> manual deploy now, rate limit aside (window m + now)',
      input: {
        versions: [version('master', { force: true })],
        deployments: [dep('r', 'ready', MINUTE)],
      },
      expected: deploy('manual', NOW, 'deploy-master-aaaaaaaaaaaa-m202611291400'),
    },
    {
      name: 'forceRedeploy on an empty history',
      input: { versions: [version('master', { force: true })] },
      expected: deploy('manual', NOW, 'deploy-master-aaaaaaaaaaaa-m202611291400'),
    },
    // --- e) capacity
    {
      name: 'at capacity (10 active, any version) -> wait at-capacity',
      input: { deployments: busy(10) },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: 'launching and deploying count against capacity',
      input: { deployments: [...busy(5, 'launching', 'l'), ...busy(5, 'deploying', 'd')] },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      // Issue 7: everything that may hold cloud resources counts until it is verified gone.
      name: 'failed, lost, unhealthy, adopted, deleting and teardown-failed count against capacity',
      input: {
        deployments: [
          ...busy(4),
          dep('f', 'failed', HOUR, { version: 'x1' }),
          dep('l', 'lost', HOUR, { version: 'x2' }),
          dep('u', 'unhealthy', HOUR, { version: 'x3' }),
          dep('a', 'adopted', HOUR, { version: 'x4' }),
          dep('g', 'deleting', HOUR, { version: 'x5' }),
          dep('t', 'teardown-failed', HOUR, { version: 'x6' }),
        ],
      },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: 'deleted ones, and lost ones whose cluster the inventory saw gone, do not count',
      input: {
        deployments: [
          ...busy(9),
          dep('l', 'lost', HOUR, { version: 'x2', cluster: { listed: false, checkedAt: NOW } }),
          dep('d', 'deleted', HOUR, { version: 'x4' }),
        ],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      name: 'forceRedeploy still respects capacity',
      input: { versions: [version('master', { force: true })], deployments: busy(10) },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: "other versions' open requests not yet launched count against capacity",
      input: { deployments: busy(9), openRequests: [openRequest('v1-req', { version: 'v1' })] },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: "another version's superseded request takes no slot (the worker will skip it)",
      input: {
        versions: [version('master'), version('v1')],
        deployments: busy(9),
        openRequests: [openRequest('v1-req', { version: 'v1', commit: OLD })],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      name: "another version's request for its head still takes a slot",
      input: {
        versions: [version('master'), version('v1')],
        deployments: busy(9),
        openRequests: [openRequest('v1-req', { version: 'v1' })],
      },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      // A per-version pass (a plan task) reads no other version's head: it cannot tell which of that
      // version's open requests are superseded, but at most one of them is for the head.
      name: 'open requests of a version outside the pass take one slot, however many there are',
      input: {
        deployments: busy(8),
        openRequests: [
          openRequest('v1-a', { version: 'v1' }),
          openRequest('v1-b', { version: 'v1', commit: OLD }),
          openRequest('v1-c', { version: 'v1', commit: OLDER }),
        ],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      name: 'open requests of two versions outside the pass take a slot each',
      input: {
        deployments: busy(8),
        openRequests: [
          openRequest('v1-a', { version: 'v1' }),
          openRequest('v1-b', { version: 'v1', commit: OLD }),
          openRequest('stacks-a', { version: 'stacks' }),
        ],
      },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
    {
      name: 'an open request already launched is counted once (as its deployment)',
      input: {
        deployments: [...busy(8), dep('v1-new', 'launching', MINUTE, { version: 'v1', requestId: 'v1-req' })],
        openRequests: [openRequest('v1-req', { version: 'v1' })],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      name: 'an open request listed twice is counted once',
      input: {
        deployments: busy(8),
        openRequests: [openRequest('v1-req', { version: 'v1' }), openRequest('v1-req', { version: 'v1' })],
      },
      expected: deploy('new-commit', NOW, 'deploy-master-aaaaaaaaaaaa-c'),
    },
    {
      // Issue 7: a collected instance still holds its cluster until the teardown removed it.
      name: 'an instance GC collects in this pass still counts until it is gone',
      input: {
        versions: [version('master'), version('v1')],
        deployments: [
          ...busy(8),
          dep('v1-old', 'ready', 10 * HOUR, { version: 'v1', commit: HEAD }),
          dep('v1-new', 'ready', 4 * HOUR, { version: 'v1', commit: HEAD }),
        ],
      },
      expected: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10, commit: HEAD },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = plan(c.input);
      assert.deepEqual(result.versions[0], c.expected);
    });
  }

  it('returns one decision per version, in config order', () => {
    const result = plan({
      versions: [version('v1', { paused: true }), version('master'), version('stacks', { head: null })],
    });
    assert.deepEqual(
      result.versions.map((d) => [d.version, d.kind === 'wait' ? d.reason : d.kind]),
      [
        ['v1', 'paused'],
        ['master', 'deploy'],
        ['stacks', 'no-commit'],
      ],
    );
  });

  it('deploys decided earlier in the pass count against capacity', () => {
    const result = plan({
      versions: [version('master'), version('v1'), version('stacks')],
      deployments: busy(8),
    });
    assert.deepEqual(
      result.versions.map((d) => (d.kind === 'deploy' ? 'deploy' : `${d.reason}:${d.active}`)),
      ['deploy', 'deploy', 'at-capacity:10'],
    );
  });

  it('a deploy with a future notBefore takes its slot now', () => {
    const result = plan({
      versions: [version('master'), version('v1')],
      deployments: [...busy(8), dep('prev', 'ready', 5 * MINUTE, { commit: OLD })],
    });
    assert.deepEqual(
      result.versions[0],
      deploy('new-commit', ahead(15 * MINUTE), 'deploy-master-aaaaaaaaaaaa-c202611291355'),
    );
    assert.deepEqual(result.versions[1], {
      kind: 'wait',
      version: 'v1',
      reason: 'at-capacity',
      active: 10,
      commit: HEAD,
    });
  });

  it('collects for paused versions too, and reports the collection', () => {
    const result = plan({
      versions: [version('master', { paused: true })],
      deployments: [dep('old', 'ready', 10 * HOUR, { commit: OLD }), dep('new', 'ready', 4 * HOUR)],
    });
    assert.deepEqual(result.versions[0], { kind: 'wait', version: 'master', reason: 'paused' });
    assert.deepEqual(
      result.collect.map((c) => c.instance),
      ['old'],
    );
  });

  it('collects deployments of versions no longer configured with the global policy, when given', () => {
    const deployments = [
      dep('gone-old', 'ready', 10 * HOUR, { version: 'gone' }),
      dep('gone-new', 'ready', 4 * HOUR, { version: 'gone' }),
    ];
    assert.deepEqual(plan({ deployments }).collect, []);
    assert.deepEqual(
      plan({ deployments, policy: POLICY }).collect.map((c) => c.instance),
      ['gone-old'],
    );
  });

  it('passes the lease seam to GC', () => {
    const result = plan({
      deployments: [dep('old', 'ready', 10 * HOUR, { commit: OLD }), dep('new', 'ready', 4 * HOUR)],
      isHeld: (d) => d.instance === 'old',
    });
    assert.deepEqual(result.collect, []);
  });

  it('is stable: the same input gives the same request id on every pass', () => {
    const input: Partial<PlanInput> = { deployments: [dep('r', 'ready', 13 * HOUR)] };
    const first = plan(input).versions[0];
    const second = plan(input).versions[0];
    assert.equal(first?.kind, 'deploy');
    assert.deepEqual(first, second);
  });

  it('does not mutate its input', () => {
    const deployments = [
      dep('b', 'ready', HOUR, { commit: OLD }),
      dep('a', 'ready', 10 * HOUR, { commit: OLD }),
    ];
    const snapshot = structuredClone(deployments);
    plan({ deployments });
    assert.deepEqual(deployments, snapshot);
  });
});

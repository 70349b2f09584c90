/**
 * The dry run of the next plan (core/plan-view.ts): per version the planner's decision in words, per
 * instance GC's verdict with the rule that keeps it, per request whether the pass would queue it.
 */
import assert from 'node:assert/strict';
import { NO_CONTROL, NO_DRAIN, type VersionControl } from '../../functions/core/operator.js';
import { planView } from '../../functions/core/plan-view.js';
import type { PipelineSnapshot } from '../../functions/core/ports.js';
import type { DeploymentsConfig, VersionState } from '../../functions/core/types.js';
import {
  makeDeployment,
  makeDeployRequest,
  makeLease,
  makeVersionConfig,
  makeVersionState,
  TEST_POLICY,
  TEST_READINESS,
} from '../support/fixtures.js';

const NOW = new Date('2026-11-30T10:00:00Z');
const HOUR = 3_600_000;
const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const CONFIG: DeploymentsConfig = {
  project: 'p',
  zone: 'z',
  namespace: 'n',
  policy: TEST_POLICY,
  readiness: TEST_READINESS,
  inventory: { enabled: false, adopt: false },
  versions: [makeVersionConfig({ name: 'master' }), makeVersionConfig({ name: 'v1' })],
};

const ready = (instance: string, version: string, ageMs: number) =>
  makeDeployment({
    instance,
    version,
    commit: OLD,
    status: 'ready',
    createdAt: ago(ageMs),
    readyAt: ago(ageMs),
  });

function snapshot(switches: Partial<VersionState['switches']> = {}): PipelineSnapshot {
  return {
    versions: CONFIG.versions.map((config) =>
      makeVersionState({
        config,
        switches: { ...switches, ...(config.name === 'v1' ? { paused: true } : {}) },
        head: { sha: HEAD, deleted: false },
      }),
    ),
    deployments: [
      ready('kf-master-1129-old', 'master', 30 * HOUR),
      ready('kf-master-1129-new', 'master', 10 * HOUR),
      ready('kf-v1-1129-aaa', 'v1', 20 * HOUR),
      ready('kf-v1-1129-bbb', 'v1', 10 * HOUR),
      makeDeployment({
        instance: 'kf-v1-1128-del',
        version: 'v1',
        status: 'deleted',
        createdAt: ago(40 * HOUR),
      }),
    ],
    openRequests: [
      makeDeployRequest({ id: 'deploy-v1-old-c', version: 'v1', status: 'deferred', createdAt: ago(HOUR) }),
    ],
    leases: [
      makeLease({
        leaseId: 'lease-v1-1',
        version: 'v1',
        instance: 'kf-v1-1129-aaa',
        owner: 'ci#7',
        createdAt: ago(HOUR / 2),
      }),
    ],
  };
}

const controls = new Map<string, VersionControl>([
  [
    'v1',
    {
      ...NO_CONTROL,
      paused: true,
      pausedReason: 'flaky',
      pausedBy: 'alice@example.com',
      pausedAt: ago(HOUR),
    },
  ],
]);

describe('planView: the dry run of the next plan', () => {
  const view = planView({ snapshot: snapshot(), config: CONFIG, now: NOW, drain: NO_DRAIN, controls });

  it('per version: deploy with when and its request id; wait with why and who paused it', () => {
    const [master, v1] = view.versions;
    assert.equal(master?.kind, 'deploy');
    assert.equal(master?.reason, 'new-commit');
    assert.equal(master?.commit, HEAD);
    assert.equal(master?.notBefore, NOW.toISOString());
    assert.match(master?.requestId ?? '', /^deploy-master-aaaaaaaaaaaa-/);
    assert.equal(master?.text, 'deploy aaaaaaa queued (new commit)');
    assert.deepEqual(
      { kind: v1?.kind, reason: v1?.reason, text: v1?.text, paused: v1?.paused },
      {
        kind: 'wait',
        reason: 'paused',
        text: 'paused',
        paused: { reason: 'flaky', by: 'alice@example.com', at: ago(HOUR).toISOString() },
      },
    );
  });

  it('per instance: collect with the reason, keep with the rule and its words; deleted ones left out', () => {
    assert.deepEqual(
      view.instances.map((i) => [i.instance, i.verdict, i.rule]),
      [
        ['kf-master-1129-old', 'collect', null],
        ['kf-master-1129-new', 'keep', 'newest-ready'],
        ['kf-v1-1129-aaa', 'keep', 'leased'],
        ['kf-v1-1129-bbb', 'keep', 'newest-ready'],
      ],
    );
    const leased = view.instances.find((i) => i.instance === 'kf-v1-1129-aaa');
    assert.equal(leased?.reason, 'leased by ci#7 until 10:30 UTC');
    assert.deepEqual(
      leased?.leases.map((l) => l.owner),
      ['ci#7'],
    );
    assert.match(view.instances[0]?.reason ?? '', /^superseded by kf-master-1129-new/);
    assert.equal(view.instances[1]?.reason, 'the newest ready instance of master');
  });

  it('per request: the ones the pass would record, and whether it would queue the open ones', () => {
    assert.deepEqual(
      view.requests.map((r) => [r.action, r.status, r.wouldEnqueue]),
      [
        ['deploy', 'new', true],
        ['teardown', 'new', true],
        ['deploy', 'deferred', false], // its version is paused
      ],
    );
    assert.equal(view.requests[1]?.instance, 'kf-master-1129-old');
  });

  it('drained: every version waits drained (its own pause first); the drain is shown', () => {
    const drain = {
      drained: true,
      reason: 'incident',
      by: 'bob@example.com',
      claimedBy: null,
      at: ago(HOUR),
    };
    const drained = planView({
      snapshot: snapshot({ drained: true }),
      config: CONFIG,
      now: NOW,
      drain,
      controls,
    });
    assert.deepEqual(
      drained.versions.map((v) => [v.version, v.reason]),
      [
        ['master', 'drained'],
        ['v1', 'paused'],
      ],
    );
    assert.deepEqual(drained.drain, { ...drain, at: ago(HOUR).toISOString() });
    assert.ok(drained.requests.every((r) => r.action !== 'deploy' || r.status !== 'new'));
  });
});

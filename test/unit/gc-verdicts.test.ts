/**
 * GC's verdicts (core/gc.ts `explainCollection`): for every instance, collect with the reason, or keep
 * with the rule that keeps it and when that rule lets go. The dry run (`GET /api/plan`) shows them.
 */
import assert from 'node:assert/strict';
import { type CollectionVerdict, explainCollection, planCollection } from '../../functions/core/gc.js';
import type { Deployment, DeploymentStatus, Policy, VersionState } from '../../functions/core/types.js';
import { makeDeployment, makeVersionState, TEST_POLICY as POLICY } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (msFromNow: number) => new Date(NOW.getTime() + msFromNow);

function dep(
  instance: string,
  status: DeploymentStatus,
  ageMs: number,
  fields: Partial<Deployment> = {},
): Deployment {
  const createdAt = at(-ageMs);
  return makeDeployment({
    instance,
    commit: `${instance}-sha`,
    status,
    createdAt,
    readyAt: status === 'ready' ? createdAt : null,
    finishedAt: createdAt,
    ...fields,
  });
}

function version(name: string, policy: Partial<Policy> = {}): VersionState {
  return makeVersionState({ config: { name, policy: { ...POLICY, ...policy } } });
}

/** A verdict as the table writes it: `collect` or `keep:<rule>`, and `until` when there is one. */
function summary(verdict: CollectionVerdict): {
  instance: string;
  verdict: string;
  until?: string;
  newer?: string;
} {
  if (verdict.kind === 'collect') return { instance: verdict.instance, verdict: 'collect' };
  return {
    instance: verdict.instance,
    verdict: `keep:${verdict.rule}`,
    ...(verdict.until ? { until: verdict.until.toISOString() } : {}),
    ...(verdict.newer ? { newer: verdict.newer } : {}),
  };
}

describe('gc: explainCollection (why each instance is collected or kept)', () => {
  const cases: Array<{
    name: string;
    deployments: Deployment[];
    versions?: VersionState[];
    held?: string[];
    policy?: Policy;
    expected: ReturnType<typeof summary>[];
  }> = [
    {
      name: 'the newest ready instance: newest-ready, with no end in time',
      deployments: [dep('a', 'ready', 100 * HOUR)],
      expected: [{ instance: 'a', verdict: 'keep:newest-ready' }],
    },
    {
      name: 'younger than minLifetimeHours: min-lifetime until it is that old',
      deployments: [dep('old', 'ready', 2 * HOUR), dep('new', 'ready', 1 * HOUR)],
      expected: [
        { instance: 'old', verdict: 'keep:min-lifetime', until: at(1 * HOUR).toISOString() },
        { instance: 'new', verdict: 'keep:newest-ready' },
      ],
    },
    {
      name: 'the next newer ready one younger than gracePeriodHours: grace-period, naming it',
      deployments: [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 2 * HOUR)],
      expected: [
        { instance: 'old', verdict: 'keep:grace-period', until: at(1 * HOUR).toISOString(), newer: 'new' },
        { instance: 'new', verdict: 'keep:newest-ready' },
      ],
    },
    {
      name: 'both past their ages: collected',
      deployments: [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 4 * HOUR)],
      expected: [
        { instance: 'old', verdict: 'collect' },
        { instance: 'new', verdict: 'keep:newest-ready' },
      ],
    },
    {
      name: 'a failed one within failedRetentionHours: failed-retention until it stopped serving + 1 h',
      deployments: [dep('f', 'failed', 2 * HOUR, { finishedAt: at(-30 * MINUTE) })],
      expected: [{ instance: 'f', verdict: 'keep:failed-retention', until: at(30 * MINUTE).toISOString() }],
    },
    {
      name: 'a leased one that would be collected: leased',
      deployments: [dep('old', 'ready', 5 * HOUR), dep('new', 'ready', 4 * HOUR)],
      held: ['old'],
      expected: [
        { instance: 'old', verdict: 'keep:leased' },
        { instance: 'new', verdict: 'keep:newest-ready' },
      ],
    },
    {
      name: 'statuses GC never collects: by status',
      deployments: [
        dep('l', 'launching', 9 * HOUR),
        dep('d', 'deploying', 8 * HOUR),
        dep('v', 'verifying', 7 * HOUR),
        dep('x', 'deleting', 6 * HOUR),
        dep('t', 'teardown-failed', 5 * HOUR),
        dep('z', 'deleted', 4 * HOUR),
      ],
      expected: [
        { instance: 'l', verdict: 'keep:in-progress' },
        { instance: 'd', verdict: 'keep:in-progress' },
        { instance: 'v', verdict: 'keep:in-progress' },
        { instance: 'x', verdict: 'keep:being-deleted' },
        { instance: 't', verdict: 'keep:teardown-failed' },
        { instance: 'z', verdict: 'keep:deleted' },
      ],
    },
    {
      name: 'a teardown that left its cluster, its retry ahead: teardown-backoff until then',
      deployments: [dep('b', 'failed', 5 * HOUR, { teardownAttempts: 1, nextTeardownAt: at(10 * MINUTE) })],
      expected: [{ instance: 'b', verdict: 'keep:teardown-backoff', until: at(10 * MINUTE).toISOString() }],
    },
    {
      name: 'a version no longer configured, without a global policy: unconfigured',
      deployments: [dep('gone', 'ready', 50 * HOUR, { version: 'retired' })],
      expected: [{ instance: 'gone', verdict: 'keep:unconfigured' }],
    },
    {
      name: 'a version no longer configured, with the global policy: its rules apply',
      deployments: [
        dep('o1', 'ready', 50 * HOUR, { version: 'retired' }),
        dep('o2', 'ready', 40 * HOUR, { version: 'retired' }),
      ],
      policy: POLICY,
      expected: [
        { instance: 'o1', verdict: 'collect' },
        { instance: 'o2', verdict: 'keep:newest-ready' },
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const versions = c.versions ?? [version('master')];
      const held = new Set(c.held ?? []);
      const options = {
        isHeld: (d: Deployment) => held.has(d.instance),
        ...(c.policy ? { policy: c.policy } : {}),
      };
      const verdicts = explainCollection(versions, c.deployments, NOW, options);
      assert.deepEqual(verdicts.map(summary), c.expected);
      // planCollection is exactly the collect verdicts, in the same order.
      assert.deepEqual(
        planCollection(versions, c.deployments, NOW, options),
        verdicts.filter((verdict) => verdict.kind === 'collect'),
      );
    });
  }

  it('gives every deployment one verdict, configured versions first, then the others by name', () => {
    const deployments = [
      dep('z1', 'ready', 1 * HOUR, { version: 'zeta' }),
      dep('m1', 'ready', 1 * HOUR),
      dep('a1', 'ready', 1 * HOUR, { version: 'alpha' }),
    ];
    const verdicts = explainCollection([version('master')], deployments, NOW);
    assert.deepEqual(
      verdicts.map((v) => v.instance),
      ['m1', 'a1', 'z1'],
    );
  });
});

/**
 * The operator API's pure decisions: pause / resume / redeploy a version, drain / undrain, an operator's
 * teardown, and the strict bodies. Table-driven, fixed `now`.
 */
import assert from 'node:assert/strict';
import {
  decideDrain,
  decideVersionAction,
  NO_CONTROL,
  NO_DRAIN,
  type OperatorAsk,
  type VersionControl,
} from '../../functions/core/operator.js';
import {
  MAX_REASON_LENGTH,
  parseReasonOptional,
  parseReasonRequired,
  parseTeardownBody,
} from '../../functions/core/operator-body.js';
import { decideOperatorTeardown, type OperatorTeardownView } from '../../functions/core/operator-teardown.js';
import type { Deployment, DeploymentStatus, DeployRequest } from '../../functions/core/types.js';
import { makeDeployment, makeDeployRequest, makeLease } from '../support/fixtures.js';

const NOW = new Date('2026-11-30T10:15:00.000Z');
const HOUR = 3_600_000;
const ALICE: OperatorAsk = { by: 'alice@example.com', claimedBy: null, reason: 'investigating #123' };
const LOCAL: OperatorAsk = { by: null, claimedBy: 'bob', reason: null };

describe('operator: a version action', () => {
  const paused: VersionControl = {
    ...NO_CONTROL,
    paused: true,
    pausedReason: 'old',
    pausedBy: 'carol@example.com',
    pausedAt: new Date(0),
  };
  const cases: Array<{
    name: string;
    action: 'pause' | 'resume' | 'redeploy';
    control: VersionControl;
    ask?: OperatorAsk;
    patch: Partial<VersionControl> | null;
  }> = [
    {
      name: 'pause: paused, with the reason, who and when',
      action: 'pause',
      control: NO_CONTROL,
      patch: {
        paused: true,
        pausedReason: 'investigating #123',
        pausedBy: 'alice@example.com',
        pausedAt: NOW,
      },
    },
    {
      name: 'pause on the local stack: who the body claims, marked unverified',
      action: 'pause',
      control: NO_CONTROL,
      ask: LOCAL,
      patch: { paused: true, pausedReason: '', pausedBy: 'bob (unverified)', pausedAt: NOW },
    },
    {
      name: 'pause a paused version: unchanged (the first reason stays)',
      action: 'pause',
      control: paused,
      patch: null,
    },
    {
      name: 'resume: not paused, reason and who cleared',
      action: 'resume',
      control: paused,
      patch: { paused: false, pausedReason: '', pausedBy: null, pausedAt: null },
    },
    { name: 'resume a version not paused: unchanged', action: 'resume', control: NO_CONTROL, patch: null },
    {
      name: 'redeploy: the force switch',
      action: 'redeploy',
      control: NO_CONTROL,
      patch: { forceRedeploy: true },
    },
    {
      name: 'redeploy a paused version: the switch is set all the same (it waits for the resume)',
      action: 'redeploy',
      control: paused,
      patch: { forceRedeploy: true },
    },
    {
      name: 'redeploy while a force is already asked: unchanged',
      action: 'redeploy',
      control: { ...NO_CONTROL, forceRedeploy: true },
      patch: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ask = c.ask ?? ALICE;
      const change = decideVersionAction(c.action, 'master', c.control, ask, NOW);
      assert.deepEqual(change.patch, c.patch);
      assert.equal(change.changed, c.patch !== null);
      if (c.patch === null) return assert.deepEqual(change.events, []);
      assert.deepEqual(change.events, [
        {
          eventId: `2026-11-30T10:15:00.000Z-${c.action}`,
          version: 'master',
          action: c.action,
          at: NOW,
          by: ask.by,
          claimedBy: ask.claimedBy,
          reason: ask.reason,
          instance: null,
          requestId: null,
          force: false,
        },
      ]);
    });
  }
});

describe('operator: drain and undrain', () => {
  const drained = {
    drained: true,
    reason: 'incident',
    by: 'carol@example.com',
    claimedBy: null,
    at: new Date(0),
  };
  const cases: Array<[string, 'drain' | 'undrain', typeof NO_DRAIN, boolean]> = [
    ['drain: on, with the reason and who', 'drain', NO_DRAIN, true],
    ['drain while drained: unchanged', 'drain', drained, false],
    ['undrain: off', 'undrain', drained, true],
    ['undrain while not drained: unchanged', 'undrain', NO_DRAIN, false],
  ];
  for (const [name, action, current, changed] of cases) {
    it(name, () => {
      const change = decideDrain(action, current, ['master', 'v1'], ALICE, NOW);
      assert.equal(change.changed, changed);
      if (!changed) return assert.equal(change.patch, null);
      assert.deepEqual(change.patch, {
        drained: action === 'drain',
        reason: 'investigating #123',
        by: 'alice@example.com',
        claimedBy: null,
        at: NOW,
      });
      // One event in each version's history.
      assert.deepEqual(
        change.events.map((event) => [event.version, event.action]),
        [
          ['master', action],
          ['v1', action],
        ],
      );
    });
  }
});

describe('operator: a teardown now', () => {
  const instance = 'kf-master-1130-abc';
  const deployment = (status: DeploymentStatus, fields: Partial<Deployment> = {}) =>
    makeDeployment({ instance, status, createdAt: new Date(NOW.getTime() - 5 * HOUR), ...fields });
  const liveLease = makeLease({
    leaseId: 'lease-master-1',
    instance,
    createdAt: new Date(NOW.getTime() - HOUR / 2),
  });
  const expiredLease = makeLease({
    leaseId: 'lease-master-0',
    instance,
    createdAt: new Date(NOW.getTime() - 3 * HOUR),
  });
  const existing = (status: DeployRequest['status'], fields: Partial<DeployRequest> = {}) =>
    makeDeployRequest({
      id: `teardown-${instance}-0`,
      action: 'teardown',
      instance,
      status,
      enqueueCount: 2,
      createdAt: new Date(0),
      ...fields,
    });
  const view = (fields: Partial<OperatorTeardownView>): OperatorTeardownView => ({
    deployment: deployment('ready'),
    leases: [],
    existing: null,
    ...fields,
  });

  const cases: Array<{
    name: string;
    view: OperatorTeardownView;
    force?: boolean;
    outcome: string;
    written?: Partial<DeployRequest>;
  }> = [
    {
      name: 'no such instance: unknown-instance',
      view: view({ deployment: null }),
      outcome: 'unknown-instance',
    },
    { name: 'deleted: unchanged', view: view({ deployment: deployment('deleted') }), outcome: 'unchanged' },
    { name: 'deleting: unchanged', view: view({ deployment: deployment('deleting') }), outcome: 'unchanged' },
    {
      name: 'deploying: in-progress',
      view: view({ deployment: deployment('deploying') }),
      outcome: 'in-progress',
    },
    {
      name: 'verifying: in-progress',
      view: view({ deployment: deployment('verifying') }),
      outcome: 'in-progress',
    },
    { name: 'a live lease, no force: leased', view: view({ leases: [liveLease] }), outcome: 'leased' },
    {
      name: 'an expired lease does not hold it: a new pending request',
      view: view({ leases: [expiredLease] }),
      outcome: 'requested',
      written: {
        id: `teardown-${instance}-0`,
        status: 'pending',
        enqueueCount: 0,
        notBefore: NOW,
        createdAt: NOW,
      },
    },
    {
      name: 'a live lease with force: a forced request',
      view: view({ leases: [liveLease] }),
      force: true,
      outcome: 'requested',
      written: { status: 'pending', force: true },
    },
    {
      name: 'after a teardown attempt: the next attempt id, as GC would give it',
      view: view({ deployment: deployment('failed', { deletingAt: new Date(1000) }) }),
      outcome: 'requested',
      written: { id: `teardown-${instance}-1000` },
    },
    {
      name: 'teardown-failed (left to an operator): requested',
      view: view({ deployment: deployment('teardown-failed') }),
      outcome: 'requested',
      written: { status: 'pending' },
    },
    {
      name: 'already pending: unchanged, nothing written',
      view: view({ existing: existing('pending') }),
      outcome: 'requested',
    },
    {
      name: 'already queued: unchanged',
      view: view({ existing: existing('enqueued') }),
      outcome: 'requested',
    },
    {
      name: 'queued without force, force asked: the request is made forced',
      view: view({ existing: existing('enqueued'), leases: [liveLease] }),
      force: true,
      outcome: 'requested',
      written: { status: 'pending', force: true, enqueueCount: 2 },
    },
    {
      name: 'deferred by a lease earlier: reopened pending (its count kept: the next task is a new one)',
      view: view({ existing: existing('deferred', { error: 'not torn down yet: leased' }) }),
      outcome: 'requested',
      written: { status: 'pending', enqueueCount: 2, error: null, createdAt: new Date(0), updatedAt: NOW },
    },
    {
      name: 'failed earlier: reopened pending',
      view: view({ existing: existing('failed') }),
      outcome: 'requested',
      written: { status: 'pending' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ask = { ...ALICE, force: c.force ?? false };
      const { outcome, writes } = decideOperatorTeardown(instance, c.view, ask, NOW);
      assert.equal(outcome.kind, c.outcome);
      if (!c.written) return assert.deepEqual(writes, {});
      assert.ok(writes.request, 'a request is written');
      for (const [field, value] of Object.entries(c.written)) {
        assert.deepEqual(writes.request[field as keyof DeployRequest], value, field);
      }
      assert.equal(writes.request.action, 'teardown');
      assert.equal(writes.request.instance, instance);
      assert.match(
        writes.request.reason,
        /^operator teardown \(alice@example\.com(, leases overridden)?\): investigating #123$/,
      );
      assert.equal(writes.event?.action, 'teardown');
      assert.equal(writes.event?.instance, instance);
      assert.equal(writes.event?.requestId, writes.request.id);
      assert.equal(writes.event?.force, ask.force);
      assert.equal(writes.event?.eventId, `2026-11-30T10:15:00.000Z-teardown-${instance}`);
      if (outcome.kind === 'requested') {
        assert.deepEqual(
          outcome.overriddenLeases.map((lease) => lease.leaseId),
          c.force ? ['lease-master-1'] : [],
        );
      }
    });
  }
});

describe('operator: bodies, checked strictly', () => {
  const cases: Array<[string, (body: unknown) => { ok: boolean }, unknown, true | string]> = [
    ['pause with a reason', parseReasonRequired, { reason: 'flaky' }, true],
    ['pause with a reason and who', parseReasonRequired, { reason: 'flaky', by: 'bob' }, true],
    ['pause without a reason', parseReasonRequired, {}, 'reason'],
    ['pause without a body', parseReasonRequired, undefined, '(body)'],
    ['pause with a blank reason', parseReasonRequired, { reason: '  ' }, 'reason'],
    [
      'pause with a reason too long',
      parseReasonRequired,
      { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) },
      'reason',
    ],
    ['pause with a misspelt field', parseReasonRequired, { reason: 'r', reasn: 'r' }, 'reasn'],
    ['pause with force (not a pause field)', parseReasonRequired, { reason: 'r', force: true }, 'force'],
    ['resume without a body', parseReasonOptional, undefined, true],
    ['resume with {}', parseReasonOptional, {}, true],
    ['resume with an array', parseReasonOptional, [], '(body)'],
    ['resume with a reason that is a number', parseReasonOptional, { reason: 5 }, 'reason'],
    ['teardown without a body', parseTeardownBody, undefined, true],
    ['teardown with force', parseTeardownBody, { force: true, reason: 'stuck' }, true],
    ['teardown with force as a string', parseTeardownBody, { force: 'yes' }, 'force'],
    ['teardown with an unknown field', parseTeardownBody, { instance: 'x' }, 'instance'],
    ['teardown with a control character in by', parseTeardownBody, { by: 'a\nb' }, 'by'],
  ];
  for (const [name, parse, body, expected] of cases) {
    it(`${name}: ${expected === true ? 'ok' : `a problem with ${expected}`}`, () => {
      const parsed = parse(body) as { ok: true } | { ok: false; errors: Array<{ field: string }> };
      if (expected === true) return assert.equal(parsed.ok, true, JSON.stringify(parsed));
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(parsed.errors[0]?.field, expected);
    });
  }

  it('reads what a teardown body says', () => {
    assert.deepEqual(parseTeardownBody({ force: true, reason: 'stuck', by: 'bob' }), {
      ok: true,
      value: { reason: 'stuck', claimedBy: 'bob', force: true },
    });
    assert.deepEqual(parseTeardownBody(undefined), {
      ok: true,
      value: { reason: null, claimedBy: null, force: false },
    });
  });
});

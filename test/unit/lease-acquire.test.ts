/** Taking a lease (core/lease-acquire.ts) and the checks of the API's bodies (core/lease-body.ts). */
import assert from 'node:assert/strict';
import { type AcquireView, decideAcquire } from '../../functions/core/lease-acquire.js';
import {
  type LeaseRequest,
  parseHeartbeatRequest,
  parseLeaseRequest,
} from '../../functions/core/lease-body.js';
import type { Deployment, DeploymentStatus } from '../../functions/core/types.js';
import { launchedFields, makeDeployment, makeLease } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const HOUR = 3_600_000;
const SHA = 'c'.repeat(40);

function deployment(
  instance: string,
  status: DeploymentStatus,
  hoursAgo: number,
  version = 'master',
): Deployment {
  return makeDeployment({
    instance,
    version,
    status,
    createdAt: new Date(NOW.getTime() - hoursAgo * HOUR),
    ...launchedFields(instance, SHA, { project: 'kf-ci', namespace: 'auto-deploy' }),
  });
}

const REQUEST: LeaseRequest = {
  version: 'master',
  owner: 'kubeflow/examples#1234',
  ttlSeconds: 600,
  requestId: null,
  instance: null,
};
const CONTEXT = { leaseId: 'lease-master-0123456789abcdef', now: NOW, createdBy: 'ci@example.com' };

const READY = [
  deployment('kf-master-1129-old', 'ready', 10),
  deployment('kf-master-1129-new', 'ready', 2),
  deployment('kf-master-1129-dep', 'deploying', 1),
  deployment('kf-v1-1129-vvv', 'ready', 1, 'v1'),
];

describe('decideAcquire', () => {
  it('leases the newest ready instance of the version, for ttlSeconds from now', () => {
    const claim = decideAcquire(REQUEST, { existing: null, deployments: READY }, CONTEXT);
    const expected = {
      leaseId: 'lease-master-0123456789abcdef',
      version: 'master',
      instance: 'kf-master-1129-new',
      commit: SHA,
      endpoint: 'https://kf-master-1129-new.endpoints.kf-ci.cloud.goog',
      credentialsCommand:
        'gcloud --project=kf-ci container clusters get-credentials --zone=us-east1-d kf-master-1129-new',
      owner: 'kubeflow/examples#1234',
      requestId: null,
      status: 'active',
      ttlSeconds: 600,
      createdAt: NOW,
      expiresAt: new Date(NOW.getTime() + 600_000),
      heartbeatAt: null,
      closedAt: null,
      createdBy: 'ci@example.com',
    };
    assert.deepEqual(claim, { outcome: { kind: 'created', lease: expected }, create: expected });
  });

  const cases: Array<[string, Partial<LeaseRequest>, AcquireView, unknown]> = [
    [
      'no ready instance of the version: 409 no-ready-instance',
      {},
      {
        existing: null,
        deployments: [deployment('kf-master-1129-dep', 'deploying', 1), READY[3] as Deployment],
      },
      { kind: 'no-ready-instance', version: 'master' },
    ],
    [
      'a pinned ready instance, older than the newest: that one',
      { instance: 'kf-master-1129-old' },
      { existing: null, deployments: [READY[0] as Deployment] },
      'kf-master-1129-old',
    ],
    [
      'a pinned instance that does not exist: 404 unknown-instance',
      { instance: 'kf-master-1129-zzz' },
      { existing: null, deployments: [] },
      { kind: 'unknown-instance', instance: 'kf-master-1129-zzz' },
    ],
    [
      'a pinned instance being torn down: 409 instance-not-ready',
      { instance: 'kf-master-1129-old' },
      { existing: null, deployments: [deployment('kf-master-1129-old', 'deleting', 10)] },
      { kind: 'instance-not-ready', instance: 'kf-master-1129-old', status: 'deleting', version: 'master' },
    ],
    [
      'a pinned ready instance of another version: 409 instance-not-ready',
      { instance: 'kf-v1-1129-vvv' },
      { existing: null, deployments: [READY[3] as Deployment] },
      { kind: 'instance-not-ready', instance: 'kf-v1-1129-vvv', status: 'ready', version: 'v1' },
    ],
  ];
  for (const [name, fields, view, expected] of cases) {
    it(name, () => {
      const claim = decideAcquire({ ...REQUEST, ...fields }, view, CONTEXT);
      if (typeof expected === 'string') {
        assert.equal(claim.outcome.kind, 'created');
        assert.equal(claim.create?.instance, expected);
      } else {
        assert.deepEqual(claim, { outcome: expected, create: null });
      }
    });
  }

  describe('the same requestId again', () => {
    const existing = makeLease({
      leaseId: CONTEXT.leaseId,
      instance: 'kf-master-1129-old',
      createdAt: new Date(NOW.getTime() - HOUR),
      requestId: 'run-1',
    });

    it('answers the lease it made, unchanged, even when a newer instance is ready now', () => {
      const claim = decideAcquire(
        { ...REQUEST, requestId: 'run-1' },
        { existing, deployments: READY },
        CONTEXT,
      );
      assert.deepEqual(claim, { outcome: { kind: 'existing', lease: existing }, create: null });
    });

    it('answers it also when released since (the caller sees its status)', () => {
      const released = { ...existing, status: 'released' as const, closedAt: NOW };
      const claim = decideAcquire(
        { ...REQUEST, requestId: 'run-1' },
        { existing: released, deployments: READY },
        CONTEXT,
      );
      assert.deepEqual(claim.outcome, { kind: 'existing', lease: released });
    });

    it('pinning another instance than it leased: 409 request-id-conflict', () => {
      const request = { ...REQUEST, requestId: 'run-1', instance: 'kf-master-1129-new' };
      const claim = decideAcquire(request, { existing, deployments: READY }, CONTEXT);
      assert.deepEqual(claim, { outcome: { kind: 'request-id-conflict', lease: existing }, create: null });
    });
  });
});

describe('lease bodies', () => {
  describe('parseLeaseRequest', () => {
    it('fills in the defaults: an hour, no requestId, no pinned instance', () => {
      assert.deepEqual(parseLeaseRequest({ version: 'master', owner: 'me' }), {
        ok: true,
        value: { version: 'master', owner: 'me', ttlSeconds: 3600, requestId: null, instance: null },
      });
    });

    it('takes every field', () => {
      const body = {
        version: 'v1',
        owner: 'o',
        ttlSeconds: 86_400,
        requestId: 'k',
        instance: 'kf-v1-1129-abc',
      };
      assert.deepEqual(parseLeaseRequest(body), { ok: true, value: body });
    });

    const bad: Array<[string, unknown, string[]]> = [
      ['not an object', ['master'], ['(body)']],
      ['no body', undefined, ['(body)']],
      ['null', null, ['(body)']],
      ['no version', { owner: 'o' }, ['version']],
      ['no owner', { version: 'master' }, ['owner']],
      ['a blank owner', { version: 'master', owner: '  ' }, ['owner']],
      ['an owner with a newline', { version: 'master', owner: 'a\nb' }, ['owner']],
      ['an owner too long', { version: 'master', owner: 'x'.repeat(201) }, ['owner']],
      ['a version that is not a string', { version: 1, owner: 'o' }, ['version']],
      ['ttlSeconds below 60', { version: 'master', owner: 'o', ttlSeconds: 59 }, ['ttlSeconds']],
      ['ttlSeconds above a day', { version: 'master', owner: 'o', ttlSeconds: 86_401 }, ['ttlSeconds']],
      ['ttlSeconds not whole', { version: 'master', owner: 'o', ttlSeconds: 60.5 }, ['ttlSeconds']],
      ['ttlSeconds as a string', { version: 'master', owner: 'o', ttlSeconds: '3600' }, ['ttlSeconds']],
      ['a requestId that is not a string', { version: 'master', owner: 'o', requestId: 7 }, ['requestId']],
      ['an instance that is not a name', { version: 'master', owner: 'o', instance: '../x' }, ['instance']],
      ['an unknown field (a misspelt ttl)', { version: 'master', owner: 'o', ttl: 60 }, ['ttl']],
      ['an empty or odd key, quoted', { version: 'master', owner: 'o', '': 1, 'a b': 2 }, ['""', '"a b"']],
      ['several problems: all reported', { ttl: 1, owner: '' }, ['ttl', 'version', 'owner']],
    ];
    for (const [name, body, fields] of bad) {
      it(`${name}: 400 naming ${fields.join(', ')}`, () => {
        const parsed = parseLeaseRequest(body);
        assert.equal(parsed.ok, false);
        assert.deepEqual(parsed.ok ? [] : parsed.errors.map((error) => error.field), fields);
      });
    }
  });

  describe('parseHeartbeatRequest', () => {
    const cases: Array<[string, unknown, unknown]> = [
      ['no body: the lease’s own ttl', undefined, { ok: true, value: { ttlSeconds: null } }],
      ['{}: the same', {}, { ok: true, value: { ttlSeconds: null } }],
      ['a ttl', { ttlSeconds: 120 }, { ok: true, value: { ttlSeconds: 120 } }],
      ['a ttl out of bounds', { ttlSeconds: 5 }, 'ttlSeconds'],
      ['an unknown field', { owner: 'x' }, 'owner'],
      ['not an object', 'hello', '(body)'],
    ];
    for (const [name, body, expected] of cases) {
      it(name, () => {
        const parsed = parseHeartbeatRequest(body);
        if (typeof expected === 'string') assert.equal(parsed.ok ? null : parsed.errors[0]?.field, expected);
        else assert.deepEqual(parsed, expected);
      });
    }
  });
});

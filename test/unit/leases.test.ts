/** The lease rules (core/leases.ts), table-driven on a fixed clock: liveness, GC's view, the transitions. */
import assert from 'node:assert/strict';
import {
  expireLease,
  heartbeatLease,
  heldByLeases,
  isLeaseLive,
  LEASE_RECORD_DAYS,
  type Lease,
  leaseIdFor,
  liveLeasesByInstance,
  randomLeaseId,
  recordExpiry,
  releaseLease,
  revokeLiveLeases,
} from '../../functions/core/leases.js';
import { makeDeployment, makeLease } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MINUTE);

function lease(fields: Partial<Lease> = {}): Lease {
  return makeLease({
    leaseId: 'lease-master-1',
    instance: 'kf-master-1129-aaa',
    createdAt: at(-30),
    ...fields,
  });
}

describe('lease rules', () => {
  describe('isLeaseLive', () => {
    const cases: Array<[string, Partial<Lease>, boolean]> = [
      ['active, expiring later', { expiresAt: at(1) }, true],
      ['active, expiring a millisecond later', { expiresAt: new Date(NOW.getTime() + 1) }, true],
      ['active, expiring exactly now', { expiresAt: NOW }, false],
      ['active, expired before (the tick has not closed it yet)', { expiresAt: at(-1) }, false],
      ['released before its time', { status: 'released', expiresAt: at(30), closedAt: at(-1) }, false],
      ['expired', { status: 'expired', expiresAt: at(-1), closedAt: at(-1) }, false],
    ];
    for (const [name, fields, expected] of cases) {
      it(`${name}: ${expected ? 'live' : 'not live'}`, () =>
        assert.equal(isLeaseLive(lease(fields), NOW), expected));
    }
  });

  describe('GC: heldByLeases', () => {
    const leases = [
      lease({ leaseId: 'lease-master-a', instance: 'kf-held', expiresAt: at(5) }),
      lease({ leaseId: 'lease-master-b', instance: 'kf-expired', expiresAt: at(-5) }),
      lease({ leaseId: 'lease-master-c', instance: 'kf-released', status: 'released', closedAt: at(-1) }),
    ];
    const isHeld = heldByLeases(leases, NOW);
    const cases: Array<[string, boolean]> = [
      ['kf-held', true],
      ['kf-expired', false],
      ['kf-released', false],
      ['kf-never-leased', false],
    ];
    for (const [instance, expected] of cases) {
      it(`${instance}: ${expected ? 'held' : 'not held'}`, () => {
        const deployment = makeDeployment({ instance, status: 'ready', createdAt: at(-600) });
        assert.equal(isHeld(deployment), expected);
      });
    }

    it('groups the live leases by instance, soonest to expire first', () => {
      const grouped = liveLeasesByInstance(
        [
          lease({ leaseId: 'lease-master-late', expiresAt: at(50) }),
          lease({ leaseId: 'lease-master-soon', expiresAt: at(5) }),
          lease({ leaseId: 'lease-master-other', instance: 'kf-other', expiresAt: at(5) }),
        ],
        NOW,
      );
      assert.deepEqual(
        grouped.get('kf-master-1129-aaa')?.map((l) => l.leaseId),
        ['lease-master-soon', 'lease-master-late'],
      );
      assert.deepEqual([...grouped.keys()].sort(), ['kf-master-1129-aaa', 'kf-other']);
    });
  });

  describe('heartbeatLease', () => {
    it('extends a live lease to now + its ttl, and records the heartbeat', () => {
      const change = heartbeatLease(lease({ expiresAt: at(1), ttlSeconds: 600 }), NOW, null);
      const next = { ...lease({ ttlSeconds: 600 }), expiresAt: at(10), heartbeatAt: NOW };
      assert.deepEqual(change, { result: { kind: 'extended', lease: next }, next });
    });

    it("extends by the heartbeat's ttl, which becomes the lease's", () => {
      const change = heartbeatLease(lease({ expiresAt: at(1) }), NOW, 120);
      assert.deepEqual(change.next?.expiresAt, at(2));
      assert.equal(change.next?.ttlSeconds, 120);
    });

    const gone: Array<[string, Partial<Lease>, 'expired' | 'released' | 'revoked', Partial<Lease> | null]> = [
      [
        'after expiry (not closed yet): gone, and closed as expired now',
        { expiresAt: NOW },
        'expired',
        { status: 'expired', closedAt: NOW },
      ],
      [
        'after expiry (closed by the tick): gone, unchanged',
        { status: 'expired', expiresAt: at(-5), closedAt: at(-4) },
        'expired',
        null,
      ],
      [
        'after release: gone, unchanged',
        { status: 'released', expiresAt: at(5), closedAt: at(-1) },
        'released',
        null,
      ],
      [
        'revoked (its instance torn down through it), before its time: gone, unchanged',
        { status: 'revoked', expiresAt: at(30), closedAt: at(-1) },
        'revoked',
        null,
      ],
    ];
    for (const [name, fields, reason, written] of gone) {
      it(name, () => {
        const before = lease(fields);
        const change = heartbeatLease(before, NOW, 600);
        const after = written ? { ...before, ...written } : before;
        assert.deepEqual(change, {
          result: { kind: 'gone', reason, lease: after },
          next: written ? after : null,
        });
      });
    }
  });

  describe('revokeLiveLeases', () => {
    it('revokes the live leases now and leaves closed and past-time ones out', () => {
      const live = lease({ leaseId: 'lease-master-live', expiresAt: at(30) });
      const released = lease({ leaseId: 'lease-master-rel', status: 'released', closedAt: at(-1) });
      const pastTime = lease({ leaseId: 'lease-master-past', expiresAt: NOW });
      assert.deepEqual(revokeLiveLeases([live, released, pastTime], NOW), [
        { ...live, status: 'revoked', closedAt: NOW },
      ]);
    });

    it('a revoked lease no longer holds its instance, and releasing it changes nothing', () => {
      const [revoked] = revokeLiveLeases([lease({ expiresAt: at(30) })], NOW);
      assert.ok(revoked);
      assert.equal(isLeaseLive(revoked, NOW), false);
      assert.deepEqual(releaseLease(revoked, NOW), {
        result: { kind: 'already-closed', lease: revoked },
        next: null,
      });
    });
  });

  describe('releaseLease', () => {
    it('releases a live lease now', () => {
      const change = releaseLease(lease({ expiresAt: at(5) }), NOW);
      const next = lease({ expiresAt: at(5), status: 'released', closedAt: NOW });
      assert.deepEqual(change, { result: { kind: 'released', lease: next }, next });
    });

    it('releasing twice: the second changes nothing and answers the released lease', () => {
      const released = releaseLease(lease({ expiresAt: at(5) }), NOW).next as Lease;
      const again = releaseLease(released, at(1));
      assert.deepEqual(again, { result: { kind: 'already-closed', lease: released }, next: null });
    });

    it('a lease past its time is closed as expired, not released', () => {
      const change = releaseLease(lease({ expiresAt: at(-1) }), NOW);
      assert.equal(change.result.kind, 'already-closed');
      assert.equal(change.next?.status, 'expired');
      assert.deepEqual(change.next?.closedAt, NOW);
    });
  });

  describe('expireLease (the tick)', () => {
    const cases: Array<[string, Partial<Lease>, boolean]> = [
      ['active past its time: closed', { expiresAt: at(-1) }, true],
      ['active exactly at its time: closed', { expiresAt: NOW }, true],
      ['live: left alone', { expiresAt: at(1) }, false],
      ['released: left alone', { status: 'released', expiresAt: at(-1), closedAt: at(-2) }, false],
      ['expired already: left alone', { status: 'expired', expiresAt: at(-3), closedAt: at(-2) }, false],
    ];
    for (const [name, fields, closes] of cases) {
      it(name, () => {
        const change = expireLease(lease(fields), NOW);
        assert.equal(change.result, closes);
        assert.deepEqual(change.next, closes ? { ...lease(fields), status: 'expired', closedAt: NOW } : null);
      });
    }
  });

  describe('the record', () => {
    it('is kept a week after the lease closed', () => {
      const closed = lease({ status: 'released', closedAt: NOW, expiresAt: at(60) });
      assert.deepEqual(recordExpiry(closed), new Date(NOW.getTime() + LEASE_RECORD_DAYS * 24 * 60 * MINUTE));
    });

    it('and a week after an active lease would expire (should the tick never close it)', () => {
      assert.deepEqual(
        recordExpiry(lease({ expiresAt: NOW })),
        new Date(NOW.getTime() + 7 * 24 * 60 * MINUTE),
      );
    });
  });

  describe('lease ids', () => {
    it('the same version, owner and requestId always name the same lease', () => {
      const id = leaseIdFor('master', 'kubeflow/examples#1234', 'run-42');
      assert.match(id, /^lease-master-[0-9a-f]{16}$/);
      assert.equal(leaseIdFor('master', 'kubeflow/examples#1234', 'run-42'), id);
    });

    const others: Array<[string, [string, string, string]]> = [
      ['another requestId', ['master', 'kubeflow/examples#1234', 'run-43']],
      ['another owner', ['master', 'kubeflow/examples#1235', 'run-42']],
      ['another version', ['v1', 'kubeflow/examples#1234', 'run-42']],
      // The separator keeps owner and key apart: "a\nb" + "c" is not "a" + "b\nc".
      ['the same text split differently', ['master', 'kubeflow/examples#1234\nrun', '42']],
    ];
    for (const [name, args] of others) {
      it(`${name}: another lease`, () => {
        assert.notEqual(leaseIdFor(...args), leaseIdFor('master', 'kubeflow/examples#1234', 'run-42'));
      });
    }

    it('a lease without requestId is named from random hex', () => {
      assert.equal(randomLeaseId('v1', '0123456789abcdef0123'), 'lease-v1-0123456789abcdef');
    });
  });
});

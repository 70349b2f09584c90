/**
 * The lease API over HTTP: deploymentStatus under the Functions Framework, with the Firestore stores on
 * the emulator. Acquire (the newest ready instance, a pinned one, idempotent under 10 concurrent calls),
 * heartbeat (extends; 410 once expired or released), release (twice is fine), list and show, and the
 * status codes of every refusal.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { leaseRef } from '../../functions/adapters/firestore/refs.js';
import { leaseIdFor } from '../../functions/core/leases.js';
import { useEmulatorSuite } from '../support/firestore.js';
import {
  callApi,
  type LeaseStack,
  masterDeployment,
  putDeployments,
  startLeaseStack,
} from '../support/lease-stack.js';

const SHA_OLD = 'b2'.repeat(20);
const SHA_NEW = 'a1'.repeat(20);
const OLD = 'kf-master-0301-o11';
const NEW = 'kf-master-0301-n22';
const OWNER = 'kubeflow/examples#1234';

describe('the lease API (Functions Framework + Firestore emulator)', () => {
  let db: Firestore;
  let stack: LeaseStack;
  const api = (method: string, path: string, body?: unknown) => callApi(stack.url, method, path, body);
  const acquire = (body: Record<string, unknown>) => api('POST', '/api/leases', { owner: OWNER, ...body });

  useEmulatorSuite((client) => {
    db = client;
  });

  beforeEach(async () => {
    stack = await startLeaseStack(db);
    await putDeployments(
      db,
      masterDeployment(OLD, SHA_OLD, 10),
      masterDeployment(NEW, SHA_NEW, 5),
      masterDeployment('kf-master-0301-d33', SHA_NEW, 1, 'deploying'),
    );
  });

  afterEach(async () => {
    await stack.stop();
  });

  describe('POST /api/leases', () => {
    it('201: a lease on the newest ready instance of the version, with what a test needs to connect', async () => {
      const before = stack.clock.read().getTime();
      const { status, body } = await acquire({ version: 'master', ttlSeconds: 600 });

      assert.equal(status, 201);
      assert.match(String(body.leaseId), /^lease-master-[0-9a-f]{16}$/);
      assert.equal(body.version, 'master');
      assert.equal(body.instance, NEW);
      assert.equal(body.commit, SHA_NEW);
      assert.equal(body.endpoint, `https://${NEW}.endpoints.kf-ci-test.cloud.goog`);
      assert.match(String(body.credentialsCommand), new RegExp(`get-credentials --zone=us-east1-d ${NEW}$`));
      assert.equal(body.owner, OWNER);
      assert.equal(body.status, 'active');
      assert.equal(body.createdBy, null);
      const expiresIn = Date.parse(String(body.expiresAt)) - before;
      assert.ok(expiresIn >= 600_000 && expiresIn < 660_000, String(expiresIn));

      const stored = (await leaseRef(db, String(body.leaseId)).get()).data();
      assert.equal(stored?.status, 'active');
      assert.equal(stored?.instance, NEW);
      assert.equal(stored?.ttlSeconds, 600);
    });

    it('pins a named ready instance; 404 for one that does not exist; 409 for one that is not ready', async () => {
      const pinned = await acquire({ version: 'master', instance: OLD });
      assert.equal(pinned.status, 201);
      assert.equal(pinned.body.instance, OLD);

      const unknown = await acquire({ version: 'master', instance: 'kf-master-0301-zzz' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.reason, 'unknown-instance');

      const deploying = await acquire({ version: 'master', instance: 'kf-master-0301-d33' });
      assert.equal(deploying.status, 409);
      assert.equal(deploying.body.reason, 'instance-not-ready');
      assert.equal(deploying.body.status, 'deploying');
    });

    it('409 no-ready-instance for a version with none; 404 for an unknown version', async () => {
      const none = await acquire({ version: 'v1' });
      assert.equal(none.status, 409);
      assert.deepEqual(none.body, {
        error: "version 'v1' has no ready instance",
        reason: 'no-ready-instance',
      });

      const unknown = await acquire({ version: 'nope' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.reason, 'unknown-version');
      assert.equal((await db.collection('leases').get()).size, 0);
    });

    const badBodies: Array<[string, unknown, string]> = [
      ['a ttl under a minute', { version: 'master', owner: OWNER, ttlSeconds: 30 }, 'ttlSeconds'],
      ['no owner', { version: 'master' }, 'owner'],
      ['an unknown field', { version: 'master', owner: OWNER, ttl: 60 }, 'ttl'],
      ['not an object', '[1, 2]', '(body)'],
      ['no body at all', undefined, '(body)'],
    ];
    for (const [name, body, field] of badBodies) {
      it(`400 naming the field for ${name}`, async () => {
        const { status, body: answer } = await api('POST', '/api/leases', body);
        assert.equal(status, 400);
        assert.equal(answer.reason, 'invalid-body');
        assert.equal(answer.field, field);
        assert.match(String(answer.error), new RegExp(`^${field.replace(/[()]/g, '\\$&')}: `));
      });
    }

    it('reads a body sent without a JSON content type (curl -d)', async () => {
      const response = await fetch(`${stack.url}/api/leases`, {
        method: 'POST',
        body: JSON.stringify({ version: 'master', owner: OWNER }),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(response.status, 201);
    });

    it("400 for a body that is not JSON: ours naming (body), or the framework's when it claims to be JSON", async () => {
      const post = (type: string) =>
        fetch(`${stack.url}/api/leases`, {
          method: 'POST',
          body: '{"version": ',
          headers: { 'Content-Type': type },
        });
      const plain = await post('text/plain');
      assert.equal(plain.status, 400);
      assert.equal(((await plain.json()) as { field: string }).field, '(body)');
      assert.equal((await post('application/json')).status, 400);
      assert.equal((await db.collection('leases').get()).size, 0);
    });

    it('413 for a body over 16 KiB', async () => {
      const { status, body } = await acquire({ version: 'master', requestId: 'x'.repeat(20_000) });
      assert.equal(status, 413);
      assert.equal(body.reason, 'body-too-large');
    });

    it('the same requestId 10 times at once: one lease document, every answer names it (one 201)', async function () {
      this.timeout(60_000);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => acquire({ version: 'master', requestId: 'run-42' })),
      );

      const id = leaseIdFor('master', OWNER, 'run-42');
      assert.deepEqual(
        answers.map((answer) => answer.body.leaseId),
        Array(10).fill(id),
      );
      assert.deepEqual(
        answers.map((answer) => answer.status).sort(),
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
      );
      const docs = await db.collection('leases').get();
      assert.deepEqual(
        docs.docs.map((doc) => doc.id),
        [id],
      );
    });
  });

  describe('heartbeat, release, list, show', () => {
    it('a heartbeat extends the lease from now; after expiry it is 410 and the lease reads expired', async () => {
      const { body: lease } = await acquire({ version: 'master', ttlSeconds: 60 });
      const path = `/api/leases/${lease.leaseId}/heartbeat`;

      stack.clock.advanceSeconds(50);
      const beat = await api('POST', path, { ttlSeconds: 120 });
      assert.equal(beat.status, 200);
      const extendedBy = Date.parse(String(beat.body.expiresAt)) - Date.parse(String(lease.expiresAt));
      assert.ok(extendedBy >= 110_000, String(extendedBy));
      assert.equal(beat.body.ttlSeconds, 120);
      assert.ok(beat.body.heartbeatAt);

      stack.clock.advanceSeconds(121);
      const late = await api('POST', path);
      assert.equal(late.status, 410);
      assert.equal(late.body.reason, 'expired');
      assert.equal((await api('GET', `/api/leases/${lease.leaseId}`)).body.status, 'expired');
    });

    it('DELETE releases; DELETE again is still 200; a heartbeat after release is 410 released', async () => {
      const { body: lease } = await acquire({ version: 'master' });
      const path = `/api/leases/${lease.leaseId}`;

      const first = await api('DELETE', path);
      const second = await api('DELETE', path);
      assert.deepEqual([first.status, second.status], [200, 200]);
      assert.equal(first.body.status, 'released');
      assert.equal(second.body.closedAt, first.body.closedAt);

      const beat = await api('POST', `${path}/heartbeat`, {});
      assert.equal(beat.status, 410);
      assert.equal(beat.body.reason, 'released');
    });

    it('404 for an unknown or malformed lease id (heartbeat, release, show); a %2F in it never reaches the store', async () => {
      for (const id of ['lease-master-ffffffffffffffff', 'not-a-lease', encodeURIComponent('lease-a/b')]) {
        assert.equal((await api('POST', `/api/leases/${id}/heartbeat`)).status, 404, id);
        assert.equal((await api('DELETE', `/api/leases/${id}`)).status, 404, id);
        const show = await api('GET', `/api/leases/${id}`);
        assert.equal(show.status, 404, id);
        assert.equal(show.body.reason, 'unknown-lease');
      }
    });

    it('GET /api/leases lists the live leases only; the deployments and the page show them', async () => {
      const live = (await acquire({ version: 'master', instance: OLD })).body;
      const released = (await acquire({ version: 'master' })).body;
      await api('DELETE', `/api/leases/${released.leaseId}`);

      const list = (await api('GET', '/api/leases')).body as unknown as Array<Record<string, unknown>>;
      assert.deepEqual(
        list.map((lease) => lease.leaseId),
        [live.leaseId],
      );
      const byVersion = (await api('GET', '/api/leases?version=v1')).body as unknown as unknown[];
      assert.deepEqual(byVersion, []);

      const deployments = (await api('GET', '/api/deployments')).body as unknown as Array<{
        instance: string;
        leases: unknown[];
      }>;
      assert.deepEqual(deployments.find((d) => d.instance === OLD)?.leases, [
        { leaseId: live.leaseId, owner: OWNER, expiresAt: live.expiresAt },
      ]);
      assert.deepEqual(deployments.find((d) => d.instance === NEW)?.leases, []);
      const page = await (await fetch(`${stack.url}/`)).text();
      assert.match(page, /1 lease held/);
      assert.ok(page.includes(`<li title="${live.leaseId}">${OWNER} <span class="muted">until`));
    });

    it('405 with Allow for a method no lease route serves', async () => {
      const response = await fetch(`${stack.url}/api/leases`, { method: 'PUT' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'GET, POST, HEAD');
      const byId = await fetch(`${stack.url}/api/leases/lease-master-1`, { method: 'PATCH' });
      assert.equal(byId.headers.get('allow'), 'GET, DELETE, HEAD');
    });
  });
});

/**
 * deployWorker's task bodies and the lease API under any input, through the Functions Framework onto
 * the Firestore emulator (the callers authenticated, so the body is what is tested): a task body that
 * can never succeed is answered 2xx to Cloud Tasks and creates nothing; a lease request is answered by
 * the README's table (JSON with `error` and `reason`), never a 5xx, and writes only what it answers.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import fc from 'fast-check';
import { parseHeartbeatRequest, parseLeaseRequest } from '../../functions/core/lease-body.js';
import { firestoreEmulatorHost, useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment } from '../support/fixtures.js';
import { putDeployment } from '../support/pipeline-fixtures.js';
import { fuzzRuns, hostileBytes } from './support/fuzz.js';
import { assertOwnJson, type HostileStack, send, startHostileStack } from './support/hostile-stack.js';

/** Strings a request id or a lease field might be, legal or not. */
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    '.',
    '..',
    '__x__',
    'a/b',
    'deploy-master-0123456789ab-c',
    'x'.repeat(501),
    'ü'.repeat(800),
    'master',
  ),
  fc.stringMatching(/^[A-Za-z0-9._:-]{1,60}$/),
);

/** Task bodies: bytes, JSON values, and objects with a `requestId` of any kind. */
const taskBody = fc.oneof(
  hostileBytes(),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  fc
    .record({ requestId: fc.oneof(anyText, fc.jsonValue()) }, { requiredKeys: [] })
    .map((value) => Buffer.from(JSON.stringify(value))),
);

const LEASE_FIELDS = ['version', 'owner', 'ttlSeconds', 'requestId', 'instance', 'ttl', 'extra'] as const;

/** Lease bodies: mostly objects of the API's fields (and misspelt ones) with values of any type. */
const leaseBody = fc.oneof(
  { arbitrary: hostileBytes(300), weight: 1 },
  {
    arbitrary: fc
      .dictionary(
        fc.constantFrom(...LEASE_FIELDS),
        fc.oneof(anyText, fc.integer({ min: -10, max: 200_000 }), fc.jsonValue({ maxDepth: 2 })),
      )
      .map((value) => Buffer.from(JSON.stringify(value))),
    weight: 3,
  },
  {
    arbitrary: fc
      .record(
        {
          version: fc.constant('master'),
          owner: anyText,
          ttlSeconds: fc.integer({ min: 30, max: 90_000 }),
          requestId: anyText,
        },
        { requiredKeys: ['version', 'owner'] },
      )
      .map((value) => Buffer.from(JSON.stringify(value))),
    weight: 2,
  },
);

/** Path segments, percent-encoded as a client would send them. */
const pathSegment = fc
  .oneof(anyText, fc.stringMatching(/^lease-[a-z0-9-]{1,20}$/))
  .map((text) => encodeURIComponent(text));

describe('deployWorker and the lease API under any body (fast-check, Firestore emulator)', function () {
  this.timeout(120_000);
  let db: Firestore;
  let stack: HostileStack;

  useEmulatorSuite(
    (client) => {
      db = client;
    },
    { beforeTerminate: () => stack.stop() },
  );
  before(async () => {
    stack = await startHostileStack(db, await firestoreEmulatorHost());
  });
  beforeEach(async () => {
    const createdAt = new Date(Date.now() - 3_600_000);
    await putDeployment(
      db,
      makeDeployment({ instance: 'kf-master-1130-abc', status: 'ready', createdAt, readyAt: createdAt }),
    );
  });

  it('a task body of any kind: 200 to Cloud Tasks (done or dropped), never a retry; nothing launched', async () => {
    await fc.assert(
      fc.asyncProperty(
        taskBody,
        fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
        async (body, type) => {
          const headers = {
            'Content-Type': type,
            Authorization: stack.auth.worker,
            'X-CloudTasks-QueueName': 'auto-deploy',
            'X-CloudTasks-TaskName': 'fuzz-task',
          };
          const answer = await send(`${stack.url}/deployWorker`, { method: 'POST', headers, body });
          assert.equal(answer.status, 200, `${answer.text}\n${body.toString('utf8').slice(0, 200)}`);
          assertOwnJson(answer);
        },
      ),
      fuzzRuns(80),
    );
    assert.deepEqual(stack.fakes.jobs.jobs, []);
    assert.equal((await db.collection('deployRequests').get()).size, 0);
  });

  it('POST /api/leases with any body: an answer from the table, JSON with a reason; a lease only when 200/201', async () => {
    await fc.assert(
      fc.asyncProperty(leaseBody, async (body) => {
        const leasesBefore = (await db.collection('leases').get()).size;
        const answer = await send(`${stack.url}/deploymentStatus/api/leases`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: stack.auth.status },
          body,
        });
        assert.ok([200, 201, 400, 404, 409, 413].includes(answer.status), `${answer.status} ${answer.text}`);
        const json = assertOwnJson(answer);
        const leasesAfter = (await db.collection('leases').get()).size;
        if (answer.status >= 400) {
          assert.equal(typeof json.error, 'string');
          assert.equal(typeof json.reason, 'string');
          assert.equal(leasesAfter, leasesBefore, 'a refused acquire wrote a lease');
        }
        if (answer.status === 201) assert.equal(leasesAfter, leasesBefore + 1);
      }),
      fuzzRuns(80),
    );
  });

  it('heartbeat, release and show of any lease id, with any body: never a 5xx', async () => {
    const call = fc.tuple(
      fc.constantFrom('heartbeat', 'release', 'show', 'list'),
      pathSegment,
      fc.oneof(leaseBody, fc.constant(undefined)),
      pathSegment,
    );
    await fc.assert(
      fc.asyncProperty(call, async ([kind, id, body, query]) => {
        const base = `${stack.url}/deploymentStatus/api/leases`;
        const request = {
          heartbeat: { url: `${base}/${id}/heartbeat`, method: 'POST', body },
          release: { url: `${base}/${id}`, method: 'DELETE', body },
          show: { url: `${base}/${id}`, method: 'GET', body: undefined },
          list: { url: `${base}?version=${query}&instance=${id}`, method: 'GET', body: undefined },
        }[kind];
        const headers = { 'Content-Type': 'application/json', Authorization: stack.auth.status };
        const answer = await send(request.url, { method: request.method, headers, body: request.body });
        assert.ok(answer.status < 500, `${request.method} ${request.url}: ${answer.status} ${answer.text}`);
        assertOwnJson(answer);
      }),
      fuzzRuns(80),
    );
  });

  it('the lease bodies are checked, never thrown over: ok, or every problem with its field', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (body) => {
        for (const parsed of [parseLeaseRequest(body), parseHeartbeatRequest(body)]) {
          if (parsed.ok) continue;
          assert.ok(parsed.errors.length > 0);
          for (const error of parsed.errors) assert.ok(error.field.length > 0 && error.message.length > 0);
        }
      }),
      fuzzRuns(2000),
    );
  });
});

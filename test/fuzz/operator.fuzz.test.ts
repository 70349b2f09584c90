/**
 * The operator API under any input, through the Functions Framework onto the Firestore emulator, as
 * production builds it (AUTH_MODE=required): pause / resume / redeploy of any version name, teardown of
 * any instance name, drain / undrain, with any body, content type and caller. Never a 5xx; a 4xx is our
 * JSON with a `reason`, and a 400 names each field it refuses; a refused request (or one that changed
 * nothing) writes nothing, and nothing is written without an allowed caller.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import fc from 'fast-check';
import { leaseDoc } from '../../functions/adapters/firestore/lease-codec.js';
import { leaseRef } from '../../functions/adapters/firestore/refs.js';
import {
  parseReasonOptional,
  parseReasonRequired,
  parseTeardownBody,
} from '../../functions/core/operator-body.js';
import { firestoreEmulatorHost, useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment, makeLease } from '../support/fixtures.js';
import { putDeployment } from '../support/pipeline-fixtures.js';
import { fuzzRuns, hostileBytes, isReplaying } from './support/fuzz.js';
import {
  type Answer,
  assertOwnJson,
  type HostileStack,
  send,
  startHostileStack,
} from './support/hostile-stack.js';

const HOUR_MS = 3_600_000;
const LEASED = 'kf-master-1130-abc';
const FREE = 'kf-master-1129-old';
const DEPLOYING = 'kf-v1-1130-def';
const VERSIONS = ['master', 'v1', 'stacks'];
const FIELDS = ['reason', 'by', 'force'];

/** Strings a path segment or a field might be, legal or not. */
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '.', '..', '__x__', 'a/b', 'x'.repeat(501), 'ü'.repeat(300), '\u0000', 'r\nr'),
  fc.stringMatching(/^[a-z0-9-]{1,63}$/),
);

/** Bodies: mostly objects of the API's fields (and misspelt or odd ones) with values of any type. */
const operatorBody = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 1 },
  { arbitrary: hostileBytes(300), weight: 2 },
  {
    arbitrary: fc
      .dictionary(
        fc.constantFrom(
          ...FIELDS,
          'Reason',
          'reasons',
          'force ',
          '',
          '__proto__',
          'constructor',
          'x'.repeat(80),
        ),
        fc.oneof(anyText, fc.boolean(), fc.integer(), fc.jsonValue({ maxDepth: 2 })),
      )
      .map((value) => Buffer.from(JSON.stringify(value))),
    weight: 4,
  },
  {
    arbitrary: fc
      .record({ reason: anyText, by: anyText, force: fc.boolean() }, { requiredKeys: [] })
      .map((value) => Buffer.from(JSON.stringify(value))),
    weight: 3,
  },
  {
    arbitrary: fc.constant(Buffer.from(JSON.stringify({ reason: 'x'.repeat(17 * 1024) }))),
    weight: 1,
  },
);

const segment = (known: string[]) =>
  fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, { arbitrary: anyText, weight: 1 });

/** One call of the operator API: its path, method, body, content type and whether it is signed in. */
const operatorCall = fc.record({
  path: fc.oneof(
    fc
      .tuple(segment(VERSIONS), fc.constantFrom('pause', 'resume', 'redeploy'))
      .map(([version, action]) => `/api/versions/${encodeURIComponent(version)}/${action}`),
    segment([LEASED, FREE, DEPLOYING]).map(
      (instance) => `/api/deployments/${encodeURIComponent(instance)}/teardown`,
    ),
    fc.constantFrom('/api/drain', '/api/undrain', '/api/plan'),
  ),
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
  body: operatorBody,
  type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', null),
  isAnonymous: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

type OperatorCall = typeof operatorCall extends fc.Arbitrary<infer T> ? T : never;

/** Every document a change could write, as text, in a stable order. */
async function storedState(db: Firestore): Promise<string[]> {
  const lines: string[] = [];
  for (const name of ['versions', 'control', 'deployRequests', 'deployments', 'leases']) {
    for (const doc of (await db.collection(name).get()).docs) {
      lines.push(`${doc.ref.path} ${JSON.stringify(doc.data())}`);
    }
  }
  for (const doc of (await db.collectionGroup('events').get()).docs) {
    lines.push(`${doc.ref.path} ${JSON.stringify(doc.data())}`);
  }
  return lines.sort();
}

/** The names a 400 may give a field: the API's, `(body)`, or a key the body sent (as is or quoted). */
function namableFields(body: Buffer | undefined): Set<string> {
  const names = new Set([...FIELDS, '(body)']);
  try {
    const value: unknown = JSON.parse(body?.toString('utf8') ?? '');
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        names.add(key);
        names.add(JSON.stringify(key.slice(0, 64)));
      }
    }
  } catch {
    // Not JSON: only `(body)` can be named.
  }
  return names;
}

function assertRefusal(status: number, json: Record<string, unknown>, body: Buffer | undefined): void {
  assert.equal(typeof json.error, 'string', JSON.stringify(json));
  // The router's and the caller check's refusals are `{error}` alone (a 404 lists the routes).
  if (status === 401 || status === 403 || status === 405 || (status === 404 && 'routes' in json)) return;
  assert.equal(typeof json.reason, 'string', JSON.stringify(json));
  if (status !== 400) return;
  assert.equal(json.reason, 'invalid-body');
  const errors = json.errors as Array<{ field: string; message: string }>;
  assert.ok(errors.length > 0);
  assert.equal(json.field, errors[0]?.field);
  const namable = namableFields(body);
  for (const { field, message } of errors) {
    assert.ok(namable.has(field), `a 400 names '${field}', not a field of the body: ${JSON.stringify(json)}`);
    assert.ok(message.length > 0);
    assert.ok(String(json.error).includes(`${field}: `), `the error does not name ${field}`);
  }
}

describe('the operator API under any request (fast-check, Firestore emulator)', function () {
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
    const createdAt = new Date(Date.now() - 30 * HOUR_MS);
    const ready = { status: 'ready' as const, createdAt, readyAt: createdAt };
    await putDeployment(db, makeDeployment({ instance: LEASED, ...ready }));
    await putDeployment(db, makeDeployment({ instance: FREE, ...ready }));
    await putDeployment(
      db,
      makeDeployment({ instance: DEPLOYING, version: 'v1', status: 'deploying', createdAt }),
    );
    const lease = makeLease({ leaseId: 'lease-fuzz-1', instance: LEASED, createdAt: new Date() });
    await leaseRef(db, lease.leaseId).set(leaseDoc(lease));
  });

  /** Sends `call` as it says (a GET without a body); the answer, the body sent and a description. */
  async function callApi(
    call: OperatorCall,
  ): Promise<{ answer: Answer; body: Buffer | undefined; context: string }> {
    const headers: Record<string, string> = {
      ...(call.type ? { 'Content-Type': call.type } : {}),
      ...(call.isAnonymous ? {} : { Authorization: stack.auth.status }),
    };
    const body = call.method === 'GET' ? undefined : call.body;
    const answer = await send(`${stack.url}/deploymentStatus${call.path}`, {
      method: call.method,
      headers,
      body,
    });
    return { answer, body, context: `${call.method} ${call.path} ${body?.toString('utf8').slice(0, 200)}` };
  }

  it('any call: never a 5xx, our JSON; a refused or unchanged one writes nothing; none without a caller', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(operatorCall, async (call) => {
        const before = await storedState(db);
        const { answer, body, context } = await callApi(call);
        seen.add(answer.status);
        assert.ok(answer.status < 500, `${context}: ${answer.status} ${answer.text}`);
        const json = assertOwnJson(answer, context);
        const after = await storedState(db);
        if (call.isAnonymous && call.method === 'POST') {
          // The path and the method are checked before the caller (404 and 405 to anyone); a change never.
          assert.ok([401, 404, 405].includes(answer.status), `${context}: ${answer.status} without a caller`);
        }
        if (answer.status >= 400) assertRefusal(answer.status, json, body);
        if (answer.status >= 400 || json.changed === false || call.method === 'GET') {
          assert.deepEqual(after, before, `${context}: ${answer.status} wrote`);
        }
      }),
      fuzzRuns(120),
    );
    // The arbitraries reach the answers that matter, not only refusals.
    if (isReplaying()) return;
    for (const status of [200, 400, 401, 404]) assert.ok(seen.has(status), `never answered ${status}`);
  });

  it('the operator bodies are checked, never thrown over: ok, or every problem with its field', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (body) => {
        for (const parsed of [
          parseReasonRequired(body),
          parseReasonOptional(body),
          parseTeardownBody(body),
        ]) {
          if (parsed.ok) continue;
          assert.ok(parsed.errors.length > 0);
          for (const error of parsed.errors) assert.ok(error.field.length > 0 && error.message.length > 0);
        }
      }),
      fuzzRuns(2000),
    );
  });
});

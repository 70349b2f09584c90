/**
 * Bodies the Functions Framework's parsers refuse (not JSON with `Content-Type: application/json`, an
 * unknown charset, too many form fields, gzip), bodies that are not UTF-8, too large, or empty: every
 * function answers them with its own JSON, after checking its caller (signature or ID token), never
 * with a stack trace or a path; a task body that can never succeed is dropped with a 200 and an ERROR
 * log line so that Cloud Tasks does not retry it. Through the gateway (the framework's own server,
 * with the body reader the entry point installs).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { Firestore } from '@google-cloud/firestore';
import { firestoreEmulatorHost, useEmulatorSuite } from '../support/firestore.js';
import {
  assertOwnJson,
  deliveryHeaders,
  type HostileStack,
  QUEUE,
  send,
  startHostileStack,
} from './support/hostile-stack.js';

/** Bodies the framework's parsers would have refused, with the Content-Type that makes them try. */
const REFUSED_BY_THE_FRAMEWORK: Array<{ name: string; type: string; body: Buffer | string }> = [
  { name: 'not JSON', type: 'application/json', body: '{"requestId": oops' },
  { name: 'a JSON string (strict mode)', type: 'application/json', body: '"deploy-master"' },
  { name: 'an unknown charset', type: 'application/json; charset=latin1', body: '{}' },
  {
    name: '1,200 form fields',
    type: 'application/x-www-form-urlencoded',
    body: Array.from({ length: 1200 }, (_, i) => `f${i}=1`).join('&'),
  },
  { name: 'text that is not UTF-8', type: 'text/plain', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
];

describe('bad request bodies: our own JSON, after the caller check', () => {
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

  async function collections(): Promise<string[]> {
    return (await db.listCollections()).map((collection) => collection.id);
  }

  describe('githubWebhook', () => {
    const url = () => `${stack.url}/githubWebhook`;

    for (const bad of REFUSED_BY_THE_FRAMEWORK) {
      it(`${bad.name}: 401 unsigned, 400 signed, JSON both times, nothing written`, async () => {
        const unsigned = await send(url(), {
          method: 'POST',
          headers: deliveryHeaders(bad.body, 'push', false, bad.type),
          body: bad.body,
        });
        assert.equal(unsigned.status, 401, unsigned.text);
        assertOwnJson(unsigned, bad.name);
        const signed = await send(url(), {
          method: 'POST',
          headers: deliveryHeaders(bad.body, 'push', true, bad.type),
          body: bad.body,
        });
        assert.equal(signed.status, 400, signed.text);
        assert.match(
          String(assertOwnJson(signed, bad.name).error),
          /not JSON|not valid UTF-8|not a valid push event/,
        );
        assert.deepEqual(await collections(), []);
      });
    }

    it('a gzip body: 401 when the signature is of the uncompressed bytes, 415 when of the sent ones', async () => {
      const json = JSON.stringify({ zen: 'hi' });
      const gzipped = gzipSync(json);
      const headers = { ...deliveryHeaders(json, 'ping'), 'Content-Encoding': 'gzip' };
      const ofJson = await send(url(), { method: 'POST', headers, body: gzipped });
      assert.equal(ofJson.status, 401, ofJson.text);
      const ofSent = await send(url(), {
        method: 'POST',
        headers: { ...deliveryHeaders(gzipped, 'ping'), 'Content-Encoding': 'gzip' },
        body: gzipped,
      });
      assert.equal(ofSent.status, 415, ofSent.text);
      assert.match(String(assertOwnJson(ofSent).error), /Content-Encoding gzip/);
    });

    it('a gzip bomb is never inflated: 401, and the instance keeps serving', async () => {
      // 64 MB of zeros compress to ~64 KB: the framework's parsers would have inflated them.
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
      const answer = await send(url(), {
        method: 'POST',
        headers: { ...deliveryHeaders(bomb, 'push', false), 'Content-Encoding': 'gzip' },
        body: bomb,
      });
      assert.equal(answer.status, 401);
      assertOwnJson(answer);
    });

    it('an empty body with a well-formed signature: 401, not a 500', async () => {
      const headers = { ...deliveryHeaders('x'), 'Content-Length': '0' };
      const answer = await send(url(), { method: 'POST', headers, body: '' });
      assert.equal(answer.status, 401, answer.text);
      assertOwnJson(answer);
    });

    it('an empty body, signed: 200 for a ping, 400 for a push', async () => {
      const ping = await send(url(), { method: 'POST', headers: deliveryHeaders('', 'ping'), body: '' });
      assert.equal(ping.status, 200, ping.text);
      const push = await send(url(), { method: 'POST', headers: deliveryHeaders(''), body: '' });
      assert.equal(push.status, 400, push.text);
      assert.match(String(assertOwnJson(push).error), /not a valid push event/);
    });
  });

  describe('deployWorker', () => {
    const url = () => `${stack.url}/deployWorker`;
    const taskHeaders = (type: string, extra: Record<string, string> = {}) => ({
      'Content-Type': type,
      'X-CloudTasks-QueueName': 'auto-deploy',
      'X-CloudTasks-TaskName': 'task-1',
      ...extra,
    });

    for (const bad of REFUSED_BY_THE_FRAMEWORK) {
      it(`${bad.name}: 401 without a token; with one, 200 to Cloud Tasks (dropped, logged) and 400 to a person`, async () => {
        const anonymous = await send(url(), {
          method: 'POST',
          headers: taskHeaders(bad.type),
          body: bad.body,
        });
        assert.equal(anonymous.status, 401, anonymous.text);
        assertOwnJson(anonymous, bad.name);
        const logged = stack.logs.length;
        const task = await send(url(), {
          method: 'POST',
          headers: taskHeaders(bad.type, { Authorization: stack.auth.worker }),
          body: bad.body,
        });
        assert.equal(task.status, 200, task.text);
        assert.equal(assertOwnJson(task, bad.name).dropped, true);
        const errors = stack.logs.slice(logged).filter((line) => line.severity === 'ERROR');
        assert.match(String(errors[0]?.message), /task body refused; dropped/);
        assert.equal(errors[0]?.task, 'task-1');
        const person = await send(url(), {
          method: 'POST',
          headers: {
            'Content-Type': bad.type,
            Authorization: stack.auth.worker,
            'X-CloudTasks-QueueName': 'auto-deploy',
          },
          body: bad.body,
        });
        assert.equal(person.status, 400, person.text);
        assertOwnJson(person, bad.name);
        assert.deepEqual(stack.fakes.jobs.jobs, []);
      });
    }

    it('request ids Firestore refuses as document ids are dropped, not retried', async () => {
      for (const requestId of ['..', '.', '__reserved__']) {
        const task = await send(url(), {
          method: 'POST',
          headers: taskHeaders('application/json', { Authorization: stack.auth.worker }),
          body: JSON.stringify({ requestId }),
        });
        assert.equal(task.status, 200, `${requestId}: ${task.text}`);
        assert.equal(assertOwnJson(task).dropped, true);
      }
    });

    it('a body over 1 MiB: 413 to a person, 200 (dropped) to Cloud Tasks, after the token check', async () => {
      const body = JSON.stringify({ requestId: 'x'.repeat(1024 * 1024) });
      const anonymous = await send(url(), { method: 'POST', headers: taskHeaders('application/json'), body });
      assert.equal(anonymous.status, 401);
      const task = await send(url(), {
        method: 'POST',
        headers: taskHeaders('application/json', { Authorization: stack.auth.worker }),
        body,
      });
      assert.equal(task.status, 200, task.text);
      const person = await send(url(), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: stack.auth.worker,
          'X-CloudTasks-QueueName': 'auto-deploy',
        },
        body,
      });
      assert.equal(person.status, 413, person.text);
      assert.match(String(assertOwnJson(person).error), /at most 1048576/);
      assert.ok(QUEUE.endsWith('auto-deploy'));
    });
  });

  describe('schedulerTick', () => {
    const url = () => `${stack.url}/schedulerTick`;

    it('a body that is not JSON: 401 without a token; with one, ignored (the tick runs)', async () => {
      const anonymous = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{oops',
      });
      assert.equal(anonymous.status, 401);
      assertOwnJson(anonymous);
      const asked = stack.fakes.commits.asked.length;
      const tick = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: stack.auth.tick },
        body: '{oops',
      });
      assertOwnJson(tick);
      assert.ok(stack.fakes.commits.asked.length > asked, 'the tick did not run');
    });

    it('a body over 64 KiB: 413 after the token check, and the tick does not run', async () => {
      const body = 'x'.repeat(65 * 1024);
      const anonymous = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body,
      });
      assert.equal(anonymous.status, 401);
      const asked = stack.fakes.commits.asked.length;
      const tick = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Authorization: stack.auth.tick },
        body,
      });
      assert.equal(tick.status, 413, tick.text);
      assertOwnJson(tick);
      assert.equal(stack.fakes.commits.asked.length, asked);
    });
  });

  describe('deploymentStatus', () => {
    const url = () => `${stack.url}/deploymentStatus/api/leases`;

    for (const bad of REFUSED_BY_THE_FRAMEWORK) {
      it(`${bad.name}: 401 without a token, 400 invalid-body with one; no lease`, async () => {
        const anonymous = await send(url(), {
          method: 'POST',
          headers: { 'Content-Type': bad.type },
          body: bad.body,
        });
        assert.equal(anonymous.status, 401, anonymous.text);
        assertOwnJson(anonymous, bad.name);
        const allowed = await send(url(), {
          method: 'POST',
          headers: { 'Content-Type': bad.type, Authorization: stack.auth.status },
          body: bad.body,
        });
        assert.equal(allowed.status, 400, allowed.text);
        assert.equal(assertOwnJson(allowed, bad.name).reason, 'invalid-body');
        assert.deepEqual(await collections(), []);
      });
    }

    it('over 16 KiB: 401 without a token, 413 body-too-large with one', async () => {
      const body = JSON.stringify({ version: 'master', owner: 'x'.repeat(17 * 1024) });
      const anonymous = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      assert.equal(anonymous.status, 401);
      const allowed = await send(url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: stack.auth.status },
        body,
      });
      assert.equal(allowed.status, 413, allowed.text);
      assert.equal(assertOwnJson(allowed).reason, 'body-too-large');
    });

    it('a gzip body: 415 with one', async () => {
      const allowed = await send(url(), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          Authorization: stack.auth.status,
        },
        body: gzipSync('{"version": "master"}'),
      });
      assert.equal(allowed.status, 415, allowed.text);
      assert.equal(assertOwnJson(allowed).reason, 'unsupported-encoding');
    });

    const OPERATOR_PATHS = [
      '/api/versions/master/pause',
      '/api/versions/master/resume',
      '/api/versions/master/redeploy',
      '/api/drain',
      '/api/undrain',
      '/api/deployments/kf-master-1130-abc/teardown',
    ];
    for (const path of OPERATOR_PATHS) {
      it(`POST ${path}: each refused body is 401 without a token, then 400 / 413 / 415 in JSON; nothing written`, async () => {
        const bodies = [
          // (The charset case's body, `{}`, is a valid body here: it is read as UTF-8 whatever the charset.)
          ...REFUSED_BY_THE_FRAMEWORK.filter((bad) => bad.body !== '{}').map((bad) => ({
            ...bad,
            status: 400,
            reason: 'invalid-body',
          })),
          {
            name: 'over 16 KiB',
            type: 'application/json',
            body: JSON.stringify({ reason: 'x'.repeat(17 * 1024) }),
            status: 413,
            reason: 'body-too-large',
          },
          {
            name: 'gzip',
            type: 'application/json',
            body: gzipSync('{}'),
            status: 415,
            reason: 'unsupported-encoding',
          },
        ];
        for (const bad of bodies) {
          const target = `${stack.url}/deploymentStatus${path}`;
          const headers: Record<string, string> = { 'Content-Type': bad.type };
          if (bad.name === 'gzip') headers['Content-Encoding'] = 'gzip';
          const anonymous = await send(target, { method: 'POST', headers, body: bad.body });
          assert.equal(anonymous.status, 401, `${bad.name}: ${anonymous.text}`);
          assertOwnJson(anonymous, bad.name);
          const allowed = await send(target, {
            method: 'POST',
            headers: { ...headers, Authorization: stack.auth.status },
            body: bad.body,
          });
          assert.equal(allowed.status, bad.status, `${bad.name}: ${allowed.text}`);
          const json = assertOwnJson(allowed, bad.name);
          assert.equal(json.reason, bad.reason, bad.name);
          if (bad.status === 400) assert.equal(json.field, '(body)', bad.name);
        }
        assert.deepEqual(await collections(), []);
      });
    }

    it('a read with a body that is not JSON is answered as any read', async () => {
      const page = await send(`${stack.url}/deploymentStatus/api/versions`, {
        method: 'GET',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '5' },
        body: undefined,
      });
      assert.equal(page.status, 200, page.text);
    });
  });
});

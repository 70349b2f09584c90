/**
 * The operator API over HTTP: deploymentStatus as the app builds it, on the Firestore emulator. Each
 * change writes the fields operators edit in the console and an event in the version's history, is
 * planned at once (the in-memory queue receives the tasks), and answers strictly; the dry run writes
 * nothing; what an operator sets by hand in the console is what the API reads.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { leaseDoc } from '../../functions/adapters/firestore/lease-codec.js';
import { FirestoreOperatorStore } from '../../functions/adapters/firestore/operator-store.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import {
  drainRef,
  leaseRef,
  versionEventsCollection,
  versionRef,
} from '../../functions/adapters/firestore/refs.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment, makeLease } from '../support/fixtures.js';
import { callOperatorApi, type OperatorStack, startOperatorStack } from '../support/operator-stack.js';
import { pipelineConfig, putBranchHead, putDeployment } from '../support/pipeline-fixtures.js';

const REPO = 'kubeflow/manifests';
const SHA = 'a1'.repeat(20);
const OLD = 'b2'.repeat(20);
const HOUR = 3_600_000;
const INSTANCE = 'kf-master-1129-old';
const CONFIG = pipelineConfig('operator api test');

describe('the operator API (app + Firestore emulator)', () => {
  let db: Firestore;
  let stack: OperatorStack;
  const api = (method: string, path: string, body?: unknown) =>
    callOperatorApi(stack.url, method, path, body);
  const versionDoc = async (name = 'master') => (await versionRef(db, name).get()).data();
  const events = async (name = 'master') =>
    (await versionEventsCollection(db, name).orderBy('at').get()).docs.map((doc) => doc.data());

  useEmulatorSuite((client) => {
    db = client;
  });

  beforeEach(async () => {
    stack = await startOperatorStack(db);
    await putBranchHead(db, REPO, 'master', SHA);
    await putDeployment(
      db,
      makeDeployment({
        instance: INSTANCE,
        status: 'ready',
        commit: OLD,
        requestId: 'deploy-master-old',
        createdAt: new Date(Date.now() - 30 * HOUR),
        readyAt: new Date(Date.now() - 30 * HOUR),
      }),
    );
  });

  afterEach(() => stack.stop());

  describe('pause, resume, redeploy', () => {
    it('pause: the console fields, an event, planned at once (nothing queued); again: 200 unchanged', async () => {
      const { status, body } = await api('POST', '/api/versions/master/pause', {
        reason: 'flaky kfctl',
        by: 'bob',
      });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.changed, true);
      assert.equal(body.paused, true);
      assert.equal(body.pausedBy, 'bob (unverified)');
      assert.equal(body.planned, true);
      const stored = await versionDoc();
      assert.equal(stored?.paused, true);
      assert.equal(stored?.pausedReason, 'flaky kfctl');
      assert.equal(stored?.decision?.reason, 'paused');
      assert.deepEqual(stack.queue.tasks, []);
      const [event, ...more] = await events();
      assert.deepEqual(more, []);
      assert.equal(event?.action, 'pause');
      assert.equal(event?.by, null);
      assert.equal(event?.claimedBy, 'bob');
      assert.equal(event?.reason, 'flaky kfctl');

      const again = await api('POST', '/api/versions/master/pause', { reason: 'another' });
      assert.equal(again.status, 200);
      assert.equal(again.body.changed, false);
      assert.equal(again.body.pausedReason, 'flaky kfctl');
      assert.equal((await events()).length, 1);
    });

    it('resume: the head deploys at once (a task queued); the event is in the history', async () => {
      await api('POST', '/api/versions/master/pause', { reason: 'r' });
      const { status, body } = await api('POST', '/api/versions/master/resume');
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.paused, false);
      assert.equal(stack.queue.tasks.length, 1);
      assert.match(stack.queue.tasks[0]?.requestId ?? '', /^deploy-master-a1a1a1a1a1a1-/);
      assert.deepEqual(
        (await events()).map((e) => e.action),
        ['pause', 'resume'],
      );
    });

    it('the console route: a pause set by hand is what the API and the dry run read; resume clears it', async () => {
      await versionRef(db, 'master').set(
        { paused: true, pausedReason: 'set in the console' },
        { merge: true },
      );
      const plan = await api('GET', '/api/plan');
      const master = (plan.body.versions as Array<Record<string, unknown>>)[0];
      assert.equal(master?.reason, 'paused');
      assert.deepEqual(master?.paused, { reason: 'set in the console', by: null, at: null });
      const pause = await api('POST', '/api/versions/master/pause', { reason: 'r' });
      assert.equal(pause.body.changed, false, 'already paused in the console');
      const resume = await api('POST', '/api/versions/master/resume', {});
      assert.equal(resume.body.changed, true);
      assert.equal((await versionDoc())?.paused, false);
    });

    it('redeploy: forceRedeploy, used by the plan it triggers (a manual deploy) and set back', async () => {
      await putBranchHead(db, REPO, 'master', OLD);
      const { status, body } = await api('POST', '/api/versions/master/redeploy', { reason: 'new kfctl' });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.forceRedeploy, true);
      const stored = await versionDoc();
      assert.equal(stored?.forceRedeploy, false, 'used once');
      assert.equal(stored?.decision?.reason, 'manual');
      assert.match(stack.queue.tasks[0]?.requestId ?? '', /^deploy-master-b2b2b2b2b2b2-m/);
    });

    it('404 for an unknown version, naming the versions; nothing written', async () => {
      const { status, body } = await api('POST', '/api/versions/nope/pause', { reason: 'r' });
      assert.equal(status, 404);
      assert.equal(body.reason, 'unknown-version');
      assert.deepEqual(body.versions, ['master', 'v1']);
      assert.equal((await versionRef(db, 'nope').get()).exists, false);
    });
  });

  describe('drain and undrain', () => {
    it('drain: control/drain, every version drained (its own pause kept); undrain restores them', async () => {
      await api('POST', '/api/versions/v1/pause', { reason: 'v1 broken' });
      const drained = await api('POST', '/api/drain', { reason: 'GKE incident' });
      assert.equal(drained.status, 200, JSON.stringify(drained.body));
      assert.equal(drained.body.drained, true);
      assert.equal((await drainRef(db).get()).data()?.drained, true);
      assert.equal((await versionDoc())?.decision?.reason, 'drained');
      assert.equal((await versionDoc('v1'))?.decision?.reason, 'paused');
      const snapshot = await new FirestorePlanStore(db).readSnapshot(CONFIG.versions, new Date());
      assert.deepEqual(
        snapshot.versions.map((v) => v.switches.drained),
        [true, true],
      );
      assert.deepEqual(stack.queue.tasks, [], 'nothing deploys while drained');

      const again = await api('POST', '/api/drain', { reason: 'again' });
      assert.equal(again.body.changed, false);

      const undrained = await api('POST', '/api/undrain');
      assert.equal(undrained.body.drained, false);
      assert.equal((await versionDoc('v1'))?.paused, true, 'v1 stays paused');
      assert.equal(stack.queue.tasks.length, 1, 'master deploys its head');
      assert.deepEqual(
        (await events('v1')).map((e) => e.action),
        ['pause', 'drain', 'undrain'],
      );
    });

    it('a drain set by hand in the console (control/drain.drained) is honoured by the plan', async () => {
      await drainRef(db).set({ drained: true, reason: 'console' });
      const plan = await api('GET', '/api/plan');
      assert.equal((plan.body.drain as { drained: boolean }).drained, true);
      assert.equal((plan.body.versions as Array<{ reason: string }>)[0]?.reason, 'drained');
    });
  });

  describe('teardown now', () => {
    const teardown = (body?: unknown, instance = INSTANCE) =>
      api('POST', `/api/deployments/${instance}/teardown`, body);

    it('409 while leased; force: 202, a forced teardown request, queued at once; again: unchanged', async () => {
      const lease = makeLease({
        leaseId: 'lease-master-1',
        instance: INSTANCE,
        owner: 'ci#7',
        createdAt: new Date(),
      });
      await leaseRef(db, lease.leaseId).set(leaseDoc(lease));
      const refused = await teardown({ reason: 'broken' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.reason, 'leased');
      assert.match(String(refused.body.error), /leased by ci#7 until .*"force": true/);
      assert.equal((await db.collection('deployRequests').get()).size, 0);

      const forced = await teardown({ reason: 'broken', force: true });
      assert.equal(forced.status, 202, JSON.stringify(forced.body));
      const request = forced.body.request as { id: string; force: boolean };
      assert.equal(request.id, `teardown-${INSTANCE}-0`);
      assert.equal(request.force, true);
      assert.deepEqual(
        (forced.body.overriddenLeases as Array<{ owner: string }>).map((l) => l.owner),
        ['ci#7'],
      );
      const stored = (await db.collection('deployRequests').doc(request.id).get()).data();
      assert.equal(stored?.force, true);
      assert.equal(stored?.status, 'enqueued');
      // Queued by the plan of master it triggered (which also queues master's new head).
      assert.ok(stack.queue.tasks.some((t) => t.requestId === request.id));
      const [event] = await events();
      assert.deepEqual([event?.action, event?.instance, event?.force], ['teardown', INSTANCE, true]);

      const again = await teardown({ force: true });
      assert.equal(again.status, 202);
      assert.equal(again.body.changed, false);
    });

    it('404 for an unknown instance; 409 while deploying; 200 unchanged once deleted', async () => {
      assert.equal((await teardown(undefined, 'kf-master-1129-zzz')).status, 404);
      assert.equal((await teardown(undefined, 'Not_An_Instance')).status, 404);
      await putDeployment(
        db,
        makeDeployment({ instance: 'kf-master-1130-dep', status: 'deploying', createdAt: new Date() }),
      );
      const deploying = await teardown(undefined, 'kf-master-1130-dep');
      assert.equal(deploying.status, 409);
      assert.equal(deploying.body.reason, 'in-progress');
      await putDeployment(
        db,
        makeDeployment({ instance: 'kf-master-1128-gone', status: 'deleted', createdAt: new Date() }),
      );
      const deleted = await teardown(undefined, 'kf-master-1128-gone');
      assert.equal(deleted.status, 200);
      assert.equal(deleted.body.changed, false);
    });
  });

  describe('bodies, methods and the dry run', () => {
    const bad: Array<[string, string, unknown, number, string]> = [
      ['pause without a reason', '/api/versions/master/pause', {}, 400, 'reason'],
      ['pause without a body', '/api/versions/master/pause', undefined, 400, '(body)'],
      ['a misspelt field', '/api/versions/master/resume', { reasn: 'x' }, 400, 'reasn'],
      ['not JSON', '/api/drain', 'reason=x', 400, '(body)'],
      ['force as a string', `/api/deployments/${INSTANCE}/teardown`, { force: 'yes' }, 400, 'force'],
      ['a body over 16 KiB', '/api/drain', { reason: 'x'.repeat(17_000) }, 413, ''],
    ];
    for (const [name, path, body, status, field] of bad) {
      it(`${status} for ${name}${field ? `, naming ${field}` : ''}; nothing written`, async () => {
        const answer = await api('POST', path, body);
        assert.equal(answer.status, status, JSON.stringify(answer.body));
        if (field) assert.equal(answer.body.field, field);
        assert.equal((await versionRef(db, 'master').get()).exists, false);
        assert.equal((await drainRef(db).get()).exists, false);
      });
    }

    it('405 for a GET on a change, and for a POST on the dry run', async () => {
      assert.equal((await api('GET', '/api/versions/master/pause')).status, 405);
      assert.equal((await api('POST', '/api/plan', {})).status, 405);
    });

    it('GET /api/plan: per version and per instance, and it writes nothing', async () => {
      const before = (await db.listCollections()).map((c) => c.id).sort();
      const { status, body } = await api('GET', '/api/plan');
      assert.equal(status, 200);
      const versions = body.versions as Array<Record<string, unknown>>;
      assert.deepEqual(
        versions.map((v) => [v.version, v.kind, v.reason]),
        [
          ['master', 'deploy', 'new-commit'],
          ['v1', 'wait', 'no-commit'],
        ],
      );
      const instances = body.instances as Array<Record<string, unknown>>;
      assert.deepEqual(
        instances.map((i) => [i.instance, i.verdict, i.rule]),
        [[INSTANCE, 'keep', 'newest-ready']],
      );
      assert.deepEqual(
        (body.requests as Array<Record<string, unknown>>).map((r) => [r.action, r.status]),
        [['deploy', 'new']],
      );
      assert.deepEqual((await db.listCollections()).map((c) => c.id).sort(), before);
      assert.equal((await versionRef(db, 'master').get()).exists, false, 'no decision stored');
      assert.deepEqual(stack.queue.tasks, []);
    });
  });

  it('the history: events of a version newest first, paged by time', async () => {
    await api('POST', '/api/versions/master/pause', { reason: 'one' });
    await api('POST', '/api/versions/master/resume', { reason: 'two' });
    await api('POST', '/api/versions/master/redeploy', { reason: 'three' });
    const store = new FirestoreOperatorStore(db);
    const newest = await store.listVersionEvents('master', { limit: 2 });
    assert.deepEqual(
      newest.map((e) => e.reason),
      ['three', 'two'],
    );
    const older = await store.listVersionEvents('master', { limit: 2, before: newest[1]?.at as Date });
    assert.deepEqual(
      older.map((e) => e.reason),
      ['one'],
    );
    assert.deepEqual(await store.listVersionEvents('v1', { limit: 10 }), []);
  });
});

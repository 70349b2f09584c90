/**
 * githubWebhook over a real socket, served by the Functions Framework, writing to the Firestore
 * emulator: real push payloads from @octokit/webhooks-examples, re-pointed and signed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreIntakeStore } from '../../functions/adapters/firestore/intake-store.js';
import { WebhookVerifier } from '../../functions/adapters/github-payload.js';
import { buildApp } from '../../functions/app.js';
import { ConfigError, parseDeploymentsConfig } from '../../functions/config.js';
import { RecordPushError } from '../../functions/core/intake.js';
import { branchDocId } from '../../functions/core/names.js';
import type {
  DeployEvaluator,
  EvaluationTrigger,
  IntakeStore,
  RecordPushResult,
} from '../../functions/core/ports.js';
import type { PushEvent } from '../../functions/core/types.js';
import { createGithubWebhookHandler, MAX_WEBHOOK_BODY_BYTES } from '../../functions/github-webhook.js';
import { silentLogger } from '../../functions/log.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { buildPushPayload, fakeSha, type PushSpec, signDelivery } from '../../scripts/lib/push-payload.js';
import { TEST_PROJECT_ID, useEmulatorSuite } from '../support/firestore.js';

const SECRET = 'webhook-test-secret';
const REPO = 'kubeflow/manifests';
const SLASH_BRANCH = 'release/v1.2';
const UNICODE_BRANCH = 'feature/ünïcode-分支';

const CONFIG = parseDeploymentsConfig(
  `
project: test-project
zone: us-east1-c
namespace: auto-deploy
versions:
  - {name: master, repo: ${REPO}, branch: master, kfDefPath: kfdef/a.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: stacks, repo: ${REPO}, branch: master, kfDefPath: kfdef/b.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: release, repo: ${REPO}, branch: "${SLASH_BRANCH}", kfDefPath: kfdef/a.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: unicode, repo: ${REPO}, branch: "${UNICODE_BRANCH}", kfDefPath: kfdef/a.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
`,
  'test config',
);

class RecordingEvaluator implements DeployEvaluator {
  calls: Array<{ versions: string[]; trigger: EvaluationTrigger }> = [];
  async evaluate(versions: string[], trigger: EvaluationTrigger): Promise<void> {
    this.calls.push({ versions, trigger });
  }
}

describe('githubWebhook (Functions Framework + Firestore emulator)', () => {
  let db: Firestore;
  let store: FirestoreIntakeStore;
  let evaluator: RecordingEvaluator;
  let gateway: Gateway;
  let url: string;

  useEmulatorSuite((client) => {
    db = client;
    store = new FirestoreIntakeStore(db);
  });

  beforeEach(async () => {
    evaluator = new RecordingEvaluator();
    const handler = createGithubWebhookHandler({
      verifier: new WebhookVerifier([SECRET, 'previous-secret']),
      store,
      versions: CONFIG.versions,
      evaluator,
      clock: () => new Date(),
      logger: silentLogger,
    });
    gateway = await startGateway({ githubWebhook: handler });
    url = `${gateway.url}/githubWebhook`;
  });

  afterEach(async () => {
    await gateway.stop();
  });

  async function send(event: string, payload: unknown, deliveryId: string = randomUUID(), secret = SECRET) {
    const delivery = await signDelivery(event, payload, secret, deliveryId);
    const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const push = (spec: Partial<PushSpec>) => buildPushPayload({ repo: REPO, ref: 'master', ...spec });

  /**
   * Another webhook (its own gateway) on a store whose recordPush is `recordPush`, and a function that
   * sends it a signed push to `after` and answers the status; call `stop` when done.
   */
  async function webhookRecordingWith(
    recordPush: IntakeStore['recordPush'],
  ): Promise<{ sendTo: (after: string) => Promise<number>; stop: () => Promise<void> }> {
    const handler = createGithubWebhookHandler({
      verifier: new WebhookVerifier([SECRET]),
      store: { recordPush, syncVersions: async () => {}, getBranchHead: async () => null },
      versions: CONFIG.versions,
      evaluator,
      clock: () => new Date(),
      logger: silentLogger,
    });
    const other = await startGateway({ githubWebhook: handler });
    const sendTo = async (after: string) => {
      const delivery = await signDelivery('push', push({ after }), SECRET);
      const response = await fetch(`${other.url}/githubWebhook`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      return response.status;
    };
    return { sendTo, stop: () => other.stop() };
  }

  /** What the plan tasks the pushes handed over do first: clear their versions' pending-plan marks. */
  async function plansRan(): Promise<void> {
    const marks = await db.collection('pendingPlans').get();
    await Promise.all(marks.docs.map((mark) => mark.ref.delete()));
  }

  async function head(branch = 'master') {
    return (await db.collection('branches').doc(branchDocId(REPO, branch)).get()).data();
  }

  async function commitShas(branch = 'master'): Promise<string[]> {
    const snapshot = await db
      .collection('branches')
      .doc(branchDocId(REPO, branch))
      .collection('commits')
      .get();
    return snapshot.docs.map((doc) => doc.id).sort();
  }

  async function collections(): Promise<string[]> {
    return (await db.listCollections()).map((collection) => collection.id);
  }

  it('records every commit of a push, moves the head and asks for an evaluation', async () => {
    const shas = [fakeSha('a1'), fakeSha('a2'), fakeSha('a3')];
    const deliveryId = randomUUID();
    const response = await send('push', push({ before: fakeSha('a0'), commits: shas }), deliveryId);

    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'recorded');
    assert.deepEqual(response.body.versions, ['master', 'stacks']);
    assert.deepEqual(await commitShas(), [...shas].sort());
    const branch = await head();
    assert.equal(branch?.sha, shas[2]);
    assert.equal(branch?.deleted, false);
    assert.equal(branch?.source, 'webhook');
    assert.equal(branch?.deliveryId, deliveryId);
    const commit = (await db.doc(`branches/${branchDocId(REPO, 'master')}/commits/${shas[0]}`).get()).data();
    assert.equal(commit?.message, 'Commit 1 of 3');
    assert.equal(commit?.deliveryId, deliveryId);
    assert.equal(commit?.source, 'webhook');
    assert.equal(commit?.pusher, 'Codertocat');
    const version = (await db.doc('versions/master').get()).data();
    assert.equal(version?.branchHead?.sha, shas[2]);
    const claim = (await db.doc(`deliveries/${deliveryId}`).get()).data();
    assert.equal(claim?.status, 'recorded');
    // The recording set both versions' pending-plan marks; the hand-off queues their plan tasks.
    const marks = await Promise.all(['master', 'stacks'].map((v) => db.doc(`pendingPlans/${v}`).get()));
    assert.deepEqual(evaluator.calls, [
      {
        versions: ['master', 'stacks'],
        trigger: {
          kind: 'push',
          deliveryId,
          head: shas[2],
          marked: marks.map((mark) => ({ version: mark.id, markedAt: mark.get('markedAt').toDate() })),
        },
      },
    ]);
  });

  it('hands over nothing for a push whose versions have a plan task waiting (their marks are set)', async () => {
    const first = await send('push', push({ before: fakeSha('w0'), after: fakeSha('w1') }));
    assert.equal(first.status, 200);
    assert.equal(evaluator.calls.length, 1);
    // Nobody ran the plan task: the marks are still set, so the next push is covered by it.
    const second = await send('push', push({ before: fakeSha('w1'), after: fakeSha('w2') }));
    assert.equal(second.body.status, 'recorded');
    assert.equal((await head())?.sha, fakeSha('w2'));
    assert.equal(evaluator.calls.length, 1, 'the waiting task will read the newer head');
    // The task cleared one mark (it ran for master): the next push hands over master only.
    await db.doc('pendingPlans/master').delete();
    await send('push', push({ before: fakeSha('w2'), after: fakeSha('w3') }));
    assert.deepEqual(evaluator.calls[1]?.versions, ['master']);
    assert.deepEqual(
      evaluator.calls[1]?.trigger.marked?.map((mark) => mark.version),
      ['master'],
    );
  });

  it('records a redelivery once, even 20 copies at the same time', async () => {
    const deliveryId = randomUUID();
    const delivery = await signDelivery('push', push({ after: fakeSha('r1') }), SECRET, deliveryId);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as Record<string, unknown>,
        })),
      ),
    );
    assert.deepEqual(
      responses.map((response) => response.status),
      Array(20).fill(200),
    );
    assert.equal(responses.filter((response) => response.body.status === 'recorded').length, 1);
    assert.equal(responses.filter((response) => response.body.status === 'duplicate').length, 19);
    assert.equal(evaluator.calls.length, 1);
    assert.deepEqual(await commitShas(), [fakeSha('r1')]);

    const again = await send('push', push({ after: fakeSha('r1') }), deliveryId);
    assert.deepEqual(again, { status: 200, body: { status: 'duplicate', claim: 'recorded' } });
  });

  it('accepts the previous secret during a rotation', async () => {
    const response = await send('push', push({ after: fakeSha('rot') }), randomUUID(), 'previous-secret');
    assert.equal(response.status, 200);
    assert.equal((await head())?.sha, fakeSha('rot'));
  });

  it('rejects a wrong signature with 401 and writes nothing', async () => {
    const response = await send('push', push({ after: fakeSha('x') }), randomUUID(), 'wrong-secret');
    assert.equal(response.status, 401);
    assert.deepEqual(await collections(), []);
    assert.equal(evaluator.calls.length, 0);
  });

  it('rejects an unsigned delivery with 401 and writes nothing', async () => {
    const delivery = await signDelivery('push', push({ after: fakeSha('x') }), SECRET);
    delete delivery.headers['X-Hub-Signature-256'];
    const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
    assert.equal(response.status, 401);
    assert.deepEqual(await collections(), []);
  });

  it('rejects a signed body that was changed in transit with 401', async () => {
    const delivery = await signDelivery('push', push({ after: fakeSha('x') }), SECRET);
    const tampered = delivery.body.replace(fakeSha('x'), fakeSha('y'));
    const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: tampered });
    assert.equal(response.status, 401);
    assert.deepEqual(await collections(), []);
  });

  it('answers 400 to a signed body that is not JSON, and writes nothing', async () => {
    const delivery = await signDelivery('push', '{"ref": "refs/heads/master", oops', SECRET);
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...delivery.headers, 'Content-Type': 'text/plain' },
      body: delivery.body,
    });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /not JSON/);
    assert.deepEqual(await collections(), []);
  });

  it('answers 400 to a signed JSON body that is not a push event, naming the field', async () => {
    const response = await send('push', { ref: 'refs/heads/master', before: 'nope' });
    assert.equal(response.status, 400);
    assert.match(String(response.body.error), /before/);
    assert.deepEqual(await collections(), []);
  });

  it('answers 400 to a delivery id that is not a GUID (it would become a document path)', async () => {
    const response = await send('push', push({ after: fakeSha('id') }), '../versions/master');
    assert.equal(response.status, 400);
    assert.match(String(response.body.error), /X-GitHub-Delivery/);
    assert.deepEqual(await collections(), []);
  });

  it('answers 413 to a body over 25 MB', async () => {
    const body = Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 0x20);
    const delivery = await signDelivery('push', body.toString(), SECRET);
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...delivery.headers, 'Content-Type': 'application/octet-stream' },
      body,
    });
    assert.equal(response.status, 413);
    assert.deepEqual(await collections(), []);
  });

  it('answers 405 to other methods', async () => {
    const response = await fetch(url);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  it('answers ping with 200 and other events with 202, storing nothing', async () => {
    assert.equal((await send('ping', { zen: 'Keep it logically awesome.', hook_id: 1 })).status, 200);
    const issues = await send('issues', { action: 'opened' });
    assert.equal(issues.status, 202);
    assert.equal(issues.body.status, 'ignored');
    assert.deepEqual(await collections(), []);
  });

  it('ignores tag pushes and unfollowed branches with 202', async () => {
    const tag = await send('push', push({ ref: 'refs/tags/v1.0.0', after: fakeSha('tag') }));
    assert.deepEqual(tag, { status: 202, body: { status: 'ignored', reason: 'tag' } });
    const other = await send('push', push({ ref: 'some-feature', after: fakeSha('f') }));
    assert.deepEqual(other, { status: 202, body: { status: 'ignored', reason: 'unfollowed-branch' } });
    const otherRepo = await send('push', buildPushPayload({ repo: 'someone/else', ref: 'master' }));
    assert.equal(otherRepo.status, 202);
    assert.deepEqual(await collections(), []);
    assert.equal(evaluator.calls.length, 0);
  });

  it('matches the repository name case-insensitively', async () => {
    const response = await send('push', buildPushPayload({ repo: 'Kubeflow/Manifests', ref: 'master' }));
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.versions, ['master', 'stacks']);
  });

  it('never moves the head backwards for a late delivery', async () => {
    const [a, b, c] = [fakeSha('o1'), fakeSha('o2'), fakeSha('o3')];
    const t0 = new Date('2026-11-29T10:00:00Z');
    // GitHub pushed a (from c) then b (from a); the delivery of a arrives last.
    const later = await send(
      'push',
      push({ before: a, after: b, created: false, pushedAt: new Date(t0.getTime() + 60_000) }),
    );
    assert.equal(later.body.headOutcome, 'created');
    const late = await send('push', push({ before: c, after: a, created: false, pushedAt: t0 }));
    assert.equal(late.status, 200);
    assert.equal(late.body.headOutcome, 'stale');
    assert.equal((await head())?.sha, b);
    // The late delivery's commit is still recorded: it is part of the branch's history.
    assert.deepEqual(await commitShas(), [a, b].sort());
    assert.equal(evaluator.calls.length, 1, 'a stale delivery asks for no evaluation');
  });

  it('moves the head for a forced push, even back to an older commit', async () => {
    const [a, b] = [fakeSha('f1'), fakeSha('f2')];
    await send('push', push({ before: fakeSha('f0'), after: a, created: false }));
    await send('push', push({ before: a, after: b, created: false }));
    const forced = await send('push', push({ before: b, after: a, forced: true, created: false }));
    assert.equal(forced.body.headOutcome, 'advanced');
    const branch = await head();
    assert.equal(branch?.sha, a);
    assert.equal(branch?.forced, true);
  });

  it('records a branch deletion', async () => {
    const a = fakeSha('d1');
    await send('push', push({ before: fakeSha('d0'), after: a, created: false }));
    await plansRan();
    const deletion = await send('push', push({ before: a, deleted: true }));
    assert.equal(deletion.status, 200);
    const branch = await head();
    assert.equal(branch?.deleted, true);
    assert.equal(branch?.sha, a, 'a deleted head keeps the last commit it had');
    assert.equal((await db.doc('versions/master').get()).data()?.branchHead?.deleted, true);
    assert.equal(evaluator.calls.length, 2);
  });

  it('stores branches with slashes and unicode under readable ids', async () => {
    const slash = await send('push', push({ ref: SLASH_BRANCH, after: fakeSha('s') }));
    assert.deepEqual(slash.body.versions, ['release']);
    const unicode = await send('push', push({ ref: UNICODE_BRANCH, after: fakeSha('u') }));
    assert.deepEqual(unicode.body.versions, ['unicode']);

    const ids = (await db.collection('branches').get()).docs.map((doc) => doc.id).sort();
    assert.deepEqual(ids, ['kubeflow:manifests:feature%2Fünïcode-分支', 'kubeflow:manifests:release%2Fv1.2']);
    assert.equal((await head(SLASH_BRANCH))?.branch, SLASH_BRANCH);
    assert.equal((await head(UNICODE_BRANCH))?.sha, fakeSha('u'));
  });

  it('concurrent pushes to one branch: each recorded, the newest head recorded, one hand-off for all', async () => {
    const shas = Array.from({ length: 8 }, (_, i) => fakeSha(`run-${i}`));
    const answers = await Promise.all(
      shas.map((sha, i) =>
        send('push', push({ before: i === 0 ? fakeSha('run-base') : shas[i - 1], after: sha })),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => [answer.status, answer.body.status]),
      shas.map(() => [200, 'recorded']),
    );
    assert.equal((await head())?.sha, shas[7], 'the chain ends on its newest commit');
    // The first recording set the marks and handed over; the others found the task waiting (it plans
    // the head recorded when it runs, so it covers them all).
    assert.equal(evaluator.calls.length, 1);
    assert.ok((await db.doc('pendingPlans/master').get()).exists);
  });

  it('pushes of a branch waiting together are recorded in one transaction, in the order of their chain', async () => {
    const shaOf = (n: number) => fakeSha(`chain-${n}`);
    const pushedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const link = (n: number, deliveryId = `chain-${n}`): PushEvent => ({
      source: 'webhook',
      deliveryId,
      repo: REPO,
      ref: 'refs/heads/master',
      before: shaOf(n - 1),
      after: shaOf(n),
      created: false,
      deleted: false,
      forced: false,
      pusher: 'ada',
      // One second for all: GitHub's pushed_at cannot order them.
      pushedAt,
      commits: [
        {
          sha: shaOf(n),
          message: `commit ${n}`,
          author: { name: 'Ada', email: null, username: 'ada' },
          timestamp: pushedAt,
          url: `https://github.com/${REPO}/commit/${shaOf(n)}`,
          distinct: true,
        },
      ],
    });
    const runTransaction = db.runTransaction.bind(db);
    let transactions = 0;
    db.runTransaction = ((...args: Parameters<Firestore['runTransaction']>) => {
      transactions += 1;
      return runTransaction(...args);
    }) as Firestore['runTransaction'];
    try {
      const own = new FirestoreIntakeStore(db);
      const record = (event: PushEvent) => own.recordPush(event, 'master', ['master'], new Date());
      // 1 runs alone; the others arrive while it does, overtaking each other, 2 twice (a redelivery).
      const results = await Promise.all([1, 4, 2, 5, 3].map((n) => record(link(n))).concat(record(link(2))));
      assert.equal(transactions, 2, 'one transaction for 1, one for the five that waited');
      assert.deepEqual(
        results.map((result) => result.kind),
        ['recorded', 'recorded', 'recorded', 'recorded', 'recorded', 'duplicate'],
      );
      assert.equal((await head())?.sha, shaOf(5), 'the head is the end of the chain');
      const outcomes = results.map((result) => (result.kind === 'recorded' ? result.head.outcome : null));
      assert.deepEqual(outcomes.slice(1, 5), ['advanced', 'advanced', 'advanced', 'advanced']);
      assert.deepEqual((await commitShas()).sort(), [1, 2, 3, 4, 5].map(shaOf).sort());
      const claim = await db.collection('deliveries').doc('chain-2').get();
      assert.equal(claim.get('status'), 'recorded');
    } finally {
      db.runTransaction = runTransaction;
    }
  });

  it("hands over what the store's recording marked: those versions only, nothing when covered, nothing for a failed push", async () => {
    const moved = { outcome: 'advanced', isMoved: true, head: { sha: fakeSha('m') } };
    const markedAt = new Date();
    const results: Array<() => Promise<RecordPushResult>> = [
      async () =>
        ({
          kind: 'recorded',
          commitsRecorded: 1,
          head: moved,
          handOff: { head: fakeSha('m'), marked: [{ version: 'stacks', markedAt }] },
        }) as unknown as RecordPushResult,
      async () =>
        ({ kind: 'recorded', commitsRecorded: 1, head: moved, handOff: null }) as unknown as RecordPushResult,
      async () => {
        throw new RecordPushError(new Error('14 UNAVAILABLE: connection refused'));
      },
    ];
    const { sendTo, stop } = await webhookRecordingWith(() =>
      (results.shift() as () => Promise<RecordPushResult>)(),
    );
    try {
      assert.equal(await sendTo(fakeSha('m')), 200);
      assert.deepEqual(
        evaluator.calls.map((call) => [call.versions, call.trigger.head, call.trigger.marked]),
        [[['stacks'], fakeSha('m'), [{ version: 'stacks', markedAt }]]],
      );
      assert.equal(await sendTo(fakeSha('n')), 200);
      assert.equal(evaluator.calls.length, 1, 'covered: nothing handed over');
      assert.equal(await sendTo(fakeSha('down')), 503);
      assert.equal(evaluator.calls.length, 1, 'a push not recorded hands nothing over');
    } finally {
      await stop();
    }
  });

  it('answers 503 when Firestore is unavailable, so GitHub shows the delivery as failed', async () => {
    const { sendTo, stop } = await webhookRecordingWith(async () => {
      throw new Error('14 UNAVAILABLE: connection refused');
    });
    try {
      assert.equal(await sendTo(fakeSha('down')), 503);
      assert.equal(evaluator.calls.length, 0);
    } finally {
      await stop();
    }
  });

  it('answers GitHub in time when the deploy evaluation hangs (the push is recorded)', async () => {
    const hanging = createGithubWebhookHandler({
      verifier: new WebhookVerifier([SECRET]),
      store,
      versions: CONFIG.versions,
      evaluator: { evaluate: () => new Promise<void>(() => {}) },
      clock: () => new Date(),
      logger: silentLogger,
      evaluationBudgetMs: 50,
    });
    const other = await startGateway({ githubWebhook: hanging });
    try {
      const delivery = await signDelivery('push', push({ after: fakeSha('slow') }), SECRET);
      const response = await fetch(`${other.url}/githubWebhook`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { status: string }).status, 'recorded');
      assert.equal((await head())?.sha, fakeSha('slow'));
    } finally {
      await other.stop();
    }
  });

  it('refuses to start without a webhook secret', () => {
    assert.throws(
      () =>
        buildApp({
          configPath: 'test',
          deployments: CONFIG,
          projectId: TEST_PROJECT_ID,
          firestoreEmulatorHost: '127.0.0.1:1',
          webhookSecrets: [],
          tasks: { problem: 'not configured' },
          github: {
            apiUrl: 'https://api.github.com',
            token: null,
            isPollEnabled: false,
            isDeploymentsEnabled: false,
          },
          kube: { gkeCluster: null, env: {} },
          containerEmulator: null,
          readinessUrl: null,
          tickCommand: null,
          auth: { mode: 'off' },
        }).handler('githubWebhook'),
      (err: unknown) => err instanceof ConfigError && /GITHUB_WEBHOOK_SECRET/.test(err.message),
    );
  });
});

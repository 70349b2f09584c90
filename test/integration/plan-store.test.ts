/**
 * FirestorePlanStore against the Firestore emulator: the planner's snapshot (versions with their
 * operator switches and branch heads, live and recently deleted deployments, open requests), create-once
 * deploy requests under concurrency, enqueue marks, and decisions written only when they change (and
 * read back by the status reader).
 */
import assert from 'node:assert/strict';
import type { DocumentData, Firestore } from '@google-cloud/firestore';
import { requestFromDoc } from '../../functions/adapters/firestore/codec.js';
import { FirestorePlanStore } from '../../functions/adapters/firestore/plan-store.js';
import { branchRef, requestRef, versionRef } from '../../functions/adapters/firestore/refs.js';
import { FirestoreStatusReader } from '../../functions/adapters/firestore/status-reader.js';
import { parseDeploymentsConfig } from '../../functions/config.js';
import type {
  Deployment,
  DeploymentStatus,
  DeployRequest,
  DeployRequestStatus,
  VersionDecision,
} from '../../functions/core/types.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { launchedFields, makeDeployment, makeDeployRequest } from '../support/fixtures.js';
import { putDeployment, putRequest } from '../support/pipeline-fixtures.js';

const REPO = 'kubeflow/manifests';
const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const HOUR_MS = 3_600_000;

const CONFIG = parseDeploymentsConfig(
  `
project: kf-ci-test
zone: us-east1-d
namespace: auto-deploy-test
versions:
  - {name: master, repo: ${REPO}, branch: master, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: v1, repo: ${REPO}, branch: v1.0-branch, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: stale, repo: ${REPO}, branch: gone, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
`,
  'pipeline-store test config',
);

function deployment(instance: string, status: DeploymentStatus, createdAt: Date): Deployment {
  return makeDeployment({
    instance,
    ...launchedFields(instance, SHA_A, {
      project: 'kf-ci-test',
      namespace: 'auto-deploy-test',
      kfctlUrl: 'https://example.com/kfctl.tgz',
      kfDefPath: 'kfdef/k.yaml',
    }),
    requestId: `deploy-master-${instance}`,
    status,
    jobName: `auto-deploy-master-${instance}`,
    createdAt,
    deletedAt: status === 'deleted' ? createdAt : null,
  });
}

function request(
  id: string,
  status: DeployRequestStatus,
  overrides: Partial<DeployRequest> = {},
): DeployRequest {
  const at = new Date('2026-03-01T10:00:00Z');
  return makeDeployRequest({
    id,
    commit: SHA_A,
    notBefore: at,
    status,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  });
}

describe('FirestorePlanStore (Firestore emulator)', () => {
  let db: Firestore;
  let store: FirestorePlanStore;
  const getRequest = async (id: string) => requestFromDoc(await requestRef(db, id).get());

  useEmulatorSuite((client) => {
    db = client;
    store = new FirestorePlanStore(db);
  });

  describe('readSnapshot', () => {
    const now = new Date('2026-03-01T12:00:00Z');

    beforeEach(async () => {
      await versionRef(db, 'master').set({ name: 'master', paused: true, forceRedeploy: false });
      await versionRef(db, 'v1').set({ name: 'v1', paused: false, forceRedeploy: true });
      await branchRef(db, REPO, 'master').set({ repo: REPO, branch: 'master', sha: SHA_A, deleted: false });
      await branchRef(db, REPO, 'v1.0-branch').set({
        repo: REPO,
        branch: 'v1.0-branch',
        sha: SHA_B,
        deleted: true,
      });
      const hoursAgo = (hours: number) => new Date(now.getTime() - hours * HOUR_MS);
      await putDeployment(db, deployment('kf-master-0101-old', 'ready', hoursAgo(100)));
      await putDeployment(db, deployment('kf-master-0101-fai', 'failed', hoursAgo(80)));
      await putDeployment(db, deployment('kf-master-0101-lau', 'launching', hoursAgo(1)));
      await putDeployment(db, deployment('kf-master-0101-rec', 'deleted', hoursAgo(10)));
      await putDeployment(db, deployment('kf-master-0101-gon', 'deleted', hoursAgo(60)));
      for (const status of ['pending', 'enqueued', 'deferred', 'done', 'failed'] as const) {
        await putRequest(db, request(`deploy-master-${status}`, status));
      }
      await putRequest(
        db,
        request('teardown-kf-master-0101-fai-0', 'pending', {
          action: 'teardown',
          instance: 'kf-master-0101-fai',
        }),
      );
    });

    it('with headsAfter, reads the heads once it settled (a head written meanwhile is seen)', async () => {
      let release = () => {};
      const cleared = new Promise<void>((resolve) => {
        release = resolve;
      });
      const reading = store.readSnapshot(CONFIG.versions, now, { withLeases: false, headsAfter: cleared });
      await branchRef(db, REPO, 'master').update({ sha: SHA_B });
      release();
      const snapshot = await reading;
      assert.equal(snapshot.versions[0]?.head?.sha, SHA_B);
      assert.ok(snapshot.deployments.length > 0, 'the rest read as always');
    });

    it('returns each configured version with its switches and branch head, in config order', async () => {
      const snapshot = await store.readSnapshot(CONFIG.versions, now);
      assert.deepEqual(
        snapshot.versions.map((v) => ({ name: v.config.name, switches: v.switches, head: v.head })),
        [
          {
            name: 'master',
            switches: { paused: true, forceRedeploy: false },
            head: { sha: SHA_A, deleted: false },
          },
          {
            name: 'v1',
            switches: { paused: false, forceRedeploy: true },
            head: { sha: SHA_B, deleted: true },
          },
          // No versions/{v} document and no branch document: defaults, and no head.
          { name: 'stale', switches: { paused: false, forceRedeploy: false }, head: null },
        ],
      );
      assert.equal(snapshot.versions[0]?.config, CONFIG.versions[0]);
    });

    it('returns every live deployment and the deleted ones created in the last 48 h, each once', async () => {
      const snapshot = await store.readSnapshot(CONFIG.versions, now);
      const instances = snapshot.deployments.map((d) => d.instance).sort();
      assert.deepEqual(instances, [
        'kf-master-0101-fai',
        'kf-master-0101-lau',
        'kf-master-0101-old',
        'kf-master-0101-rec',
      ]);
      const recent = snapshot.deployments.find((d) => d.instance === 'kf-master-0101-rec');
      assert.equal(recent?.status, 'deleted');
      assert.ok(recent?.createdAt instanceof Date);
      assert.equal(recent?.createdAt.getTime(), now.getTime() - 10 * HOUR_MS);
      // Read back field for field, dates as Dates.
      assert.deepEqual(
        snapshot.deployments.find((d) => d.instance === 'kf-master-0101-lau'),
        deployment('kf-master-0101-lau', 'launching', new Date(now.getTime() - HOUR_MS)),
      );
    });

    it('reads a deployment whose status is none the pipeline knows (a console edit): it takes a slot', async () => {
      const typo = { ...deployment('kf-master-0101-typ', 'ready', new Date(now.getTime() - 100 * HOUR_MS)) };
      await putDeployment(db, { ...typo, status: 'Ready' as Deployment['status'] });
      const snapshot = await store.readSnapshot(CONFIG.versions, now);
      assert.equal(snapshot.deployments.find((d) => d.instance === 'kf-master-0101-typ')?.status, 'Ready');
    });

    it('returns the open requests (pending, enqueued, deferred) of both actions, not closed ones', async () => {
      const snapshot = await store.readSnapshot(CONFIG.versions, now);
      assert.deepEqual(snapshot.openRequests.map((r) => r.id).sort(), [
        'deploy-master-deferred',
        'deploy-master-enqueued',
        'deploy-master-pending',
        'teardown-kf-master-0101-fai-0',
      ]);
      assert.deepEqual(
        snapshot.openRequests.find((r) => r.id === 'deploy-master-deferred'),
        request('deploy-master-deferred', 'deferred'),
      );
    });
  });

  describe('createRequest', () => {
    it('creates a request once under 10 concurrent calls; every caller gets the stored one', async function () {
      this.timeout(60_000);
      const base = new Date('2026-03-01T10:00:00Z');
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.createRequest(
            request('deploy-master-aaaaaaaaaaaa-c', 'pending', {
              // Each caller's version differs, so the stored one tells who won.
              createdAt: new Date(base.getTime() + i * 1000),
              updatedAt: new Date(base.getTime() + i * 1000),
            }),
          ),
        ),
      );
      assert.equal(results.filter((r) => r.isNew).length, 1);
      const stored = await getRequest('deploy-master-aaaaaaaaaaaa-c');
      assert.ok(stored);
      const winner = results.find((r) => r.isNew)?.request;
      assert.deepEqual(stored, winner);
      for (const result of results) assert.deepEqual(result.request, stored);
      const all = await db.collection('deployRequests').get();
      assert.equal(all.size, 1);
    });

    it('a new manual request clears forceRedeploy once and stamps forceRedeployUsedAt', async function () {
      this.timeout(60_000);
      await versionRef(db, 'master').set({ name: 'master', paused: false, forceRedeploy: true });
      const createdAt = new Date('2026-03-01T10:07:00Z');
      const manual = request('deploy-master-aaaaaaaaaaaa-m202603011007', 'pending', {
        reason: 'manual',
        createdAt,
        updatedAt: createdAt,
      });
      const results = await Promise.all(Array.from({ length: 10 }, () => store.createRequest(manual)));
      assert.equal(results.filter((r) => r.isNew).length, 1);
      const version = (await versionRef(db, 'master').get()).data();
      assert.equal(version?.forceRedeploy, false);
      assert.equal(version?.forceRedeployUsedAt?.toDate().getTime(), createdAt.getTime());

      // An operator sets the switch again; the same request (same minute) exists: the switch stays set
      // for the next plan, which makes a new request.
      await versionRef(db, 'master').update({ forceRedeploy: true });
      const again = await store.createRequest(manual);
      assert.equal(again.isNew, false);
      assert.equal((await versionRef(db, 'master').get()).data()?.forceRedeploy, true);
    });

    it('a non-manual request leaves the switches alone', async () => {
      await versionRef(db, 'master').set({ name: 'master', paused: false, forceRedeploy: true });
      const result = await store.createRequest(request('deploy-master-aaaaaaaaaaaa-c', 'pending'));
      assert.equal(result.isNew, true);
      assert.equal((await versionRef(db, 'master').get()).data()?.forceRedeploy, true);
    });
  });

  describe('markEnqueued', () => {
    it('records the task of an open request, and never goes back to an older enqueue', async () => {
      const now = new Date('2026-03-01T11:00:00Z');
      await putRequest(db, request('r1', 'pending'));
      await store.markEnqueued('r1', { expectedCount: 2, taskName: 'task-2', now });
      let stored = await getRequest('r1');
      assert.deepEqual(
        { status: stored?.status, enqueueCount: stored?.enqueueCount, taskName: stored?.taskName },
        { status: 'enqueued', enqueueCount: 2, taskName: 'task-2' },
      );
      await store.markEnqueued('r1', { expectedCount: 1, taskName: 'task-1', now });
      stored = await getRequest('r1');
      assert.equal(stored?.taskName, 'task-2');

      await putRequest(db, request('r2', 'done'));
      await store.markEnqueued('r2', { expectedCount: 1, taskName: 'task-1', now });
      assert.equal((await getRequest('r2'))?.status, 'done');
    });
  });

  describe('writeDecisions', () => {
    const deploy: VersionDecision = {
      kind: 'deploy',
      version: 'master',
      commit: SHA_A,
      reason: 'new-commit',
      notBefore: new Date('2026-03-01T10:20:00Z'),
      requestId: 'deploy-master-aaaaaaaaaaaa-c',
    };
    const wait: VersionDecision = {
      kind: 'wait',
      version: 'v1',
      reason: 'rate-limited',
      until: new Date('2026-03-01T10:40:00Z'),
      commit: SHA_B,
    };

    async function versionDoc(name: string): Promise<{ data: DocumentData | undefined; updateMs: number }> {
      const snapshot = await versionRef(db, name).get();
      return { data: snapshot.data(), updateMs: snapshot.updateTime?.toMillis() ?? -1 };
    }

    it('stores each decision with its text and time, and rewrites only those that changed', async () => {
      await versionRef(db, 'v1').set({ name: 'v1', paused: true, forceRedeploy: false });
      const t1 = new Date('2026-03-01T10:00:00Z');
      await store.writeDecisions(
        [
          { decision: deploy, text: 'deploy aaaaaaa at 10:20 UTC (rate-limited until then)' },
          { decision: wait, text: 'rate-limited until 10:40 UTC' },
        ],
        t1,
      );
      const master1 = await versionDoc('master');
      const v1First = await versionDoc('v1');
      assert.deepEqual(master1.data?.decision, {
        kind: 'deploy',
        reason: 'new-commit',
        commit: SHA_A,
        notBefore: master1.data?.decision.notBefore,
        requestId: 'deploy-master-aaaaaaaaaaaa-c',
        text: 'deploy aaaaaaa at 10:20 UTC (rate-limited until then)',
      });
      assert.equal(master1.data?.decision.notBefore.toDate().getTime(), deploy.notBefore.getTime());
      assert.equal(master1.data?.decidedAt.toDate().getTime(), t1.getTime());
      assert.equal(v1First.data?.decision.reason, 'rate-limited');
      assert.equal(v1First.data?.decision.until.toDate().getTime(), wait.until?.getTime());
      assert.equal(v1First.data?.decision.active, null);
      // Operator fields are kept (merge).
      assert.equal(v1First.data?.paused, true);

      // The same decisions again: nothing is written.
      await store.writeDecisions(
        [
          {
            decision: { ...deploy, notBefore: new Date(deploy.notBefore) },
            text: master1.data?.decision.text,
          },
          { decision: wait, text: 'rate-limited until 10:40 UTC' },
        ],
        new Date('2026-03-01T10:05:00Z'),
      );
      const master2 = await versionDoc('master');
      const v1Second = await versionDoc('v1');
      assert.equal(master2.updateMs, master1.updateMs);
      assert.equal(v1Second.updateMs, v1First.updateMs);
      assert.equal(master2.data?.decidedAt.toDate().getTime(), t1.getTime());

      // One changes: only that one is written.
      const t3 = new Date('2026-03-01T10:10:00Z');
      await store.writeDecisions(
        [
          { decision: deploy, text: master1.data?.decision.text },
          { decision: { kind: 'wait', version: 'v1', reason: 'paused' }, text: 'paused' },
        ],
        t3,
      );
      const master3 = await versionDoc('master');
      const v1Third = await versionDoc('v1');
      assert.equal(master3.updateMs, master1.updateMs);
      assert.notEqual(v1Third.updateMs, v1First.updateMs);
      assert.deepEqual(v1Third.data?.decision, {
        kind: 'wait',
        reason: 'paused',
        commit: null,
        until: null,
        active: null,
        text: 'paused',
      });
      assert.equal(v1Third.data?.decidedAt.toDate().getTime(), t3.getTime());

      // And they read back as decisions.
      const views = await new FirestoreStatusReader(db, CONFIG.versions, () => t3).listVersions();
      const read = new Map(
        views.map((v) => [v.name, { decision: v.decision, decidedAt: v.decidedAt, paused: v.paused }]),
      );
      assert.deepEqual(read.get('master'), { decision: deploy, decidedAt: t1, paused: false });
      assert.deepEqual(read.get('v1'), {
        decision: { kind: 'wait', version: 'v1', reason: 'paused' },
        decidedAt: t3,
        paused: true,
      });
      assert.deepEqual(read.get('stale'), { decision: null, decidedAt: null, paused: false });
    });

    it('writes a launched decision without comparing (a launch is new), next to compared ones', async () => {
      const launched: VersionDecision = { ...deploy, launched: true };
      const t1 = new Date('2026-03-01T10:00:00Z');
      const decisions = [
        { decision: launched, text: 'deploy aaaaaaa launched (new commit)' },
        { decision: wait, text: 'rate-limited until 10:40 UTC' },
      ];
      await store.writeDecisions(decisions, t1);
      const [master1, v1First] = [await versionDoc('master'), await versionDoc('v1')];
      assert.equal(master1.data?.decision.launched, true);
      const t2 = new Date('2026-03-01T10:05:00Z');
      await store.writeDecisions(decisions, t2);
      const [master2, v1Second] = [await versionDoc('master'), await versionDoc('v1')];
      assert.notEqual(master2.updateMs, master1.updateMs, 'the launched decision is written again');
      assert.equal(master2.data?.decidedAt.toDate().getTime(), t2.getTime());
      assert.equal(v1Second.updateMs, v1First.updateMs, 'the unchanged wait is not');
    });
  });
});

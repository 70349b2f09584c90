/**
 * The timelines' and the history page's reads (FirestoreStatusReader.readTimeline, readVersionHistory)
 * against the Firestore emulator, and the history page served over HTTP from them.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { leaseDoc } from '../../functions/adapters/firestore/lease-codec.js';
import { branchRef, leaseRef } from '../../functions/adapters/firestore/refs.js';
import { FirestoreStatusReader } from '../../functions/adapters/firestore/status-reader.js';
import { parseDeploymentsConfig } from '../../functions/config.js';
import type { Lease } from '../../functions/core/leases.js';
import type { Deployment, DeploymentStatus } from '../../functions/core/types.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment, makeDeployRequest, makeLease } from '../support/fixtures.js';
import { putDeployment, putRequest } from '../support/pipeline-fixtures.js';
import { readOnlyStatusHandler } from '../support/status-handler.js';

const REPO = 'kubeflow/manifests';
const NOW = new Date('2026-11-30T12:00:00Z');
const HOUR_MS = 3_600_000;
const SINCE = new Date(NOW.getTime() - 48 * HOUR_MS);

const CONFIG = parseDeploymentsConfig(
  `
project: kf-ci-test
zone: us-east1-d
namespace: auto-deploy-test
versions:
  - {name: master, repo: ${REPO}, branch: master, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: stacks, repo: ${REPO}, branch: master, kfDefPath: kfdef/s.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
  - {name: v1, repo: ${REPO}, branch: v1.0-branch, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
`,
  'history reader test config',
);

function hoursAgo(hours: number): Date {
  return new Date(NOW.getTime() - hours * HOUR_MS);
}

function sha(n: number): string {
  return n.toString(16).padStart(40, '0');
}

function deployment(
  instance: string,
  version: string,
  launchedHoursAgo: number,
  status: DeploymentStatus = 'ready',
): Deployment {
  return makeDeployment({
    instance,
    version,
    branch: version === 'v1' ? 'v1.0-branch' : 'master',
    commit: sha(1),
    requestId: `deploy-${instance}`,
    status,
    createdAt: hoursAgo(launchedHoursAgo),
    deletedAt: status === 'deleted' ? hoursAgo(launchedHoursAgo - 1) : null,
  });
}

async function putLease(db: Firestore, lease: Lease): Promise<void> {
  await leaseRef(db, lease.leaseId).set(leaseDoc(lease));
}

async function putCommit(
  db: Firestore,
  branch: string,
  commit: string,
  recorded: Date,
  isHeadOfPush: boolean,
) {
  await branchRef(db, REPO, branch)
    .collection('commits')
    .doc(commit)
    .set({
      sha: commit,
      message: `commit ${commit.slice(-2)}`,
      author: { name: 'Jane Doe', email: null, username: 'jane' },
      timestamp: recorded,
      url: null,
      pusher: 'jane',
      isHeadOfPush,
      recordedAt: recorded,
    });
}

describe('history and timeline reads (Firestore emulator)', function () {
  this.timeout(30_000);
  let db: Firestore;
  let reader: FirestoreStatusReader;

  useEmulatorSuite((client) => {
    db = client;
  });

  beforeEach(async () => {
    reader = new FirestoreStatusReader(db, CONFIG.versions, () => NOW);
  });

  describe('readVersionHistory', () => {
    beforeEach(async () => {
      // 25 deployments of master, one launched each hour; 3 of v1 in between.
      for (let i = 0; i < 25; i++) {
        await putDeployment(db, deployment(`kf-master-${String(i).padStart(3, '0')}`, 'master', 100 - i));
      }
      for (let i = 0; i < 3; i++) await putDeployment(db, deployment(`kf-v1-${i}`, 'v1', 90 - i));
    });

    it('reads 20 of a version, newest first, then the rest after the last of them', async () => {
      const first = await reader.readVersionHistory({ version: 'master', after: null, limit: 20 });
      assert.ok(first);
      assert.equal(first.deployments.length, 20);
      assert.equal(first.deployments[0]?.instance, 'kf-master-024');
      assert.equal(first.deployments[19]?.instance, 'kf-master-005');
      assert.equal(first.hasMore, true);
      assert.ok(first.deployments.every((d) => d.version === 'master'));

      const second = await reader.readVersionHistory({
        version: 'master',
        after: 'kf-master-005',
        limit: 20,
      });
      assert.deepEqual(
        second?.deployments.map((d) => d.instance),
        ['kf-master-004', 'kf-master-003', 'kf-master-002', 'kf-master-001', 'kf-master-000'],
      );
      assert.equal(second?.hasMore, false);
    });

    it('answers null for a cursor that is no deployment of the version', async () => {
      assert.equal(await reader.readVersionHistory({ version: 'master', after: 'kf-nope', limit: 20 }), null);
      assert.equal(await reader.readVersionHistory({ version: 'master', after: 'kf-v1-0', limit: 20 }), null);
    });

    it('reads the requests, the commit and the leases of the deployments on the page', async () => {
      await putRequest(db, makeDeployRequest({ id: 'deploy-kf-master-024', createdAt: hoursAgo(77) }));
      await putRequest(
        db,
        makeDeployRequest({
          id: 'teardown-kf-master-023-1',
          action: 'teardown',
          instance: 'kf-master-023',
          reason: 'collected',
          createdAt: hoursAgo(5),
        }),
      );
      await putRequest(db, makeDeployRequest({ id: 'deploy-kf-master-000', createdAt: hoursAgo(101) }));
      await putCommit(db, 'master', sha(1), hoursAgo(101), true);
      await putLease(
        db,
        makeLease({ leaseId: 'lease-a', instance: 'kf-master-024', createdAt: hoursAgo(3) }),
      );
      await putLease(
        db,
        makeLease({ leaseId: 'lease-b', instance: 'kf-master-000', createdAt: hoursAgo(3) }),
      );

      const page = await reader.readVersionHistory({ version: 'master', after: null, limit: 20 });
      assert.deepEqual(page?.requests.map((r) => r.id).sort(), [
        'deploy-kf-master-024',
        'teardown-kf-master-023-1',
      ]);
      assert.deepEqual(
        page?.commits.map((c) => [c.sha, c.message, c.author?.username]),
        [[sha(1), 'commit 01', 'jane']],
      );
      assert.deepEqual(
        page?.leases.map((l) => l.leaseId),
        ['lease-a'],
      );
    });
  });

  describe('readTimeline', () => {
    it('reads the deployments deleted since, whenever launched', async () => {
      await putDeployment(db, {
        ...deployment('kf-old-deleted-recently', 'master', 80, 'deleted'),
        deletedAt: hoursAgo(30),
      });
      await putDeployment(db, {
        ...deployment('kf-deleted-long-ago', 'master', 90, 'deleted'),
        deletedAt: hoursAgo(60),
      });
      await putDeployment(db, deployment('kf-alive', 'master', 5));
      const view = await reader.readTimeline(SINCE);
      assert.deepEqual(
        view.deletedDeployments.map((d) => d.instance),
        ['kf-old-deleted-recently'],
      );
    });

    it("reads the leases closed since (the live ones are the page's own read)", async () => {
      await putLease(db, makeLease({ leaseId: 'active', instance: 'kf-a', createdAt: hoursAgo(70) }));
      await putLease(
        db,
        makeLease({
          leaseId: 'closed-recently',
          instance: 'kf-a',
          createdAt: hoursAgo(50),
          status: 'released',
          closedAt: hoursAgo(40),
        }),
      );
      await putLease(
        db,
        makeLease({
          leaseId: 'closed-long-ago',
          instance: 'kf-a',
          createdAt: hoursAgo(70),
          status: 'expired',
          closedAt: hoursAgo(60),
        }),
      );
      const view = await reader.readTimeline(SINCE);
      assert.deepEqual(
        view.leases.map((l) => l.leaseId),
        ['closed-recently'],
      );
    });

    it("reads the heads of the pushes recorded since on each version's branch, oldest first", async () => {
      await putCommit(db, 'master', sha(2), hoursAgo(10), true);
      await putCommit(db, 'master', sha(3), hoursAgo(10), false);
      await putCommit(db, 'master', sha(4), hoursAgo(2), true);
      await putCommit(db, 'master', sha(5), hoursAgo(50), true);
      await putCommit(db, 'v1.0-branch', sha(6), hoursAgo(1), true);
      const view = await reader.readTimeline(SINCE);
      assert.deepEqual(
        view.pushes.map((p) => [p.version, p.sha.slice(-1), p.author]),
        [
          ['master', '2', 'jane'],
          ['stacks', '2', 'jane'],
          ['master', '4', 'jane'],
          ['stacks', '4', 'jane'],
          ['v1', '6', 'jane'],
        ],
      );
    });
  });

  describe('GET /versions/<name> over HTTP', () => {
    let gateway: Gateway;
    let url: string;

    beforeEach(async () => {
      gateway = await startGateway({
        deploymentStatus: readOnlyStatusHandler(reader, {
          now: NOW,
          project: CONFIG.project,
          zone: CONFIG.zone,
          versions: ['master'],
        }),
      });
      url = `${gateway.url}/deploymentStatus`;
      await putDeployment(db, {
        ...deployment('kf-master-1130-abc', 'master', 3),
        transitions: [
          { status: 'launching', at: hoursAgo(3) },
          { status: 'deploying', at: hoursAgo(2.9) },
          { status: 'ready', at: hoursAgo(2) },
        ],
      });
    });

    afterEach(() => gateway.stop());

    it('serves the history page of a version with its deployments and their state changes', async () => {
      const res = await fetch(`${url}/versions/master`);
      const page = await res.text();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);
      assert.match(page, /<h1>History of master<\/h1>/);
      assert.match(page, /<article id="deployment-kf-master-1130-abc"/);
      assert.deepEqual(
        [...page.matchAll(/<tr data-state="([a-z]+)">/g)].map((m) => m[1]),
        ['launching', 'deploying', 'ready'],
      );
    });

    const notFound: Array<[string, RegExp]> = [
      ['/versions/nope', /No version &#39;nope&#39; is configured \(versions: master, stacks, v1\)/],
      ['/versions/master?after=kf-missing', /No deployment &#39;kf-missing&#39; of master/],
      ['/versions/master?after=..%2Fx', /No such page of the history/],
    ];
    for (const [path, message] of notFound) {
      it(`answers 404 with a page for ${path}`, async () => {
        const res = await fetch(`${url}${path}`);
        assert.equal(res.status, 404);
        assert.match(await res.text(), message);
      });
    }

    it('serves the status page with a timeline of the version', async () => {
      const page = await (await fetch(`${url}/?refresh=0`)).text();
      assert.match(page, /<g class="bar" data-instance="kf-master-1130-abc"/);
      assert.doesNotMatch(page, /http-equiv="refresh"/);
      assert.match(page, /<a class="history" href="versions\/master\?refresh=0">/);
    });
  });
});

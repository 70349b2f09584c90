/**
 * The tick's health record on the Firestore emulator: FirestoreTickHealthStore writes `health/tick`
 * (one document, replaced by each tick), and the status function reads it back (FirestoreStatusReader)
 * into the page's Pipeline line and `api/health`, served over HTTP.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreTickHealthStore } from '../../functions/adapters/firestore/health-store.js';
import { FirestoreStatusReader } from '../../functions/adapters/firestore/status-reader.js';
import { parseDeploymentsConfig } from '../../functions/config.js';
import type { TickHealth } from '../../functions/core/tick-health.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { readOnlyStatusHandler } from '../support/status-handler.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const CONFIG = parseDeploymentsConfig(
  `
project: kf-ci-test
zone: us-east1-d
namespace: auto-deploy-test
versions:
  - {name: master, repo: kubeflow/manifests, branch: master, kfDefPath: kfdef/k.yaml, kfctlUrl: "https://example.com/kfctl.tgz"}
`,
  'tick health test config',
);

const FAILED: TickHealth = {
  ranAt: new Date('2026-11-30T11:57:00Z'),
  ok: false,
  problems: [
    {
      step: 'poll',
      severity: 'error',
      message: 'GitHub could not tell about kubeflow/manifests@master (502); the recorded heads are kept',
    },
    {
      step: 'poll',
      severity: 'warning',
      message: 'recorded heads of 1 branch that no webhook delivery had recorded',
    },
  ],
};

describe('tick health in Firestore (health/tick)', () => {
  let db: Firestore;
  let store: FirestoreTickHealthStore;

  useEmulatorSuite((client) => {
    db = client;
    store = new FirestoreTickHealthStore(db);
  });

  it('reads null before the first tick', async () => {
    assert.equal(await store.readTickHealth(), null);
    assert.equal(await new FirestoreStatusReader(db, CONFIG.versions, () => NOW).readTickHealth(), null);
  });

  it('writes one document, readable in the console, that the status reader reads back', async () => {
    await store.writeTickHealth(FAILED);
    const docs = (await db.collection('health').get()).docs;
    assert.deepEqual(
      docs.map((doc) => doc.id),
      ['tick'],
    );
    const raw = docs[0]?.data();
    assert.equal(raw?.ok, false);
    assert.deepEqual(raw?.problems, FAILED.problems);
    assert.deepEqual(
      await new FirestoreStatusReader(db, CONFIG.versions, () => NOW).readTickHealth(),
      FAILED,
    );
  });

  it('each tick replaces the record: problems that cleared are gone', async () => {
    await store.writeTickHealth(FAILED);
    const cleared: TickHealth = { ranAt: new Date('2026-11-30T12:02:00Z'), ok: true, problems: [] };
    await store.writeTickHealth(cleared);
    assert.deepEqual(await store.readTickHealth(), cleared);
  });

  it('reads a record edited by hand as well as it can, never throwing', async () => {
    await db.doc('health/tick').set({
      ranAt: FAILED.ranAt,
      ok: 'yes',
      problems: [{ step: 'plan', message: 'queued nothing' }, 'not a problem', { step: 3 }],
    });
    assert.deepEqual(await store.readTickHealth(), {
      ranAt: FAILED.ranAt,
      ok: false,
      problems: [{ step: 'plan', severity: 'error', message: 'queued nothing' }],
    });
    await db.doc('health/tick').set({ ok: true });
    assert.equal(await store.readTickHealth(), null, 'no ranAt: no tick to show');
  });

  describe('served by deploymentStatus', () => {
    let gateway: Gateway;

    beforeEach(async () => {
      gateway = await startGateway({
        deploymentStatus: readOnlyStatusHandler(new FirestoreStatusReader(db, CONFIG.versions, () => NOW), {
          now: NOW,
          project: CONFIG.project,
          zone: CONFIG.zone,
          versions: ['master'],
        }),
      });
    });

    afterEach(async () => {
      await gateway.stop();
    });

    it('the page and api/health show what the last tick recorded', async () => {
      await store.writeTickHealth(FAILED);
      const health = (await (await fetch(`${gateway.url}/deploymentStatus/api/health`)).json()) as Record<
        string,
        unknown
      >;
      assert.equal(health.state, 'failing');
      assert.equal(health.minutesSinceLastTick, 3);
      assert.deepEqual((health.lastTick as { problems: unknown }).problems, FAILED.problems);

      const page = await (await fetch(`${gateway.url}/deploymentStatus/`)).text();
      assert.match(page, /<div class="pipeline pipeline-failing" id="pipeline" data-state="failing">/);
      assert.match(page, /GitHub could not tell about kubeflow\/manifests@master \(502\)/);
      assert.match(page, /<li class="warning" data-step="poll">/);
    });
  });
});

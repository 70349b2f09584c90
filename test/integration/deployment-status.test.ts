import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Lease } from '../../functions/core/leases.js';
import { COPY_SCRIPT } from '../../functions/core/page-shell.js';
import type { StatusReader } from '../../functions/core/ports.js';
import type { TickHealth } from '../../functions/core/tick-health.js';
import type { Deployment, VersionView } from '../../functions/core/types.js';
import { createDeploymentStatusHandler, matchStatusRoute } from '../../functions/deployment-status.js';
import { createLogger } from '../../functions/log.js';
import {
  KFCTL_URL,
  launchedFields,
  makeDeployment,
  makeLease,
  makeVersionView,
  readyTimes,
} from '../support/fixtures.js';
import { MemoryLeaseStore, MemoryState } from '../support/memory-stores.js';
import { EMPTY_HISTORY_READS } from '../support/status-reads.js';

const NOW = new Date('2024-03-10T12:00:00Z');
const SHA_1 = '1111111111111111111111111111111111111111';
const SHA_2 = '2222222222222222222222222222222222222222';
const EVIL = '<script>alert("x")</script>';

function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * 60_000);
}

function deployment(instance: string, overrides: Partial<Deployment> = {}): Deployment {
  return makeDeployment({
    instance,
    ...launchedFields(instance, SHA_1, { project: 'kf-ci', namespace: 'kubeflow-ci' }),
    requestId: `deploy-${instance}`,
    jobName: `auto-deploy-${instance}`,
    ...readyTimes(minutesAgo(60), minutesAgo(30)),
    ...overrides,
  });
}

const VERSIONS: VersionView[] = [
  makeVersionView({
    head: { sha: SHA_2, deleted: false, updatedAt: minutesAgo(5) },
    decision: {
      kind: 'deploy',
      version: 'master',
      commit: SHA_2,
      reason: 'new-commit',
      notBefore: minutesAgo(-10),
    },
    decidedAt: minutesAgo(1),
  }),
  makeVersionView({
    name: 'v1',
    branch: `v1.0-branch${EVIL}`,
    paused: true,
    decision: { kind: 'wait', version: 'v1', reason: 'paused' },
    decidedAt: minutesAgo(1),
  }),
];

// Deliberately not newest first: the handler orders them.
const DEPLOYMENTS: Deployment[] = [
  deployment('kf-master-0310-aaa', { createdAt: minutesAgo(400) }),
  deployment('kf-master-0310-ccc', {
    status: 'deploying',
    commit: SHA_2,
    createdAt: minutesAgo(3),
    readyAt: null,
  }),
  deployment('kf-master-0310-bbb', { createdAt: minutesAgo(100), commit: SHA_2 }),
  deployment('kf-v1-0310-ddd', { version: 'v1', status: 'failed', error: `kfctl apply failed: ${EVIL}` }),
];

class InMemoryStatusReader implements StatusReader {
  failing = false;
  calls: string[] = [];
  constructor(
    private readonly versions: VersionView[],
    /** What the store returns, in the store's order. */
    public deployments: Deployment[],
  ) {}
  async listVersions(): Promise<VersionView[]> {
    this.calls.push('listVersions');
    if (this.failing) throw new Error('firestore unavailable');
    return this.versions;
  }
  async listDeployments(): Promise<Deployment[]> {
    this.calls.push('listDeployments');
    if (this.failing) throw new Error('firestore unavailable');
    return this.deployments;
  }
  leases: Lease[] = [];
  async listLeases(): Promise<Lease[]> {
    this.calls.push('listLeases');
    if (this.failing) throw new Error('firestore unavailable');
    return this.leases;
  }
  readTimeline = EMPTY_HISTORY_READS.readTimeline;
  readVersionHistory = EMPTY_HISTORY_READS.readVersionHistory;
  health: TickHealth | null = null;
  async readTickHealth(): Promise<TickHealth | null> {
    this.calls.push('readTickHealth');
    if (this.failing) throw new Error('firestore unavailable');
    return this.health;
  }
}

/** A tick two minutes ago whose poll GitHub refused (hostile text in the error, as GitHub could send). */
const FAILED_TICK: TickHealth = {
  ranAt: minutesAgo(2),
  ok: false,
  problems: [
    {
      step: 'poll',
      severity: 'error',
      message: `GitHub could not tell about kubeflow/manifests@master (403 ${EVIL}); the recorded heads are kept`,
    },
    {
      step: 'plan',
      severity: 'error',
      message: 'could not queue 1 request; they stay pending and the next tick retries',
    },
  ],
};

let registrations = 0;

describe('deploymentStatus over HTTP (functions-framework)', () => {
  let server: Server;
  let base: string;
  let reader: InMemoryStatusReader;
  let logLines: Record<string, unknown>[];

  beforeEach(async () => {
    reader = new InMemoryStatusReader(VERSIONS, DEPLOYMENTS);
    logLines = [];
    const handler = createDeploymentStatusHandler({
      reader,
      clock: () => NOW,
      logger: createLogger({}, (line) => logLines.push(JSON.parse(line))),
      project: 'kf-ci',
      zone: 'us-east1-d',
      leases: {
        store: new MemoryLeaseStore(new MemoryState()),
        versions: ['master', 'v1'],
        clock: () => NOW,
        randomHex: () => '0123456789abcdef',
      },
    });
    // The framework's registry is global: one name per test.
    const name = `deploymentStatusTest${++registrations}`;
    http(name, handler);
    server = getTestServer(name);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  });

  async function getJson(path: string, init?: RequestInit): Promise<{ res: Response; body: unknown }> {
    const res = await fetch(`${base}${path}`, init);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return { res, body: await res.json() };
  }

  describe('GET / (the page)', () => {
    for (const path of ['/', '/?refresh=1']) {
      it(`serves the HTML page at ${path}`, async () => {
        const res = await fetch(`${base}${path}`);
        const page = await res.text();

        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        assert.match(page, /<meta name="viewport"/);
        assert.match(page, /<section id="version-master">/);
        assert.match(page, /<section id="version-v1">/);
        assert.match(page, /deploy 2222222 at 12:10 UTC/);
        assert.match(page, /tone-paused">paused/);
      });
    }

    it('lists deployments newest first and escapes hostile branch names and errors', async () => {
      const page = await (await fetch(`${base}/`)).text();

      // In the table (the timeline above it draws the bars oldest first).
      const table = page.slice(page.indexOf('<table>'));
      const order = ['kf-master-0310-ccc', 'kf-master-0310-bbb', 'kf-master-0310-aaa'].map((i) =>
        table.indexOf(i),
      );
      assert.ok(order.every((i) => i > 0));
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
      );
      // The one script is the copy button's constant (core/page-shell.ts); nothing from the data.
      assert.doesNotMatch(page.replace(`<script>${COPY_SCRIPT}</script>`, ''), /<script/);
      assert.ok(page.includes('v1.0-branch&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
      assert.ok(page.includes('kfctl apply failed: &lt;script&gt;'));
      assert.ok(page.includes('get-credentials --zone=us-east1-d kf-master-0310-aaa</code>'));
    });

    it('answers 503 with an HTML page and logs the error when the store cannot be read', async () => {
      reader.failing = true;
      const res = await fetch(`${base}/`);
      const page = await res.text();

      assert.equal(res.status, 503);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.match(page, /could not be read/);
      assert.doesNotMatch(page, /firestore unavailable/);
      const errors = logLines.filter((line) => line.severity === 'ERROR');
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.error, 'firestore unavailable');
      assert.equal(errors[0]?.route, 'page');
    });

    it('shows the pipeline line at the top: the last tick and its problems, escaped', async () => {
      reader.health = FAILED_TICK;
      const page = await (await fetch(`${base}/`)).text();

      const banner = page.slice(
        page.indexOf('<div class="pipeline'),
        page.indexOf('</div>', page.indexOf('<div class="pipeline')),
      );
      assert.ok(
        page.indexOf('<div class="pipeline') < page.indexOf('<main>'),
        'the banner is above the versions',
      );
      assert.match(banner, /data-state="failing"/);
      assert.match(banner, /tone-bad">2 problems</);
      assert.match(
        banner,
        /Last tick <time datetime="2024-03-10T11:58:00.000Z"[^>]*>11:58 UTC \(2 min ago\)<\/time>/,
      );
      assert.match(
        banner,
        /<code>poll<\/code>: GitHub could not tell about kubeflow\/manifests@master \(403 &lt;script&gt;/,
      );
      assert.match(banner, /<code>plan<\/code>: could not queue 1 request/);
      assert.match(page, /<code>api\/health<\/code>/, 'the footer lists the JSON route');
    });

    it('says when no tick was recorded, and how to run one', async () => {
      const page = await (await fetch(`${base}/`)).text();
      assert.match(page, /data-state="unknown"/);
      assert.match(
        page,
        /<strong>Pipeline<\/strong> <span class="status tone-gone">no tick recorded yet<\/span>/,
      );
      assert.match(page, /Cloud Scheduler runs the tick every 5 minutes; to run one now:/);
      assert.match(
        page,
        /<code>gcloud scheduler jobs run auto-deploy-tick --location=&lt;region&gt;<\/code>/,
      );
    });

    it('says no tick ran for a while once the last one is older than three intervals', async () => {
      reader.health = { ranAt: minutesAgo(42), ok: true, problems: [] };
      const page = await (await fetch(`${base}/`)).text();
      assert.match(page, /data-state="stale"/);
      assert.match(page, /tone-bad">no tick for 42 min \(expected every 5 min\)</);
      assert.match(page, /gcloud scheduler jobs run auto-deploy-tick/);
    });

    it('answers HEAD like GET, without a body', async () => {
      const res = await fetch(`${base}/`, { method: 'HEAD' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), '');
    });
  });

  describe('GET /api/deployments', () => {
    for (const path of ['/api/deployments', '/api/deployments/']) {
      it(`lists every deployment newest first, dates as ISO strings (${path})`, async () => {
        const { res, body } = await getJson(path);

        assert.equal(res.status, 200);
        assert.ok(Array.isArray(body));
        const list = body as Record<string, unknown>[];
        assert.deepEqual(
          list.map((d) => d.instance),
          ['kf-master-0310-ccc', 'kf-v1-0310-ddd', 'kf-master-0310-bbb', 'kf-master-0310-aaa'],
        );
        const aaa = list[3];
        assert.equal(aaa?.createdAt, '2024-03-10T05:20:00.000Z');
        assert.equal(aaa?.readyAt, '2024-03-10T11:30:00.000Z');
        assert.equal(aaa?.deletedAt, null);
        assert.equal(aaa?.status, 'ready');
        assert.equal(aaa?.kfctlVersion, 'v1.0-0-g94c35cf');
        assert.equal(aaa?.commitUrl, `https://github.com/kubeflow/manifests/commit/${SHA_1}`);
        assert.equal(
          aaa?.credentialsCommand,
          'gcloud --project=kf-ci container clusters get-credentials --zone=us-east1-d kf-master-0310-aaa',
        );
        assert.equal(list[1]?.error, `kfctl apply failed: ${EVIL}`);
        assert.deepEqual(aaa?.leases, []);
        assert.deepEqual(reader.calls, ['listDeployments', 'listLeases']);
      });
    }

    it("lists each deployment's live leases: owner and until when", async () => {
      reader.leases = [
        makeLease({
          leaseId: 'lease-master-0123456789abcdef',
          instance: 'kf-master-0310-bbb',
          owner: 'kubeflow/examples#1234',
          createdAt: minutesAgo(5),
          expiresAt: minutesAgo(-55),
        }),
      ];
      const { body } = await getJson('/api/deployments');
      const list = body as Array<{ instance: string; leases: unknown[] }>;
      assert.deepEqual(list.find((d) => d.instance === 'kf-master-0310-bbb')?.leases, [
        {
          leaseId: 'lease-master-0123456789abcdef',
          owner: 'kubeflow/examples#1234',
          expiresAt: '2024-03-10T12:55:00.000Z',
        },
      ]);
      assert.deepEqual(list.find((d) => d.instance === 'kf-master-0310-aaa')?.leases, []);
      const page = await (await fetch(`${base}/`)).text();
      assert.match(
        page,
        /kubeflow\/examples#1234 <span class="muted">until <time[^>]*>12:55 UTC \(in 55 min\)<\/time>/,
      );
    });

    it('orders by launch time whatever order the store returns', async () => {
      const shuffles = [
        [...DEPLOYMENTS].reverse(),
        [2, 0, 3, 1].map((index) => DEPLOYMENTS[index] as Deployment),
      ];
      for (const shuffled of shuffles) {
        reader.deployments = shuffled;
        const { body } = await getJson('/api/deployments');
        assert.deepEqual(
          (body as Record<string, unknown>[]).map((d) => d.instance),
          ['kf-master-0310-ccc', 'kf-v1-0310-ddd', 'kf-master-0310-bbb', 'kf-master-0310-aaa'],
        );
      }
    });

    it('answers 503 JSON when the store cannot be read', async () => {
      reader.failing = true;
      const { res, body } = await getJson('/api/deployments');
      assert.equal(res.status, 503);
      assert.match((body as { error: string }).error, /could not be read/);
      assert.equal(logLines.filter((line) => line.severity === 'ERROR').length, 1);
    });
  });

  describe('GET /api/versions', () => {
    it('lists versions in config order with their decision in words', async () => {
      const { res, body } = await getJson('/api/versions/');

      assert.equal(res.status, 200);
      assert.deepEqual(body, [
        {
          name: 'master',
          repo: 'kubeflow/manifests',
          branch: 'master',
          kfctlUrl: KFCTL_URL,
          kfctlVersion: 'v1.0-0-g94c35cf',
          paused: false,
          head: { sha: SHA_2, deleted: false, updatedAt: '2024-03-10T11:55:00.000Z' },
          decision: {
            kind: 'deploy',
            reason: 'new-commit',
            commit: SHA_2,
            until: null,
            notBefore: '2024-03-10T12:10:00.000Z',
            active: null,
            text: 'deploy 2222222 at 12:10 UTC (rate-limited until then)',
          },
          decidedAt: '2024-03-10T11:59:00.000Z',
        },
        {
          name: 'v1',
          repo: 'kubeflow/manifests',
          branch: `v1.0-branch${EVIL}`,
          kfctlUrl: KFCTL_URL,
          kfctlVersion: 'v1.0-0-g94c35cf',
          paused: true,
          head: null,
          decision: {
            kind: 'wait',
            reason: 'paused',
            commit: null,
            until: null,
            notBefore: null,
            active: null,
            text: 'paused',
          },
          decidedAt: '2024-03-10T11:59:00.000Z',
        },
      ]);
      assert.deepEqual(reader.calls, ['listVersions']);
    });
  });

  describe('GET /api/health', () => {
    it('answers the last tick with its problems, its state and how it is judged', async () => {
      reader.health = FAILED_TICK;
      const { res, body } = await getJson('/api/health');
      assert.equal(res.status, 200);
      assert.deepEqual(body, {
        state: 'failing',
        summary: '2 problems',
        lastTick: { ranAt: '2024-03-10T11:58:00.000Z', ok: false, problems: FAILED_TICK.problems },
        minutesSinceLastTick: 2,
        tickIntervalMinutes: 5,
        staleAfterMinutes: 15,
        runTick: 'gcloud scheduler jobs run auto-deploy-tick --location=<region>',
      });
      assert.deepEqual(reader.calls, ['readTickHealth']);
    });

    it('answers "no tick recorded yet" (200) before the first tick', async () => {
      const { res, body } = await getJson('/api/health');
      assert.equal(res.status, 200);
      assert.equal((body as { state: string }).state, 'unknown');
      assert.equal((body as { lastTick: unknown }).lastTick, null);
    });

    it('answers 503 JSON when the store cannot be read', async () => {
      reader.failing = true;
      const { res, body } = await getJson('/api/health');
      assert.equal(res.status, 503);
      assert.match((body as { error: string }).error, /could not be read/);
    });
  });

  describe('GET /api/versions/<name>/latest', () => {
    it('answers the newest ready deployment, skipping a newer one still deploying', async () => {
      for (const path of ['/api/versions/master/latest', '/api/versions/master/latest/']) {
        const { res, body } = await getJson(path);
        assert.equal(res.status, 200);
        const latest = body as Record<string, unknown>;
        assert.equal(latest.instance, 'kf-master-0310-bbb');
        assert.equal(latest.status, 'ready');
        assert.equal(latest.endpoint, 'https://kf-master-0310-bbb.endpoints.kf-ci.cloud.goog');
        assert.equal(latest.createdAt, '2024-03-10T10:20:00.000Z');
      }
    });

    it('answers 404 when the version has no ready deployment', async () => {
      const { res, body } = await getJson('/api/versions/v1/latest');
      assert.equal(res.status, 404);
      assert.deepEqual(body, { error: "version 'v1' has no ready deployment yet" });
    });

    it('answers 404 with a different message for an unknown version, decoding its name', async () => {
      const { res, body } = await getJson(`/api/versions/${encodeURIComponent('no/such<v>')}/latest`);
      assert.equal(res.status, 404);
      const error = (body as { error: string; versions: string[] }).error;
      assert.equal(error, "unknown version 'no/such<v>'");
      assert.deepEqual((body as { versions: string[] }).versions, ['master', 'v1']);
    });

    it('answers 503 JSON when the store cannot be read', async () => {
      reader.failing = true;
      const { res } = await getJson('/api/versions/master/latest');
      assert.equal(res.status, 503);
    });
  });

  describe('other requests', () => {
    for (const path of [
      '/nope',
      '/api',
      '/api/versions/master',
      '/api/versions/master/latest/extra',
      '/api/versions//latest',
    ]) {
      it(`answers 404 JSON for ${path}`, async () => {
        const { res, body } = await getJson(path);
        assert.equal(res.status, 404);
        assert.match((body as { error: string }).error, /no such page/);
        assert.deepEqual(reader.calls, []);
      });
    }

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      it(`answers 405 with an Allow header to ${method}`, async () => {
        const { res, body } = await getJson('/api/deployments', {
          method,
          headers: { 'content-type': 'application/json' },
          body: method === 'DELETE' ? null : '{}',
        });
        assert.equal(res.status, 405);
        assert.equal(res.headers.get('allow'), 'GET, HEAD');
        assert.match((body as { error: string }).error, new RegExp(`${method} is not allowed`));
        assert.deepEqual(reader.calls, []);
      });
    }
  });
});

describe('matchStatusRoute', () => {
  const cases: [string, ReturnType<typeof matchStatusRoute>][] = [
    ['/', { kind: 'page' }],
    ['', { kind: 'page' }],
    ['//', { kind: 'page' }],
    ['/api/deployments', { kind: 'deployments' }],
    ['/api/deployments/', { kind: 'deployments' }],
    ['/api/versions', { kind: 'versions' }],
    ['/api/versions/v1-0/latest', { kind: 'latest', version: 'v1-0' }],
    ['/api/versions/a%20b/latest/', { kind: 'latest', version: 'a b' }],
    ['/api/versions/%E0%A4%A/latest', { kind: 'unknown' }],
    ['/api/leases', { kind: 'leases' }],
    ['/api/health', { kind: 'health' }],
    ['/api/leases/lease-master-1', { kind: 'lease', leaseId: 'lease-master-1' }],
    ['/api/leases/lease-master-1/heartbeat', { kind: 'heartbeat-lease', leaseId: 'lease-master-1' }],
    ['/deploymentStatus', { kind: 'unknown' }],
  ];
  for (const [path, expected] of cases) {
    it(`matches ${JSON.stringify(path)}`, () => assert.deepEqual(matchStatusRoute(path), expected));
  }
});

import assert from 'node:assert/strict';
import { describeDecision } from '../../functions/core/describe.js';
import { escapeHtml } from '../../functions/core/html.js';
import { COPY_SCRIPT } from '../../functions/core/page-shell.js';
import {
  decisionToJson,
  deploymentsNewestFirst,
  deploymentToJson,
  githubBranchUrl,
  githubCommitUrl,
  latestReadyDeployment,
  versionToJson,
} from '../../functions/core/status-json.js';
import { renderErrorPage, renderStatusPage } from '../../functions/core/status-page.js';
import type { Deployment, VersionDecision, VersionView } from '../../functions/core/types.js';
import {
  KFCTL_URL,
  launchedFields,
  makeDeployment,
  makeLease,
  makeVersionView,
  readyTimes,
} from '../support/fixtures.js';

const NOW = new Date('2024-03-10T12:00:00Z');
const MINUTE_MS = 60_000;
const SHA_1 = '1111111111111111111111111111111111111111';
const SHA_2 = '2222222222222222222222222222222222222222';

function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * MINUTE_MS);
}

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  const instance = overrides.instance ?? 'kf-master-0310-abc';
  return makeDeployment({
    instance,
    ...launchedFields(instance, SHA_1, { project: 'kf-ci', namespace: 'kubeflow-ci' }),
    requestId: `deploy-master-${SHA_1.slice(0, 12)}-c`,
    jobName: `auto-deploy-master-${instance.slice(-3)}`,
    ...readyTimes(minutesAgo(90), minutesAgo(60)),
    ...overrides,
  });
}

function version(overrides: Partial<VersionView> = {}): VersionView {
  return makeVersionView({
    branch: 'master',
    head: { sha: SHA_1, deleted: false, updatedAt: minutesAgo(95) },
    decision: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: SHA_1 },
    decidedAt: minutesAgo(2),
    ...overrides,
  });
}

const INPUT = { project: 'kf-ci', zone: 'us-east1-d', now: NOW, leases: [] };

describe('status view', () => {
  describe('escapeHtml', () => {
    const cases: [string, string][] = [
      ['plain', 'plain'],
      ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
      [`"quoted" & 'single'`, '&quot;quoted&quot; &amp; &#39;single&#39;'],
      ['&amp;', '&amp;amp;'],
      ['ünïcødé ✓', 'ünïcødé ✓'],
    ];
    for (const [input, expected] of cases) {
      it(`escapes ${JSON.stringify(input)}`, () => assert.equal(escapeHtml(input), expected));
    }
  });

  describe('GitHub links', () => {
    it('links a commit', () => {
      assert.equal(
        githubCommitUrl('kubeflow/manifests', SHA_1),
        `https://github.com/kubeflow/manifests/commit/${SHA_1}`,
      );
    });

    it('links a branch, keeping its slashes and encoding the rest', () => {
      assert.equal(
        githubBranchUrl('kubeflow/manifests', 'release/v1.0 "x"#'),
        'https://github.com/kubeflow/manifests/tree/release/v1.0%20%22x%22%23',
      );
    });
  });

  describe('ordering', () => {
    const old = deployment({ instance: 'kf-master-0310-old', createdAt: minutesAgo(300) });
    const mid = deployment({ instance: 'kf-master-0310-mid', createdAt: minutesAgo(200), status: 'failed' });
    const newest = deployment({
      instance: 'kf-master-0310-new',
      createdAt: minutesAgo(10),
      status: 'deploying',
    });
    const other = deployment({ instance: 'kf-v1-0310-abc', version: 'v1', createdAt: minutesAgo(5) });

    it('sorts newest first whatever the input order', () => {
      assert.deepEqual(
        deploymentsNewestFirst([old, newest, other, mid]).map((d) => d.instance),
        ['kf-v1-0310-abc', 'kf-master-0310-new', 'kf-master-0310-mid', 'kf-master-0310-old'],
      );
    });

    it('finds the newest ready deployment of a version, skipping newer ones that are not ready', () => {
      assert.equal(
        latestReadyDeployment([old, mid, newest, other], 'master')?.instance,
        'kf-master-0310-old',
      );
      assert.equal(latestReadyDeployment([old, mid, newest, other], 'v1')?.instance, 'kf-v1-0310-abc');
      assert.equal(latestReadyDeployment([mid, newest], 'master'), null);
      assert.equal(latestReadyDeployment([], 'master'), null);
    });
  });

  describe('JSON', () => {
    it('turns a deployment into JSON with ISO dates, the kfctl version and the commit link', () => {
      const json = deploymentToJson(deployment({ deletingAt: minutesAgo(1) }), []);

      assert.equal(json.createdAt, '2024-03-10T10:30:00.000Z');
      assert.equal(json.readyAt, '2024-03-10T11:00:00.000Z');
      assert.equal(json.deletingAt, '2024-03-10T11:59:00.000Z');
      assert.equal(json.deletedAt, null);
      assert.equal(json.kfctlVersion, 'v1.0-0-g94c35cf');
      assert.equal(json.commitUrl, `https://github.com/kubeflow/manifests/commit/${SHA_1}`);
      assert.equal(json.status, 'ready');
      assert.deepEqual(json.leases, []);
      // Survives a JSON round trip unchanged: no Date objects left.
      assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
      assert.equal(json.github, null);
    });

    it('shows the GitHub deployment of a deployment in JSON, without the sync lease', () => {
      const json = deploymentToJson(
        deployment({
          github: {
            deploymentId: 7,
            state: 'failure',
            postedAt: minutesAgo(5),
            error: 'answered 500',
            attempts: 1,
            retryAt: minutesAgo(-10),
            leaseExpiresAt: minutesAgo(-1),
          },
        }),
        [],
      );
      assert.deepEqual(json.github, {
        deploymentId: 7,
        state: 'failure',
        postedAt: '2024-03-10T11:55:00.000Z',
        error: 'answered 500',
        attempts: 1,
        retryAt: '2024-03-10T12:10:00.000Z',
      });
    });

    it('lists the leases on the deployment itself (owner, until when), not those of other instances', () => {
      const until = new Date('2024-03-10T13:00:00Z');
      const leases = [
        makeLease({
          leaseId: 'lease-master-1',
          instance: 'kf-master-0310-abc',
          createdAt: NOW,
          expiresAt: until,
        }),
        makeLease({ leaseId: 'lease-master-2', instance: 'kf-master-0310-xyz', createdAt: NOW }),
      ];
      assert.deepEqual(deploymentToJson(deployment(), leases).leases, [
        { leaseId: 'lease-master-1', owner: 'kubeflow/examples#1', expiresAt: '2024-03-10T13:00:00.000Z' },
      ]);
    });

    const decisions: { name: string; decision: VersionDecision; expected: Record<string, unknown> }[] = [
      {
        name: 'deploy',
        decision: { kind: 'deploy', version: 'master', commit: SHA_2, reason: 'new-commit', notBefore: NOW },
        expected: {
          kind: 'deploy',
          reason: 'new-commit',
          commit: SHA_2,
          until: null,
          notBefore: NOW.toISOString(),
        },
      },
      {
        name: 'rate-limited',
        decision: { kind: 'wait', version: 'master', reason: 'rate-limited', until: minutesAgo(-15) },
        expected: { kind: 'wait', reason: 'rate-limited', commit: null, until: '2024-03-10T12:15:00.000Z' },
      },
      {
        name: 'up-to-date',
        decision: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: SHA_1 },
        expected: { kind: 'wait', reason: 'up-to-date', commit: SHA_1, until: null, active: null },
      },
      {
        name: 'at-capacity',
        decision: { kind: 'wait', version: 'master', reason: 'at-capacity', active: 10 },
        expected: { kind: 'wait', reason: 'at-capacity', active: 10 },
      },
      {
        name: 'paused',
        decision: { kind: 'wait', version: 'master', reason: 'paused' },
        expected: {
          kind: 'wait',
          reason: 'paused',
          commit: null,
          until: null,
          notBefore: null,
          active: null,
        },
      },
    ];
    for (const { name, decision, expected } of decisions) {
      it(`turns a ${name} decision into JSON with its text`, () => {
        const json = decisionToJson(decision, NOW);
        for (const [field, value] of Object.entries(expected)) {
          assert.deepEqual(json[field as keyof typeof json], value, field);
        }
        assert.equal(json.text, describeDecision(decision, NOW));
        assert.ok(json.text.length > 0);
      });
    }

    it('turns a version into JSON, with nulls before the first head and plan', () => {
      assert.deepEqual(
        versionToJson(version({ head: null, decision: null, decidedAt: null, paused: true }), NOW),
        {
          name: 'master',
          repo: 'kubeflow/manifests',
          branch: 'master',
          kfctlUrl: KFCTL_URL,
          kfctlVersion: 'v1.0-0-g94c35cf',
          paused: true,
          head: null,
          decision: null,
          decidedAt: null,
        },
      );
      const json = versionToJson(version(), NOW);
      assert.deepEqual(json.head, { sha: SHA_1, deleted: false, updatedAt: '2024-03-10T10:25:00.000Z' });
      assert.equal(json.decision?.text, `up to date with ${SHA_1.slice(0, 7)}`);
      assert.equal(json.decidedAt, '2024-03-10T11:58:00.000Z');
    });
  });

  describe('renderStatusPage', () => {
    const versions = [
      version(),
      version({
        name: 'v1',
        branch: 'v1.0-branch',
        paused: true,
        head: { sha: SHA_2, deleted: true, updatedAt: minutesAgo(30) },
        decision: {
          kind: 'wait',
          version: 'v1',
          reason: 'rate-limited',
          until: new Date('2024-03-10T12:20:00Z'),
        },
      }),
      version({ name: 'fresh', head: null, decision: null, decidedAt: null }),
    ];
    const deployments = [
      deployment({ instance: 'kf-master-0310-old', createdAt: minutesAgo(300) }),
      deployment({
        instance: 'kf-master-0310-new',
        commit: SHA_2,
        status: 'deploying',
        createdAt: minutesAgo(12),
        readyAt: null,
      }),
      deployment({
        instance: 'kf-v1-0310-bad',
        version: 'v1',
        status: 'failed',
        error: 'Job failed: BackoffLimitExceeded',
        jobName: null,
      }),
      deployment({
        instance: 'kf-v1-0309-del',
        version: 'v1',
        status: 'deleted',
        createdAt: minutesAgo(2000),
      }),
      deployment({ instance: 'kf-gone-0301-abc', version: 'gone' }),
    ];
    const leases = [
      makeLease({
        leaseId: 'lease-master-1',
        instance: 'kf-master-0310-old',
        owner: 'kubeflow/examples#1234',
        createdAt: minutesAgo(10),
        expiresAt: new Date('2024-03-10T12:50:00Z'),
      }),
      makeLease({
        leaseId: 'lease-master-2',
        instance: 'kf-master-0310-old',
        owner: 'kubeflow/pipelines#9',
        createdAt: minutesAgo(10),
        expiresAt: new Date('2024-03-11T09:05:00Z'),
      }),
      // Past its time (the tick has not closed it yet): not shown.
      makeLease({ leaseId: 'lease-master-3', instance: 'kf-master-0310-new', createdAt: minutesAgo(90) }),
    ];
    const page = renderStatusPage({ ...INPUT, versions, deployments, leases });

    it('is a self-contained HTML5 page with a viewport, inline CSS and only the copy script', () => {
      assert.match(page, /^<!doctype html>/);
      assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
      assert.match(page, /<style>[\s\S]+<\/style>/);
      assert.doesNotMatch(withoutCopyScript(page), /<script|<link|<img|<iframe|@import|url\(/i);
      assert.doesNotMatch(page, /\ssrc=/i);
    });

    it('shows the project, the zone and the number of active deployments', () => {
      assert.match(page, /Project <code>kf-ci<\/code>, zone <code>us-east1-d<\/code>/);
      // Issue 7: the failed one counts too (it may still hold its cluster); the deleted one does not.
      assert.match(page, /4 active deployments, 2 leases held/);
    });

    it('shows who holds each instance, and until when, soonest first', () => {
      const row = rowOf(sectionOf(page, 'master'), 'kf-master-0310-old');
      assert.match(
        row,
        /<li title="lease-master-1">kubeflow\/examples#1234 <span class="muted">until <time datetime="2024-03-10T12:50:00.000Z"[^>]*>12:50 UTC \(in 50 min\)<\/time><\/span><\/li>/,
      );
      assert.match(
        row,
        /kubeflow\/pipelines#9 <span class="muted">until <time[^>]*>Mar 11 09:05 UTC \(in 21 h 5 min\)<\/time>/,
      );
      assert.ok(row.indexOf('lease-master-1') < row.indexOf('lease-master-2'));
      assert.doesNotMatch(rowOf(sectionOf(page, 'master'), 'kf-master-0310-new'), /<li/);
    });

    it('has one section per version in config order, then the deployments of unknown versions', () => {
      const order = [
        'id="version-master"',
        'id="version-v1"',
        'id="version-fresh"',
        'id="other-deployments"',
      ].map((marker) => page.indexOf(marker));
      assert.ok(
        order.every((index) => index >= 0),
        String(order),
      );
      assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
      );
      const other = page.slice(page.indexOf('id="other-deployments"'));
      assert.match(other, /kf-gone-0301-abc/);
    });

    it('shows a version: repo@branch, head, decision in words, kfctl version', () => {
      const master = sectionOf(page, 'master');
      assert.match(
        master,
        /<a href="https:\/\/github.com\/kubeflow\/manifests\/tree\/master"><code>kubeflow\/manifests@master<\/code><\/a>/,
      );
      assert.ok(master.includes(`href="https://github.com/kubeflow/manifests/commit/${SHA_1}"`));
      assert.match(master, /<code>1111111<\/code>/);
      assert.ok(master.includes(`up to date with 1111111`));
      assert.match(
        master,
        /decided <time datetime="2024-03-10T11:58:00.000Z"[^>]*>11:58 UTC \(2 min ago\)<\/time>/,
      );
      assert.match(master, /v1\.0-0-g94c35cf/);

      const v1 = sectionOf(page, 'v1');
      assert.match(v1, /<span class="status tone-paused">paused<\/span>/);
      assert.match(v1, /branch deleted/);
      assert.ok(v1.includes(describeDecision(versions[1]?.decision as VersionDecision, NOW)));

      const fresh = sectionOf(page, 'fresh');
      assert.match(fresh, /no commit recorded yet/);
      assert.match(fresh, /not planned yet/);
      assert.match(fresh, /No deployments\./);
    });

    it('lists a version’s deployments newest first with every column', () => {
      const master = tableOf(sectionOf(page, 'master'));
      assert.ok(master.indexOf('kf-master-0310-new') < master.indexOf('kf-master-0310-old'));
      const row = rowOf(master, 'kf-master-0310-old');
      assert.match(
        row,
        /<a href="https:\/\/kf-master-0310-old\.endpoints\.kf-ci\.cloud\.goog\/"><code>kf-master-0310-old<\/code><\/a>/,
      );
      assert.match(row, /<span class="status tone-good">ready<\/span>/);
      assert.match(row, />07:00 UTC \(5 h ago\)<\/time>/);
      assert.ok(
        row.includes(
          `<a href="https://github.com/kubeflow/manifests/commit/${SHA_1}" title="${SHA_1}"><code>1111111</code></a>`,
        ),
      );
      assert.match(row, />v1\.0-0-g94c35cf</);
      assert.match(row, /<code>auto-deploy-master-old<\/code>/);
      assert.match(
        row,
        /<code>gcloud --project=kf-ci container clusters get-credentials --zone=us-east1-d kf-master-0310-old<\/code> <button type="button" class="copy" hidden>Copy<\/button>/,
      );
      assert.match(rowOf(master, 'kf-master-0310-new'), /<span class="status tone-busy">deploying<\/span>/);
    });

    it('shows failures in red with their error, and deleted instances without links', () => {
      const v1 = sectionOf(page, 'v1');
      const failed = rowOf(v1, 'kf-v1-0310-bad');
      assert.match(
        failed,
        /<span class="status tone-bad">failed<\/span><div class="error">Job failed: BackoffLimitExceeded<\/div>/,
      );
      assert.match(failed, /none yet/);
      const deleted = rowOf(v1, 'kf-v1-0309-del');
      assert.match(deleted, /<span class="status tone-gone">deleted<\/span>/);
      assert.doesNotMatch(deleted, /endpoints\.kf-ci/);
      assert.doesNotMatch(deleted, /get-credentials/);
      assert.match(deleted, /cluster deleted/);
    });

    it('shows an error GitHub answered for a deployment (GITHUB_DEPLOYMENTS), escaped, and nothing without one', () => {
      const github = {
        deploymentId: 7,
        state: 'in_progress' as const,
        postedAt: minutesAgo(30),
        attempts: 2,
      };
      const shown = renderStatusPage({
        ...INPUT,
        versions: [version()],
        deployments: [
          deployment({
            instance: 'kf-master-0310-ghe',
            github: { ...github, error: 'answered 403 <rate limit>', retryAt: null, leaseExpiresAt: null },
          }),
          deployment({
            instance: 'kf-master-0310-gok',
            github: { ...github, error: null, retryAt: null, leaseExpiresAt: null },
          }),
        ],
      });
      const master = sectionOf(shown, 'master');
      assert.match(
        rowOf(master, 'kf-master-0310-ghe'),
        /<div class="error">GitHub: answered 403 &lt;rate limit&gt;<\/div>/,
      );
      assert.doesNotMatch(rowOf(master, 'kf-master-0310-gok'), /GitHub:/);
    });

    it('escapes every user-controlled value', () => {
      const evil = '<script>alert(1)</script>';
      const attr = '"><img src=x onerror=alert(2)>';
      const hostile = renderStatusPage({
        ...INPUT,
        project: `p${evil}`,
        zone: `z${attr}`,
        versions: [
          version({
            name: `v${attr}`,
            repo: `own${evil}/repo`,
            branch: `feature/${evil}${attr}`,
            kfctlUrl: `https://example.com/${attr}`,
            decision: { kind: 'wait', version: 'x', reason: 'up-to-date', commit: `${evil}abcdef` },
          }),
        ],
        deployments: [
          deployment({
            version: `v${attr}`,
            instance: `kf-${evil}`,
            repo: `own${evil}/repo`,
            commit: `${attr}deadbeef`,
            status: 'failed',
            endpoint: 'javascript:alert(3)',
            jobName: `job${evil}`,
            credentialsCommand: `gcloud ${attr}`,
            kfctlUrl: `https://example.com/${evil}`,
            error: `${evil}${attr}`,
          }),
          deployment({ version: 'orphan', instance: 'kf-orphan', endpoint: `https://x.example/${attr}` }),
        ],
        leases: [
          makeLease({
            leaseId: `lease-${attr}`,
            instance: `kf-${evil}`,
            owner: `${evil}${attr}`,
            createdAt: NOW,
          }),
        ],
      });

      assert.doesNotMatch(withoutCopyScript(hostile), /<script|<img|javascript:/i);
      assert.ok(hostile.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      assert.ok(hostile.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
      assert.ok(hostile.includes('<li title="lease-&quot;&gt;&lt;img src=x onerror=alert(2)&gt;">'));
      // No attribute value is broken out of: every tag parses into known attributes with quoted values.
      for (const tag of hostile.match(/<[a-z][^>]*>/g) ?? []) {
        for (const name of attributeNames(tag)) {
          assert.ok([...PAGE_ATTRIBUTES, ...SVG_ATTRIBUTES].includes(name), tag);
        }
      }
      // The instance is shown, not linked, since its endpoint is not an http(s) URL.
      assert.match(hostile, /<td><code>kf-&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/code><\/td>/);
      // URL-valued data stays inside its href, percent-encoded by URL parsing.
      assert.ok(hostile.includes('href="https://x.example/%22%3E%3Cimg%20src=x%20onerror=alert(2)%3E"'));
    });

    it('says so when no version is configured', () => {
      const empty = renderStatusPage({ ...INPUT, versions: [], deployments: [] });
      assert.match(empty, /No versions configured\./);
      assert.match(empty, /0 active deployments/);
    });
  });

  describe('renderErrorPage', () => {
    it('renders an escaped message on a self-contained page', () => {
      const page = renderErrorPage('Store down <b>now</b>', NOW);
      assert.match(page, /<meta name="viewport"/);
      assert.match(page, /Store down &lt;b&gt;now&lt;\/b&gt;/);
      assert.match(page, /tone-bad">unavailable/);
      assert.doesNotMatch(withoutCopyScript(page), /<script|<link/);
    });
  });
});

/** The attributes the pages' HTML uses. */
const PAGE_ATTRIBUTES = ['id', 'class', 'href', 'title', 'datetime', 'lang', 'charset', 'name', 'content'];
/** The HTML and SVG attributes of the copy button, the timeline and its legend (core/timeline-svg.ts). */
const SVG_ATTRIBUTES = [
  ...[
    'type',
    'hidden',
    'http-equiv',
    'aria-label',
    'aria-hidden',
    'role',
    'xmlns',
    'viewbox',
    'width',
    'height',
  ],
  ...['x', 'y', 'x1', 'x2', 'y1', 'y2', 'rx', 'd', 'fill', 'stroke', 'stroke-width', 'stroke-opacity'],
  ...['stroke-dasharray', 'text-anchor', 'font-size', 'paint-order'],
  ...['data-state', 'data-instance', 'data-lane', 'data-lease', 'data-sha'],
];

/** The page without its one script, the copy button's constant (core/page-shell.ts COPY_SCRIPT). */
function withoutCopyScript(page: string): string {
  const script = `<script>${COPY_SCRIPT}</script>`;
  assert.equal(page.split('<script').length - 1, 1, "one script, the copy button's");
  assert.ok(page.includes(script), 'the script is the constant copy script');
  return page.replace(script, '');
}

/** The deployments table of a version's section (the timeline before it names the instances too). */
function tableOf(section: string): string {
  return section.slice(section.indexOf('<table>'));
}

/** The HTML of one version's section. */
function sectionOf(page: string, name: string): string {
  const start = page.indexOf(`<section id="version-${name}">`);
  assert.ok(start >= 0, `no section for ${name}`);
  return page.slice(start, page.indexOf('</section>', start));
}

/** The HTML of the table row that names `instance`. */
function rowOf(html: string, instance: string): string {
  const at = html.indexOf(`<code>${instance}</code>`);
  assert.ok(at >= 0, `no row for ${instance}`);
  const start = html.lastIndexOf('<tr>', at);
  return html.slice(start, html.indexOf('</tr>', at));
}

/** The attribute names (lower case) of a start tag; fails unless the whole tag is `<name attr="value" ...>` (or `/>`). */
function attributeNames(tag: string): string[] {
  const whole = /^<[a-z0-9]+((?:\s+[a-zA-Z0-9-]+(?:="[^"]*")?)*)\s*\/?>$/.exec(tag);
  assert.ok(whole, `malformed tag: ${tag}`);
  return [...(whole[1] ?? '').matchAll(/\s+([a-zA-Z0-9-]+)(?:="[^"]*")?/g)].map((m) =>
    (m[1] ?? '').toLowerCase(),
  );
}

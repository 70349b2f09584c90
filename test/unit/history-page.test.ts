import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  assembleHistory,
  type CommitView,
  parseHistoryCursor,
  type VersionHistory,
} from '../../functions/core/history.js';
import { renderHistoryPage, renderNotFoundPage } from '../../functions/core/history-page.js';
import { html } from '../../functions/core/html.js';
import type { OperatorEvent } from '../../functions/core/operator.js';
import {
  COPY_SCRIPT,
  COPY_SCRIPT_CSP_SOURCE,
  DEFAULT_REFRESH_SECONDS,
  page,
  parseRefresh,
  pathWithQuery,
  queryWith,
  refreshControl,
} from '../../functions/core/page-shell.js';
import type { Deployment, DeploymentStatus } from '../../functions/core/types.js';
import { CONTENT_SECURITY_POLICY } from '../../functions/status/respond.js';
import { makeDeployment, makeDeployRequest, makeLease, makeVersionView } from '../support/fixtures.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const SHA = 'abcdef1234567890abcdef1234567890abcdef12';
const EVIL = '<script>alert(1)</script>';

function hoursAgo(hours: number): Date {
  return new Date(NOW.getTime() - hours * 3_600_000);
}

function deployment(
  instance: string,
  steps: Array<[DeploymentStatus, number]>,
  fields: Partial<Deployment> = {},
) {
  const transitions = steps.map(([status, ago]) => ({ status, at: hoursAgo(ago) }));
  return makeDeployment({
    instance,
    commit: SHA,
    requestId: `deploy-master-${instance}`,
    status: transitions.at(-1)?.status ?? 'launching',
    createdAt: transitions[0]?.at ?? NOW,
    jobName: `auto-deploy-master-${instance.slice(-3)}`,
    credentialsCommand: `gcloud container clusters get-credentials ${instance}`,
    endpoint: `https://${instance}.endpoints.kf-ci.cloud.goog`,
    transitions,
    ...fields,
  });
}

const COMMIT: CommitView = {
  sha: SHA,
  message: `Update kfdef ${EVIL}\n\nlonger body`,
  author: { name: 'Jane Doe', email: null, username: `jane${EVIL}` },
  timestamp: hoursAgo(30),
  recordedAt: hoursAgo(29),
  url: null,
  pusher: 'jane',
};

const GONE = deployment('kf-master-1129-aaa', [
  ['launching', 28],
  ['deploying', 27.9],
  ['verifying', 27],
  ['ready', 26.5],
  ['deleting', 3],
  ['deleted', 2.5],
]);
const LIVE = deployment(
  'kf-master-1130-bbb',
  [
    ['launching', 4],
    ['deploying', 3.9],
    ['failed', 3],
  ],
  { error: `kfctl apply failed: ${EVIL}`, attempt: 2, reason: 'retry' },
);

const HISTORY: VersionHistory = {
  deployments: [LIVE, GONE],
  hasMore: true,
  requests: [
    makeDeployRequest({
      id: 'deploy-master-kf-master-1129-aaa',
      createdAt: hoursAgo(28.1),
      reason: 'new-commit',
      status: 'done',
    }),
    makeDeployRequest({
      id: 'deploy-master-kf-master-1130-bbb',
      createdAt: hoursAgo(4.1),
      reason: 'retry',
      status: 'done',
    }),
    makeDeployRequest({
      id: 'teardown-kf-master-1129-aaa-1',
      action: 'teardown',
      instance: 'kf-master-1129-aaa',
      reason: 'older than 3 h and a newer ready instance exists',
      createdAt: hoursAgo(3.1),
      status: 'done',
      error: null,
    }),
  ],
  commits: [COMMIT],
  leases: [
    makeLease({
      leaseId: 'lease-master-1',
      instance: 'kf-master-1129-aaa',
      owner: `ci ${EVIL}`,
      createdAt: hoursAgo(10),
      status: 'released',
      closedAt: hoursAgo(9),
    }),
  ],
};

describe('history', () => {
  describe('parseHistoryCursor', () => {
    const cases: Array<[unknown, string | null]> = [
      ['kf-master-1130-abc', 'kf-master-1130-abc'],
      [undefined, null],
      ['', null],
      ['../x', null],
      ['Kf-UPPER', null],
      [['kf-a', 'kf-b'], null],
      ['x'.repeat(101), null],
    ];
    for (const [value, expected] of cases) {
      it(`${JSON.stringify(value)?.slice(0, 30)} -> ${expected}`, () =>
        assert.equal(parseHistoryCursor(value), expected));
    }
  });

  describe('assembleHistory', () => {
    const entries = assembleHistory(HISTORY, NOW);

    it('keeps the page order (newest first) and gives each its states', () => {
      assert.deepEqual(
        entries.map((e) => [e.deployment.instance, e.states.map((s) => s.status)]),
        [
          ['kf-master-1130-bbb', ['launching', 'deploying', 'failed']],
          ['kf-master-1129-aaa', ['launching', 'deploying', 'verifying', 'ready', 'deleting']],
        ],
      );
      assert.deepEqual(entries[1]?.deletedAt, hoursAgo(2.5));
      assert.equal(entries[0]?.deletedAt, null);
    });

    it('finds the request that launched each and the teardowns that collected it', () => {
      assert.equal(entries[0]?.launchRequest?.reason, 'retry');
      assert.deepEqual(entries[0]?.teardownRequests, []);
      assert.deepEqual(
        entries[1]?.teardownRequests.map((r) => r.id),
        ['teardown-kf-master-1129-aaa-1'],
      );
    });

    it('finds its commit and its own leases only', () => {
      assert.equal(entries[1]?.commit?.sha, SHA);
      assert.deepEqual(
        entries[1]?.leases.map((l) => l.leaseId),
        ['lease-master-1'],
      );
      assert.deepEqual(entries[0]?.leases, []);
    });
  });

  describe('renderHistoryPage', () => {
    const view = makeVersionView({
      decision: { kind: 'wait', version: 'master', reason: 'up-to-date', commit: SHA },
    });
    const shown = renderHistoryPage({ view, history: HISTORY, after: null, refreshSeconds: 0, now: NOW });

    function articleOf(instance: string): string {
      const start = shown.indexOf(`<article id="deployment-${instance}"`);
      assert.ok(start >= 0, `no article for ${instance}`);
      return shown.slice(start, shown.indexOf('</article>', start));
    }

    it('lists every state change with its time, and the deletion', () => {
      const gone = articleOf('kf-master-1129-aaa');
      const states = [...gone.matchAll(/<tr data-state="([a-z-]+)">/g)].map((m) => m[1]);
      assert.deepEqual(states, ['launching', 'deploying', 'verifying', 'ready', 'deleting', 'deleted']);
      assert.match(
        gone,
        /<tr data-state="ready"><td>[\s\S]*?<\/td><td><time[^>]*>Nov 29 09:30 UTC \(1 d 2 h ago\)<\/time><\/td><td><time[^>]*>09:00 UTC \(3 h ago\)<\/time><\/td><td>23 h 30 min<\/td>/,
      );
      assert.match(
        articleOf('kf-master-1130-bbb'),
        /<tr data-state="failed">[\s\S]*?now<\/span><\/td><td>3 h so far<\/td>/,
      );
    });

    it('says why each was launched and collected, with the Job, the attempt and the error', () => {
      const live = articleOf('kf-master-1130-bbb');
      assert.match(live, /<dt>Why launched<\/dt><dd>a retry after a failed launch of the commit/);
      assert.match(live, /<dt>Attempt<\/dt><dd>2<\/dd>/);
      assert.match(live, /<code>auto-deploy\/auto-deploy-master-bbb<\/code>/);
      assert.match(live, /<dd class="error">kfctl apply failed: &lt;script&gt;/);
      assert.match(live, /<dt>Why collected<\/dt><dd><span class="muted">not collected/);
      const gone = articleOf('kf-master-1129-aaa');
      assert.match(gone, /<dt>Why collected<\/dt><dd>older than 3 h and a newer ready instance exists/);
      assert.match(gone, /<dt>Why launched<\/dt><dd>a new commit was pushed/);
      assert.doesNotMatch(gone, /get-credentials/);
    });

    it('shows the commit with its message and author, and the leases, escaped', () => {
      const gone = articleOf('kf-master-1129-aaa');
      assert.match(
        gone,
        /<span class="message">Update kfdef &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/,
      );
      assert.match(gone, / by jane&lt;script&gt;/);
      assert.doesNotMatch(gone, /longer body/);
      assert.match(
        gone,
        /<td class="owner">ci &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td><td>released<\/td>/,
      );
      assert.equal(shown.split('<script').length - 1, 1);
    });

    it('offers a copy button for a live instance and pages to older deployments', () => {
      assert.match(
        articleOf('kf-master-1130-bbb'),
        /<code>gcloud container clusters get-credentials kf-master-1130-bbb<\/code> <button type="button" class="copy" hidden>/,
      );
      assert.match(shown, /<a href="\?refresh=0&amp;after=kf-master-1129-aaa" rel="next">older →<\/a>/);
      assert.doesNotMatch(shown, /rel="first"/);
      assert.match(shown, /<a href="..\/\?refresh=0" id="status-page">/);
    });

    it('on a later page links back to the newest, and keeps its cursor when switching refresh', () => {
      const later = renderHistoryPage({
        view,
        history: { ...HISTORY, hasMore: false },
        after: 'kf-master-1201-zzz',
        refreshSeconds: DEFAULT_REFRESH_SECONDS,
        now: NOW,
      });
      assert.match(later, /<a href="\?" rel="first">← newest<\/a>/);
      assert.doesNotMatch(later, /rel="next"/);
      assert.match(later, /<a href="\?after=kf-master-1201-zzz&amp;refresh=0" id="refresh-off">/);
      assert.match(later, /<meta http-equiv="refresh" content="60">/);
    });

    it('lists the operator actions on the first page, escaped, with who asked (verified or not) and why', () => {
      const event = (fields: Partial<OperatorEvent>): OperatorEvent => ({
        eventId: 'e',
        version: 'master',
        action: 'pause',
        at: new Date(NOW.getTime() - 60 * 60_000),
        by: null,
        claimedBy: null,
        reason: null,
        instance: null,
        requestId: null,
        force: false,
        ...fields,
      });
      const events = [
        event({ action: 'teardown', instance: 'kf-master-1130-bbb', force: true, by: 'alice@example.com' }),
        event({ action: 'pause', claimedBy: 'bob', reason: `broken ${EVIL}` }),
      ];
      const first = renderHistoryPage({
        view,
        history: HISTORY,
        after: null,
        refreshSeconds: 0,
        now: NOW,
        events,
      });
      const section = first.slice(
        first.indexOf('<section id="operator-actions">'),
        first.indexOf('</section>'),
      );
      const rows = [...section.matchAll(/<tr><td>[\s\S]*?<\/tr>/g)].map((m) => m[0]);
      assert.equal(rows.length, 2);
      assert.match(
        rows[0] ?? '',
        /teardown <code>kf-master-1130-bbb<\/code> <span class="muted">\(forced past live leases\)/,
      );
      assert.match(rows[0] ?? '', /<td>alice@example.com<\/td>/);
      assert.match(rows[1] ?? '', /<td>bob \(unverified\)<\/td><td>broken &lt;script&gt;/);
      assert.equal(first.split('<script').length - 1, 1, 'only the copy script');
      const later = renderHistoryPage({
        view,
        history: HISTORY,
        after: 'kf-x',
        refreshSeconds: 0,
        now: NOW,
        events,
      });
      assert.doesNotMatch(later, /operator-actions/);
      const none = renderHistoryPage({
        view,
        history: HISTORY,
        after: null,
        refreshSeconds: 0,
        now: NOW,
        events: [],
      });
      assert.match(none, /No operator action on record\./);
    });

    it('says so when there is no deployment', () => {
      const empty = renderHistoryPage({
        view,
        history: { deployments: [], hasMore: false, requests: [], commits: [], leases: [] },
        after: null,
        refreshSeconds: 0,
        now: NOW,
      });
      assert.match(empty, /<p class="empty">No deployments\.<\/p>/);
    });

    it('renders a 404 page with an escaped message', () => {
      const notFound = renderNotFoundPage(`No version '${EVIL}'`, NOW);
      assert.match(notFound, /No version &#39;&lt;script&gt;/);
    });
  });

  describe('page shell', () => {
    const cases: Array<[unknown, number]> = [
      [undefined, DEFAULT_REFRESH_SECONDS],
      ['', DEFAULT_REFRESH_SECONDS],
      ['0', 0],
      ['off', 0],
      ['30', 30],
      ['1', 10],
      ['99999', 3600],
      ['-5', DEFAULT_REFRESH_SECONDS],
      ['soon', DEFAULT_REFRESH_SECONDS],
      [['0', '30'], DEFAULT_REFRESH_SECONDS],
    ];
    for (const [value, expected] of cases) {
      it(`?refresh=${JSON.stringify(value)} -> ${expected} s`, () =>
        assert.equal(parseRefresh(value), expected));
    }

    it('reloads the page by a meta refresh only when refresh is on', () => {
      assert.match(page('t', html`x`, 45), /<meta http-equiv="refresh" content="45">/);
      assert.doesNotMatch(page('t', html`x`, 0), /http-equiv/);
    });

    it('links to switch refresh off and on, keeping the other parameters', () => {
      assert.match(
        refreshControl(60, { after: 'kf-a' }).value,
        /href="\?after=kf-a&amp;refresh=0" id="refresh-off"/,
      );
      assert.match(
        refreshControl(0, { after: 'kf-a', refresh: '0' }).value,
        /href="\?after=kf-a" id="refresh-on"/,
      );
      assert.match(refreshControl(0, {}).value, /href="\?" id="refresh-on"/);
      assert.equal(queryWith({ a: '1' }, { b: '<x>' }), '?a=1&b=%3Cx%3E');
      assert.equal(pathWithQuery('versions/master', {}), 'versions/master');
      assert.equal(pathWithQuery('versions/master', { refresh: '0' }), 'versions/master?refresh=0');
    });

    it('allows exactly the copy script in the Content-Security-Policy, by its hash', () => {
      const hash = createHash('sha256').update(COPY_SCRIPT).digest('base64');
      assert.equal(COPY_SCRIPT_CSP_SOURCE, `'sha256-${hash}'`);
      assert.match(
        CONTENT_SECURITY_POLICY,
        new RegExp(`script-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}';`),
      );
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline'[^;]*script|script-src[^;]*unsafe/);
    });
  });
});

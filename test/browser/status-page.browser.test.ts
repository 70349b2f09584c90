/**
 * The status page and the history page in a real browser: headless Chromium (Debian's package) driven
 * by playwright-core, against the local stack (the gateway, the real app, the Firestore emulator) with
 * seeded state. Screenshots of each run go to test-artifacts/browser/.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FirestoreTickHealthStore } from '../../functions/adapters/firestore/health-store.js';
import { STATE_COLOURS } from '../../functions/core/timeline.js';
import type { DeploymentStatus } from '../../functions/core/types.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { capturingLogger, startE2eStack, Teardown } from '../e2e/helpers.js';
import { artifactPath, clearArtifacts, launchChromium } from '../support/browser.js';
import { resetFirestore } from '../support/firestore.js';
import {
  BROWSER_VERSIONS,
  credentialsCommand,
  HOSTILE,
  HOSTILE_INSTANCES,
  instanceName,
  MASTER_INSTANCES,
  type SeededInstance,
  seedBrowserState,
} from './seed.js';

/** `#2da44e` as the browser computes it: `rgb(45, 164, 78)`. */
function rgb(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

/** The states a seeded instance's bar should show: its life without the deletion (which ends it). */
function drawnStates(seeded: SeededInstance): string[] {
  return seeded.life.map(([status]) => status).filter((status) => status !== 'deleted');
}

describe('status pages in a browser (headless Chromium)', function () {
  this.timeout(120_000);

  const teardown = new Teardown();
  let browser: Browser;
  let stack: LocalStack;
  let base: string;
  let now: Date;
  const pageErrors: string[] = [];

  before(async () => {
    clearArtifacts();
    browser = await launchChromium();
    teardown.add(() => browser.close());
    await resetFirestore();
    stack = await startE2eStack(teardown, { versions: BROWSER_VERSIONS, logger: capturingLogger().logger });
    now = new Date();
    await seedBrowserState(stack.app.firestore, now);
    base = `${stack.url}/deploymentStatus/`;
  });

  after(() => teardown.run());

  /** A new page in a fresh context; anything that pops a dialog or throws is recorded. */
  async function open(
    url: string,
    options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number } } = {},
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    teardown.add(() => context.close());
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      pageErrors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(`error: ${error.message}`));
    const response = await page.goto(url);
    assert.equal(response?.status(), 200, `GET ${url}`);
    return { page, context };
  }

  it('draws one bar per instance of the last 48 hours, each state in its colour', async () => {
    const { page } = await open(`${base}?refresh=0`);
    const timeline = page.locator('#version-master svg.timeline');
    await timeline.waitFor();
    assert.equal(await timeline.locator('g.bar').count(), MASTER_INSTANCES.length);
    for (const seeded of MASTER_INSTANCES) {
      const bar = timeline.locator(`g.bar[data-instance="${instanceName(seeded, now)}"]`);
      const segments = await bar.locator('rect.segment').evaluateAll((rects) =>
        rects.map((rect) => ({
          state: rect.getAttribute('data-state'),
          fill: getComputedStyle(rect).fill,
        })),
      );
      assert.deepEqual(
        segments.map((s) => s.state),
        drawnStates(seeded),
        seeded.suffix,
      );
      for (const segment of segments) {
        assert.equal(
          segment.fill,
          rgb(STATE_COLOURS[segment.state as DeploymentStatus]),
          `${seeded.suffix} ${segment.state}`,
        );
      }
    }
    const ready = timeline.locator(
      `g.bar[data-instance="${instanceName(MASTER_INSTANCES[4] as SeededInstance, now)}"]`,
    );
    assert.equal(await ready.locator('rect.lease').count(), 2);
    assert.equal(await timeline.locator('g.push').count(), 5);
    assert.equal(await timeline.locator('g.next-deploy line').getAttribute('stroke-dasharray'), '5 4');
    const tooltip = await ready.locator('rect.segment[data-state="ready"] title').textContent();
    // A time of another day than now says its date ("Nov 30 12:59 UTC"): before 11:18 UTC it does.
    assert.match(
      tooltip ?? '',
      /^kf-master-\d{4}-e5f \(commit eeeeeee\): ready from (?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d UTC \(11 h 1[78] min ago\) to now/,
    );
    await page.screenshot({ path: artifactPath('status-page'), fullPage: true });
    // The header and the first version: the picture the README shows (docs/status-page.png).
    const master = await page.locator('#version-master').boundingBox();
    assert.ok(master);
    await page.screenshot({
      path: artifactPath('status-page-overview'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: Math.ceil(master.y + master.height + 16) },
    });
  });

  it('shows branch names, commit messages and lease owners as text, and runs none of them', async () => {
    const { page } = await open(`${base}?refresh=0`);
    const section = page.locator('#version-hostile');
    assert.equal(
      await section.locator('dd code').first().textContent(),
      `${'kubeflow/manifests'}@${HOSTILE.branch}`,
    );
    assert.equal(
      await section
        .locator('ul.leases li')
        .textContent()
        .then((t) => t?.startsWith(HOSTILE.owner)),
      true,
    );
    const push = await section.locator('g.push title').textContent();
    assert.ok(push?.includes(HOSTILE.message), push ?? '');
    const { page: history } = await open(`${base}versions/hostile?refresh=0`);
    assert.equal(await history.locator('span.message').textContent(), HOSTILE.message);
    assert.equal(await history.locator('td.owner').textContent(), HOSTILE.owner);
    for (const shown of [page, history]) {
      assert.equal(await shown.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
      assert.equal(await shown.locator('img').count(), 0);
    }
    assert.deepEqual(pageErrors, []);
    await history.screenshot({ path: artifactPath('history-hostile'), fullPage: true });
  });

  it('shows the Pipeline line above the versions: the last tick, its problems as text, in warning colours', async () => {
    const health = new FirestoreTickHealthStore(stack.app.firestore);
    await health.writeTickHealth({
      ranAt: new Date(now.getTime() - 2 * 60_000),
      ok: false,
      problems: [
        { step: 'poll', severity: 'error', message: `GitHub could not tell about ${HOSTILE.branch} (403)` },
        {
          step: 'poll',
          severity: 'warning',
          message: 'recorded heads of 1 branch that no webhook delivery had recorded',
        },
      ],
    });
    const { page } = await open(`${base}?refresh=0`);
    const banner = page.locator('#pipeline');
    assert.equal(await banner.getAttribute('data-state'), 'failing');
    const [bannerBox, firstVersion] = await Promise.all([
      banner.boundingBox(),
      page.locator('main section').first().boundingBox(),
    ]);
    assert.ok(
      bannerBox && firstVersion && bannerBox.y + bannerBox.height <= firstVersion.y,
      'above the versions',
    );
    assert.match(
      (await banner.locator('p').textContent()) ?? '',
      /^Pipeline 2 problems Last tick .*\(2 min ago\)\.$/,
    );
    const items = await banner.locator('ul.problems li').allTextContents();
    assert.deepEqual(items, [
      `poll: GitHub could not tell about ${HOSTILE.branch} (403)`,
      'poll: recorded heads of 1 branch that no webhook delivery had recorded',
    ]);
    // Red for the failing tick, amber for the warning: the colours the page uses for states.
    assert.equal(await banner.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 235, 233)');
    assert.equal(
      await banner.locator('li.warning').evaluate((el) => getComputedStyle(el).color),
      'rgb(154, 103, 0)',
    );
    assert.equal(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), undefined);
    assert.deepEqual(pageErrors, []);
    await banner.screenshot({ path: artifactPath('pipeline-failing') });
  });

  it('lists the state changes of every deployment on the history page, reached from the status page', async () => {
    const { page } = await open(`${base}?refresh=0`);
    await page.locator('#version-master a.history').click();
    await page.waitForURL(/\/deploymentStatus\/versions\/master\?refresh=0$/);
    const articles = page.locator('article');
    assert.equal(await articles.count(), MASTER_INSTANCES.length);
    const newestFirst = await articles.evaluateAll((nodes) =>
      nodes.map((node) => node.getAttribute('data-instance')),
    );
    assert.deepEqual(
      newestFirst,
      [...MASTER_INSTANCES].reverse().map((seeded) => instanceName(seeded, now)),
    );
    for (const seeded of MASTER_INSTANCES) {
      const article = page.locator(`article[data-instance="${instanceName(seeded, now)}"]`);
      const states = await article
        .locator('table.states tbody tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state')));
      assert.deepEqual(
        states,
        seeded.life.map(([status]) => status),
        seeded.suffix,
      );
      if (seeded.collected)
        assert.match((await article.textContent()) ?? '', new RegExp(`Why collected${seeded.collected}`));
    }
    const retried = page.locator(
      `article[data-instance="${instanceName(MASTER_INSTANCES[3] as SeededInstance, now)}"]`,
    );
    assert.match(
      (await retried.textContent()) ?? '',
      /Why launcheda retry after a failed launch of the commit/,
    );
    await page.screenshot({ path: artifactPath('history-page'), fullPage: true });
    await page.locator('#status-page').click();
    await page.waitForURL(/\/deploymentStatus\/\?refresh=0$/);
  });

  it('fits a phone-wide screen: the tables scroll sideways in their own box, the page does not', async () => {
    for (const path of ['?refresh=0', 'versions/master?refresh=0']) {
      const { page } = await open(`${base}${path}`, { viewport: { width: 400, height: 800 } });
      const [scrollWidth, clientWidth] = await page.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
      ]);
      assert.ok(
        scrollWidth <= clientWidth,
        `${path}: the page is ${scrollWidth} px wide in a ${clientWidth} px screen`,
      );
      const widest = await page
        .locator('table')
        .evaluateAll((tables) => Math.max(...tables.map((table) => table.scrollWidth - table.clientWidth)));
      assert.ok(widest > 0, `${path}: a table wider than the screen scrolls within itself`);
      await page.screenshot({
        path: artifactPath(`narrow-${path.startsWith('versions') ? 'history' : 'status'}`),
      });
    }
    assert.deepEqual(pageErrors, []);
  });

  it('copies the get-credentials command to the clipboard with the copy button', async () => {
    const { page, context } = await open(`${base}?refresh=0`);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    const instance = instanceName(MASTER_INSTANCES[4] as SeededInstance, now);
    const row = page.locator('#version-master tr', { has: page.locator(`code:text-is("${instance}")`) });
    const button = row.locator('button.copy');
    await button.click();
    // The script answers when the clipboard took the text (or refused it).
    await row.locator('button.copy:text-matches("^Cop(ied|y failed)$")').waitFor({ timeout: 10_000 });
    assert.equal(await button.textContent(), 'Copied');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), credentialsCommand(instance));
  });

  it('works without JavaScript: no copy button, a meta refresh, and links to switch it off and on', async () => {
    const { page } = await open(base, { javaScriptEnabled: false });
    assert.equal(await page.locator('meta[http-equiv="refresh"]').getAttribute('content'), '60');
    assert.equal(await page.locator('button.copy').first().isVisible(), false);
    assert.equal(await page.locator('#version-master g.bar').count(), MASTER_INSTANCES.length);
    const instance = instanceName(HOSTILE_INSTANCES[0] as SeededInstance, now);
    assert.equal(await page.locator(`code:text-is("${credentialsCommand(instance)}")`).count(), 1);
    await page.locator('#refresh-off').click();
    await page.waitForURL(/\?refresh=0$/);
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
    await page.locator('#refresh-on').click();
    await page.waitForURL((url) => url.search === '');
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 1);
  });
});

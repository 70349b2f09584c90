/** The status page's Pipeline line (core/health-banner.ts) for each state of the health. */
import assert from 'node:assert/strict';
import { healthBanner } from '../../functions/core/health-banner.js';
import { viewTickHealth } from '../../functions/core/health-view.js';
import type { TickHealth } from '../../functions/core/tick-health.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

describe('healthBanner', () => {
  const cases: Array<{ name: string; last: TickHealth | null; tone: string; advice: boolean; text: RegExp }> =
    [
      { name: 'no tick yet', last: null, tone: 'gone', advice: true, text: /no tick recorded yet/ },
      {
        name: 'ok',
        last: { ranAt: minutesAgo(2), ok: true, problems: [] },
        tone: 'good',
        advice: false,
        text: /tone-good">ok<\/span> Last tick <time datetime="2026-11-30T11:58:00.000Z"[^>]*>11:58 UTC \(2 min ago\)<\/time>\./,
      },
      {
        name: 'a warning',
        last: {
          ranAt: minutesAgo(2),
          ok: true,
          problems: [{ step: 'poll', severity: 'warning', message: 'w' }],
        },
        tone: 'busy',
        advice: false,
        text: /<li class="warning" data-step="poll"><code>poll<\/code>: w<\/li>/,
      },
      {
        name: 'failing, the message escaped',
        last: {
          ranAt: minutesAgo(2),
          ok: false,
          problems: [{ step: 'plan', severity: 'error', message: '<b>x</b>' }],
        },
        tone: 'bad',
        advice: false,
        text: /<li class="error" data-step="plan"><code>plan<\/code>: &lt;b&gt;x&lt;\/b&gt;<\/li>/,
      },
      {
        name: 'stale',
        last: { ranAt: minutesAgo(42), ok: true, problems: [] },
        tone: 'bad',
        advice: true,
        text: /no tick for 42 min \(expected every 5 min\)/,
      },
    ];
  for (const { name, last, tone, advice, text } of cases) {
    it(name, () => {
      const banner = healthBanner(viewTickHealth(last, NOW), NOW).value;
      assert.match(banner, new RegExp(`<span class="status tone-${tone}">`));
      assert.match(banner, text);
      assert.equal(banner.includes('gcloud scheduler jobs run auto-deploy-tick'), advice);
    });
  }

  it("advises the deployment's own command (TICK_COMMAND) when it has one, escaped", () => {
    const command = 'gcloud scheduler jobs run kf-tick --location=us-east1 --project=p&q';
    const banner = healthBanner(viewTickHealth(null, NOW, command), NOW).value;
    assert.ok(
      banner.includes('gcloud scheduler jobs run kf-tick --location=us-east1 --project=p&amp;q'),
      banner,
    );
    assert.ok(!banner.includes('<region>') && !banner.includes('&lt;region&gt;'));
  });
});

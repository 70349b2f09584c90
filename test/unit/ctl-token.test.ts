/** `npm run ctl`'s identity token and its tables (scripts/ctl/token.ts, tables.ts): no network, no gcloud. */
import assert from 'node:assert/strict';
import { formatTable, pipelineLines, planText, statusText } from '../../scripts/ctl/tables.js';
import { isLoopbackUrl, TokenError, tokenSource } from '../../scripts/ctl/token.js';

describe('ctl: which URLs are on this machine', () => {
  const cases: Array<[string, boolean]> = [
    ['http://127.0.0.1:8080/deploymentStatus', true],
    ['http://127.1.2.3:8080/x', true],
    ['http://localhost:8080/x', true],
    ['http://[::1]:8080/x', true],
    ['https://us-central1-p.cloudfunctions.net/deploymentStatus', false],
    ['https://deploymentstatus-123.a.run.app', false],
    ['http://127.0.0.1.example.com/x', false],
    ['not a url', false],
  ];
  for (const [url, expected] of cases) {
    it(`${url}: ${expected ? 'local' : 'remote'}`, () => assert.equal(isLoopbackUrl(url), expected));
  }
});

describe('ctl: the identity token', () => {
  const remote = 'https://deploymentstatus-123.a.run.app';
  function gcloud(answer: string | Error) {
    const calls: string[][] = [];
    const run = async (command: string, args: readonly string[]) => {
      calls.push([command, ...args]);
      if (answer instanceof Error) throw answer;
      return answer;
    };
    return { calls, run };
  }

  it('AUTO_DEPLOY_ID_TOKEN wins, local or not; gcloud is not run', async () => {
    const { calls, run } = gcloud('from-gcloud');
    assert.equal(await tokenSource(remote, { AUTO_DEPLOY_ID_TOKEN: ' given ' }, run)(true), 'given');
    assert.equal(
      await tokenSource('http://127.0.0.1:1/x', { AUTO_DEPLOY_ID_TOKEN: 'given' }, run)(true),
      'given',
    );
    assert.deepEqual(calls, []);
  });

  it('the local stack: no token, gcloud not run', async () => {
    const { calls, run } = gcloud('from-gcloud');
    assert.equal(await tokenSource('http://127.0.0.1:8080/deploymentStatus', {}, run)(true), null);
    assert.deepEqual(calls, []);
  });

  it('a remote URL: gcloud auth print-identity-token, asked once for every call', async () => {
    const { calls, run } = gcloud('eyJ.token.sig\n');
    const token = tokenSource(remote, {}, run);
    assert.equal(await token(false), 'eyJ.token.sig');
    assert.equal(await token(true), 'eyJ.token.sig');
    assert.deepEqual(calls, [['gcloud', 'auth', 'print-identity-token']]);
  });

  it('gcloud failing: a read goes without a token; a change is a TokenError saying how to fix it', async () => {
    const { run } = gcloud(new Error('gcloud: command not found'));
    const token = tokenSource(remote, {}, run);
    assert.equal(await token(false), null);
    await assert.rejects(token(true), (err: unknown) => {
      assert.ok(err instanceof TokenError);
      assert.match(err.message, /gcloud: command not found\n.*AUTO_DEPLOY_ID_TOKEN/);
      return true;
    });
  });
});

describe('ctl: tables', () => {
  it('pads every column but the last to its widest cell', () => {
    assert.equal(
      formatTable([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'the rest'],
      ]),
      'A    BB  C\naaa  b   the rest',
    );
  });

  it('the plan: the drain first, who paused a version, the rule that keeps an instance', () => {
    const text = planText({
      at: '2026-11-30T10:00:00.000Z',
      drain: { drained: true, reason: 'incident', by: 'bob@example.com', at: '2026-11-30T09:00:00.000Z' },
      versions: [
        { version: 'v1', kind: 'wait', text: 'paused', paused: { reason: 'flaky', by: 'alice@example.com' } },
      ],
      instances: [
        {
          instance: 'kf-v1-1',
          status: 'ready',
          verdict: 'keep',
          rule: 'leased',
          reason: 'leased by ci#7 until 10:30 UTC',
        },
      ],
      requests: [],
    });
    assert.match(text, /^DRAINED since 2026-11-30 09:00 UTC by bob@example.com: incident$/m);
    assert.match(text, /^v1 +wait +paused \(by alice@example.com: flaky\)$/m);
    assert.match(text, /^kf-v1-1 +ready +keep \(leased\) +leased by ci#7 until 10:30 UTC$/m);
    assert.match(text, /^no requests$/m);
  });

  it('the status: the Pipeline line first, each problem of the last tick on a line of its own', () => {
    const failing = {
      state: 'failing',
      summary: '2 problems',
      lastTick: {
        ranAt: '2026-11-30T10:05:00.000Z',
        ok: true,
        problems: [
          { step: 'poll', severity: 'error', message: 'GitHub answered 403 (rate limited)' },
          { step: 'plan', severity: 'warning', message: 'recorded heads of 1 branch' },
        ],
      },
      runTick: 'gcloud scheduler jobs run auto-deploy-tick --location=<region>',
    };
    const text = statusText(
      [{ name: 'v1', paused: false, head: null, decision: { text: 'no commit' } }],
      [],
      failing,
    );
    assert.deepEqual(text.split('\n').slice(0, 4), [
      'PIPELINE  2 problems (last tick 2026-11-30 10:05 UTC)',
      '  poll (error): GitHub answered 403 (rate limited)',
      '  plan (warning): recorded heads of 1 branch',
      '',
    ]);
    assert.match(text, /^v1 +- +- +no commit$/m);
  });

  it('the Pipeline line: how to run a tick when none ran (unknown) or none lately (stale), not when ok', () => {
    const runTick = 'gcloud scheduler jobs run auto-deploy-tick --location=<region>';
    assert.deepEqual(
      pipelineLines({ state: 'unknown', summary: 'no tick recorded yet', lastTick: null, runTick }),
      ['PIPELINE  no tick recorded yet', `  to run one now: ${runTick}`],
    );
    const lastTick = { ranAt: '2026-11-30T09:00:00.000Z', ok: true, problems: [] };
    assert.equal(
      pipelineLines({ state: 'stale', summary: 'no tick for 1 h', lastTick, runTick })[1],
      `  to run one now: ${runTick}`,
    );
    assert.deepEqual(pipelineLines({ state: 'ok', summary: 'ok', lastTick, runTick }), [
      'PIPELINE  ok (last tick 2026-11-30 09:00 UTC)',
    ]);
  });
});

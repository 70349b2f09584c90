/** The tick's health record (core/tick-health.ts) and how a reader sees it (core/health-view.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  healthToJson,
  STALE_AFTER_MINUTES,
  TICK_INTERVAL_MINUTES,
  viewTickHealth,
} from '../../functions/core/health-view.js';
import {
  branchDetail,
  branchOfKey,
  type HealthProblem,
  MAX_HEALTH_PROBLEMS,
  MAX_PROBLEM_CHARS,
  type TickOutcome,
  tickHealthOf,
} from '../../functions/core/tick-health.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const OK = { ok: true };

/** A tick whose steps all worked, with `changes` applied. */
function tick(changes: Partial<TickOutcome> = {}): TickOutcome {
  const base: TickOutcome = {
    ok: true,
    poll: { ok: true, recorded: [], failed: [] },
    refresh: OK,
    inventory: OK,
    verify: OK,
    leases: OK,
    cleanJobs: { ok: true, failed: [] },
    plan: { ok: true, enqueueFailed: [] },
    github: { ok: true, failed: [] },
  };
  const merged = { ...base, ...changes };
  const steps = [
    merged.poll,
    merged.refresh,
    merged.inventory,
    merged.verify,
    merged.leases,
    merged.cleanJobs,
    merged.plan,
    merged.github,
  ];
  return { ...merged, ok: steps.every((step) => step.ok) };
}

const RATE_LIMITED =
  'GET https://api.github.com/repos/kubeflow/manifests/commits/master answered 403 (API rate limit exceeded): rate limit exhausted, resets at 2026-11-30T13:00:00.000Z.';

describe('tickHealthOf', () => {
  const cases: Array<{ name: string; report: TickOutcome; ok: boolean; problems: HealthProblem[] }> = [
    { name: 'every step worked: ok, no problems', report: tick(), ok: true, problems: [] },
    {
      name: 'GitHub refused the poll of a branch: one problem naming the branch and why; heads kept',
      report: tick({
        poll: {
          ok: false,
          recorded: [],
          failed: ['kubeflow:manifests:master'],
          error: `poll failed for 1 of 2 branches: kubeflow:manifests:master: ${RATE_LIMITED}`,
        },
      }),
      ok: false,
      problems: [
        {
          step: 'poll',
          severity: 'error',
          message: `GitHub could not tell about kubeflow/manifests@master (${RATE_LIMITED}); the recorded heads are kept`,
        },
      ],
    },
    {
      name: 'the poll recorded heads no delivery had: a warning, the tick still ok',
      report: tick({
        poll: {
          ok: true,
          recorded: ['kubeflow:manifests:master', 'kubeflow:manifests:release%2F1.0'],
          failed: [],
        },
      }),
      ok: true,
      problems: [
        {
          step: 'poll',
          severity: 'warning',
          message:
            'recorded heads of 2 branches that no webhook delivery had recorded (kubeflow/manifests@master, kubeflow/manifests@release/1.0): a delivery was lost or refused, or the branch had no push since it was followed',
        },
      ],
    },
    {
      name: 'a fanned-out poll whose tasks could not be queued',
      report: tick({
        poll: {
          ok: false,
          recorded: [],
          failed: ['a:b:c'],
          fannedOut: 0,
          queueError: 'UNAVAILABLE',
          error: 'could not queue the poll of 1 branches: UNAVAILABLE',
        },
      }),
      ok: false,
      problems: [
        {
          step: 'poll',
          severity: 'error',
          message: 'could not queue the poll of 1 branch (UNAVAILABLE); the next tick retries',
        },
      ],
    },
    {
      name: 'poll tasks that could not be queued and others that failed since: the queue error once, the failures on their own lines',
      report: tick({
        poll: {
          ok: false,
          recorded: [],
          failed: ['a:b:c'],
          fannedOut: 119,
          queueError: 'UNAVAILABLE',
          taskFailures: [{ key: 'kubeflow:manifests:master', error: 'GitHub answered 502' }],
          error:
            'could not queue the poll of 1 branches: UNAVAILABLE; the poll tasks of 1 branches could not ask GitHub since the last tick',
        },
      }),
      ok: false,
      problems: [
        {
          step: 'poll',
          severity: 'error',
          message: 'could not queue the poll of 1 branch (UNAVAILABLE); the next tick retries',
        },
        {
          step: 'poll',
          severity: 'error',
          message:
            'the poll task of kubeflow/manifests@master could not ask GitHub (GitHub answered 502); the recorded heads are kept',
        },
      ],
    },
    {
      name: 'fanned-out poll tasks that could not ask GitHub since the last tick: one line per branch',
      report: tick({
        poll: {
          ok: false,
          recorded: [],
          failed: [],
          fannedOut: 120,
          taskFailures: [
            { key: 'kubeflow:manifests:master', error: 'GitHub answered 403: rate limit exceeded' },
          ],
          error: 'the poll tasks of 1 branches could not ask GitHub since the last tick',
        },
      }),
      ok: false,
      problems: [
        {
          step: 'poll',
          severity: 'error',
          message:
            'the poll task of kubeflow/manifests@master could not ask GitHub (GitHub answered 403: rate limit exceeded); the recorded heads are kept',
        },
      ],
    },
    {
      name: 'Cloud Tasks refused a request: the plan says so (the tick itself is ok: the request stays pending)',
      report: tick({ plan: { ok: true, enqueueFailed: ['deploy-master-abc'] } }),
      ok: true,
      problems: [
        {
          step: 'plan',
          severity: 'error',
          message: 'could not queue 1 request; they stay pending and the next tick retries',
        },
      ],
    },
    {
      name: 'a step that threw: `<step>: failed: <error>`',
      report: tick({ refresh: { ok: false, error: 'the cluster is unreachable' } }),
      ok: false,
      problems: [{ step: 'refresh', severity: 'error', message: 'failed: the cluster is unreachable' }],
    },
    {
      name: 'Jobs not deleted and GitHub statuses not posted',
      report: tick({
        cleanJobs: { ok: false, failed: ['job-1', 'job-2'], error: 'job-1: 500' },
        github: { ok: true, failed: ['kf-master-1'], error: 'GitHub answered 502' },
      }),
      ok: false,
      problems: [
        {
          step: 'cleanJobs',
          severity: 'error',
          message: 'could not delete 2 Jobs: job-1: 500; the next tick retries',
        },
        {
          step: 'github',
          severity: 'warning',
          message: 'could not tell GitHub about 1 deployment: GitHub answered 502; the next tick retries',
        },
      ],
    },
  ];
  for (const { name, report, ok, problems } of cases) {
    it(name, () => assert.deepEqual(tickHealthOf(report, NOW), { ranAt: NOW, ok, problems }));
  }

  it('names a few failed branches, each with its own error, and counts the rest', () => {
    const failed = ['o:r:a', 'o:r:b', 'o:r:c', 'o:r:d', 'o:r:e'];
    const error = `poll failed for 5 of 5 branches: ${failed.map((key) => `${key}: ${key} down; really`).join('; ')}`;
    const health = tickHealthOf(tick({ poll: { ok: false, recorded: [], failed, error } }), NOW);
    assert.deepEqual(
      health.problems.map((problem) => problem.message),
      [
        'GitHub could not tell about o/r@a (o:r:a down; really); the recorded heads are kept',
        'GitHub could not tell about o/r@b (o:r:b down; really); the recorded heads are kept',
        'GitHub could not tell about o/r@c (o:r:c down; really); the recorded heads are kept',
        'GitHub could not tell about 2 more branches; the recorded heads are kept',
      ],
    );
  });

  it(`keeps at most ${MAX_HEALTH_PROBLEMS} problems of at most ${MAX_PROBLEM_CHARS} characters each`, () => {
    const huge = 'x'.repeat(10_000);
    const threw = { ok: false, error: huge };
    const health = tickHealthOf(
      tick({
        poll: { ok: false, recorded: ['o:r:z'], failed: ['o:r:a', 'o:r:b', 'o:r:c', 'o:r:d'], error: huge },
        refresh: threw,
        inventory: threw,
        verify: threw,
        leases: threw,
        cleanJobs: threw,
        plan: threw,
        github: threw,
      }),
      NOW,
    );
    // 12 problems: 3 branches named, 1 counting the rest, 1 recovery, 7 steps that threw.
    assert.equal(health.problems.length, MAX_HEALTH_PROBLEMS);
    assert.ok(health.problems.every((problem) => problem.message.length <= MAX_PROBLEM_CHARS));
    assert.deepEqual(health.problems.at(-1), {
      step: 'tick',
      severity: 'error',
      message: "and 3 more problems (see the tick's log)",
    });
    assert.ok(JSON.stringify(health).length < 5_000, 'the record stays small');
  });
});

describe('branchOfKey and branchDetail', () => {
  const keys: Array<[string, string]> = [
    ['kubeflow:manifests:master', 'kubeflow/manifests@master'],
    ['kubeflow:manifests:release%2F1.0%25', 'kubeflow/manifests@release/1.0%'],
    ['not-a-key', 'not-a-key'],
  ];
  for (const [key, expected] of keys)
    it(`${key} -> ${expected}`, () => assert.equal(branchOfKey(key), expected));

  it('cuts a branch message at the next failed branch, and answers null when the error does not name it', () => {
    const error = 'poll failed for 2 of 2 branches: o:r:a: boom; retry; o:r:b: bang';
    assert.equal(branchDetail(error, 'o:r:a', ['o:r:a', 'o:r:b']), 'boom; retry');
    assert.equal(branchDetail(error, 'o:r:b', ['o:r:a', 'o:r:b']), 'bang');
    assert.equal(branchDetail(error, 'o:r:c', ['o:r:c']), null);
    assert.equal(branchDetail(undefined, 'o:r:a', ['o:r:a']), null);
  });
});

describe('viewTickHealth', () => {
  const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
  const warning: HealthProblem = { step: 'poll', severity: 'warning', message: 'recorded heads of 1 branch' };
  const error: HealthProblem = { step: 'plan', severity: 'error', message: 'could not queue 1 request' };
  const cases: Array<{
    name: string;
    ranAt: Date | null;
    ok?: boolean;
    problems?: HealthProblem[];
    state: string;
    summary: string;
  }> = [
    { name: 'no tick recorded yet', ranAt: null, state: 'unknown', summary: 'no tick recorded yet' },
    { name: 'a recent tick without problems', ranAt: minutesAgo(4), state: 'ok', summary: 'ok' },
    {
      name: 'a recent tick with a warning',
      ranAt: minutesAgo(4),
      problems: [warning],
      state: 'warning',
      summary: 'ok, 1 warning',
    },
    {
      name: 'an error, even when the tick answered 200',
      ranAt: minutesAgo(4),
      problems: [warning, error],
      state: 'failing',
      summary: '2 problems',
    },
    { name: 'a failed tick', ranAt: minutesAgo(4), ok: false, state: 'failing', summary: 'the tick failed' },
    {
      name: `exactly ${STALE_AFTER_MINUTES} min old: not stale yet`,
      ranAt: minutesAgo(STALE_AFTER_MINUTES),
      state: 'ok',
      summary: 'ok',
    },
    {
      name: 'older than three intervals: stale, whatever it said',
      ranAt: minutesAgo(STALE_AFTER_MINUTES + 1),
      problems: [error],
      state: 'stale',
      summary: 'no tick for 16 min (expected every 5 min)',
    },
    {
      name: 'hours old',
      ranAt: minutesAgo(125),
      state: 'stale',
      summary: 'no tick for 2 h 5 min (expected every 5 min)',
    },
    {
      name: 'ahead of the reader (a clock skew): not stale',
      ranAt: minutesAgo(-3),
      state: 'ok',
      summary: 'ok',
    },
  ];
  for (const { name, ranAt, ok = true, problems = [], state, summary } of cases) {
    it(name, () => {
      const view = viewTickHealth(ranAt ? { ranAt, ok, problems } : null, NOW);
      assert.deepEqual([view.state, view.summary], [state, summary]);
    });
  }

  it('api/health: ISO times, the interval and the staleness it is judged by, how to run a tick', () => {
    const json = healthToJson(viewTickHealth({ ranAt: minutesAgo(7), ok: true, problems: [warning] }, NOW));
    assert.deepEqual(json, {
      state: 'warning',
      summary: 'ok, 1 warning',
      lastTick: { ranAt: '2026-11-30T11:53:00.000Z', ok: true, problems: [warning] },
      minutesSinceLastTick: 7,
      tickIntervalMinutes: 5,
      staleAfterMinutes: 15,
      runTick: 'gcloud scheduler jobs run auto-deploy-tick --location=<region>',
    });
  });

  it("api/health: the deployment's own command to run a tick, when it has one (TICK_COMMAND)", () => {
    assert.equal(healthToJson(viewTickHealth(null, NOW, 'npm run tick')).runTick, 'npm run tick');
  });

  it('the tick interval is the one Cloud Scheduler runs (infra/scheduler.tf)', () => {
    const tf = readFileSync(new URL('../../infra/scheduler.tf', import.meta.url), 'utf8');
    assert.match(tf, new RegExp(`schedule\\s*=\\s*"\\*/${TICK_INTERVAL_MINUTES} \\* \\* \\* \\*"`));
  });
});

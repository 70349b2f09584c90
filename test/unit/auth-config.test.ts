/** The auth settings from the environment (config/environment.ts, config/auth-settings.ts). */
import assert from 'node:assert/strict';
import type { AuthSettings } from '../../functions/config/auth-settings.js';
import { readEnvironment } from '../../functions/config/environment.js';

const TICK_SA = 'auto-deploy-scheduler@p.iam.gserviceaccount.com';
const TASKS_SA = 'auto-deploy-tasks@p.iam.gserviceaccount.com';
const TICK_URL = 'https://schedulertick-123.us-central1.run.app';
const WORKER_URL = 'https://deployworker-123.us-central1.run.app';
const STATUS_URL = 'https://deploymentstatus-123.us-central1.run.app';

/** Everything production sets (Terraform), for every function. */
const PRODUCTION: NodeJS.ProcessEnv = {
  GOOGLE_CLOUD_PROJECT: 'p',
  AUTH_MODE: 'required',
  SCHEDULER_SERVICE_ACCOUNT: TICK_SA,
  SCHEDULER_TICK_URL: TICK_URL,
  TASKS_SERVICE_ACCOUNT: TASKS_SA,
  TASKS_QUEUE: 'projects/p/locations/us-central1/queues/auto-deploy',
  DEPLOY_WORKER_URL: WORKER_URL,
  STATUS_URL,
  ALLOWED_PRINCIPALS: 'alice@example.com,domain:kubeflow.org',
};

function authOf(env: NodeJS.ProcessEnv): AuthSettings {
  const read = readEnvironment(env);
  assert.ok(read.ok, read.ok ? '' : read.problems.join('\n'));
  return read.settings.auth;
}

function without(...names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(PRODUCTION).filter(([name]) => !names.includes(name)));
}

function problemOf(settings: object): string {
  assert.ok('problem' in settings, `expected a problem, got ${JSON.stringify(settings)}`);
  return String(settings.problem);
}

describe('auth settings', () => {
  it('reads what production sets: each function its account, queue and audience', () => {
    assert.deepEqual(authOf(PRODUCTION), {
      mode: 'required',
      schedulerTick: { audiences: [TICK_URL], requirement: { kind: 'service-account', email: TICK_SA } },
      deployWorker: {
        audiences: [WORKER_URL],
        requirement: { kind: 'service-account', email: TASKS_SA, queueId: 'auto-deploy' },
      },
      deploymentStatus: {
        audiences: [STATUS_URL],
        allowList: { emails: ['alice@example.com'], domains: ['kubeflow.org'] },
        isPrivate: false,
      },
    });
  });

  it('is required when AUTH_MODE is unset or blank: a forgotten setting is not open', () => {
    for (const mode of [undefined, '', '  ']) {
      const auth = authOf({ ...PRODUCTION, AUTH_MODE: mode });
      assert.equal(auth.mode, 'required', JSON.stringify(mode));
    }
  });

  it('is off only when AUTH_MODE says so (any case), whatever else is missing', () => {
    assert.deepEqual(authOf({ GOOGLE_CLOUD_PROJECT: 'p', AUTH_MODE: 'OFF' }), { mode: 'off' });
  });

  it('rejects another AUTH_MODE, naming it', () => {
    const read = readEnvironment({ ...PRODUCTION, AUTH_MODE: 'disabled' });
    assert.ok(!read.ok);
    assert.ok(
      read.problems.some((problem) => /AUTH_MODE: must be required or off.*"disabled"/.test(problem)),
    );
  });

  it('rejects malformed principals, accounts and URLs, each named', () => {
    const read = readEnvironment({
      ...PRODUCTION,
      ALLOWED_PRINCIPALS: 'alice@example.com, group:team@example.com',
      SCHEDULER_SERVICE_ACCOUNT: 'scheduler',
      STATUS_URL: 'status',
      STATUS_PRIVATE: 'yes',
    });
    assert.ok(!read.ok);
    const all = read.problems.join('\n');
    for (const name of [
      'ALLOWED_PRINCIPALS',
      'group:team@example.com',
      'SCHEDULER_SERVICE_ACCOUNT',
      'STATUS_URL',
      'STATUS_PRIVATE',
    ]) {
      assert.ok(all.includes(name), `${name} not named in:\n${all}`);
    }
  });

  const missing: Array<{
    name: string;
    unset: string[];
    fn: 'schedulerTick' | 'deployWorker' | 'deploymentStatus';
    named: string[];
  }> = [
    {
      name: "the scheduler's account",
      unset: ['SCHEDULER_SERVICE_ACCOUNT'],
      fn: 'schedulerTick',
      named: ['SCHEDULER_SERVICE_ACCOUNT'],
    },
    {
      name: "the tick's URL",
      unset: ['SCHEDULER_TICK_URL'],
      fn: 'schedulerTick',
      named: ['SCHEDULER_TICK_URL'],
    },
    {
      name: "the tasks' account",
      unset: ['TASKS_SERVICE_ACCOUNT'],
      fn: 'deployWorker',
      named: ['TASKS_SERVICE_ACCOUNT'],
    },
    {
      name: 'the queue and the URL',
      unset: ['TASKS_QUEUE', 'DEPLOY_WORKER_URL'],
      fn: 'deployWorker',
      named: ['TASKS_QUEUE', 'DEPLOY_WORKER_URL'],
    },
    { name: "the status page's URL", unset: ['STATUS_URL'], fn: 'deploymentStatus', named: ['STATUS_URL'] },
  ];
  for (const testCase of missing) {
    it(`without ${testCase.name}, ${testCase.fn} has a problem naming what to set; the others are ready`, () => {
      const auth = authOf(without(...testCase.unset));
      assert.equal(auth.mode, 'required');
      assert.ok(auth.mode === 'required');
      const problem = problemOf(auth[testCase.fn]);
      assert.match(problem, new RegExp(`^AUTH_MODE=required: ${testCase.fn} needs`));
      for (const name of testCase.named) assert.ok(problem.includes(name), problem);
      assert.match(problem, /AUTH_MODE=off/);
      for (const other of ['schedulerTick', 'deployWorker', 'deploymentStatus'] as const) {
        if (other !== testCase.fn)
          assert.ok(!('problem' in auth[other]), `${other}: ${JSON.stringify(auth[other])}`);
      }
    });
  }

  it('a private status page needs ALLOWED_PRINCIPALS, or nobody could read it', () => {
    const auth = authOf({ ...without('ALLOWED_PRINCIPALS'), STATUS_PRIVATE: 'true' });
    assert.ok(auth.mode === 'required');
    assert.match(
      problemOf(auth.deploymentStatus),
      /STATUS_PRIVATE=true: deploymentStatus needs ALLOWED_PRINCIPALS/,
    );
  });

  it('a public status page without ALLOWED_PRINCIPALS serves its reads and lets nobody change anything', () => {
    const auth = authOf(without('ALLOWED_PRINCIPALS'));
    assert.ok(auth.mode === 'required');
    assert.deepEqual(auth.deploymentStatus, {
      audiences: [STATUS_URL],
      allowList: { emails: [], domains: [] },
      isPrivate: false,
    });
  });

  it('deploymentStatus also accepts STATUS_EXTRA_AUDIENCES (e.g. gcloud user tokens)', () => {
    const auth = authOf({
      ...PRODUCTION,
      STATUS_PRIVATE: 'TRUE',
      STATUS_EXTRA_AUDIENCES: ' 32555940559.apps.googleusercontent.com, ',
    });
    assert.ok(auth.mode === 'required');
    assert.deepEqual(auth.deploymentStatus, {
      audiences: [STATUS_URL, '32555940559.apps.googleusercontent.com'],
      allowList: { emails: ['alice@example.com'], domains: ['kubeflow.org'] },
      isPrivate: true,
    });
  });
});

/**
 * Jobs that finish by themselves (`jobSeconds`, for `npm start`) and the `onJobFinished` hook the
 * local stack drives its other fakes with. Time is driven with fake timers and a fake clock, except
 * in one case with a tiny real delay (awaited through the hook, never a sleep).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKubeJobLauncher, loadKubeConfig } from '../../functions/adapters/kube-jobs.js';
import {
  type JobOutcome,
  type JobTimers,
  type KubeJob,
  type KubeServer,
  KubeServerError,
  kubeConfigForLocalServer,
  startKubeServer,
} from '../../scripts/kube-server/server.js';
import { COLD_START_TEST_TIMEOUT_MS } from '../support/cold-start.js';
import { eventually, requestKubeServer } from '../support/kube.js';

const NS = 'auto-deploy';
const START = new Date('2026-03-01T12:00:00Z');
const CLI_PATH = fileURLToPath(new URL('../../scripts/kube-server/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Timers that only fire when the test says so. */
class FakeTimers implements JobTimers {
  private next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { callback, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires one pending timer. */
  fire(handle: number): void {
    const timer = this.pending.get(handle);
    this.pending.delete(handle);
    timer?.callback();
  }

  /** Fires every pending timer. */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const { callback } of due) callback();
  }
}

function jobBody(metadata: Record<string, unknown>, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    metadata,
    spec: {
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'deploy', image: 'busybox' }] } },
    },
  });
}

describe('local kube server: Jobs that finish by themselves, and onJobFinished', () => {
  let server: KubeServer;
  let timers: FakeTimers;
  let clock: Date;
  let finished: Array<{ name: string; outcome: JobOutcome; job: KubeJob }>;
  let unsubscribe: () => void;

  const create = async (
    metadata: Record<string, unknown>,
    spec?: Record<string, unknown>,
  ): Promise<KubeJob> => {
    const response = await requestKubeServer(server, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      token: server.token,
      body: jobBody(metadata, spec),
    });
    assert.equal(response.status, 201, response.text);
    return JSON.parse(response.text) as KubeJob;
  };
  const current = (name: string) => server.getJob(NS, name) as KubeJob;

  describe('with jobSeconds: 30 and fake timers', () => {
    before(async () => {
      timers = new FakeTimers();
      server = await startKubeServer({ jobSeconds: 30, timers, now: () => clock });
    });
    after(async () => {
      await server.stop();
    });
    beforeEach(() => {
      server.reset();
      clock = START;
      finished = [];
      unsubscribe = server.onJobFinished((job, outcome) => {
        finished.push({ name: job.metadata.name, outcome, job });
      });
    });
    afterEach(() => unsubscribe());

    it('starts a Job when it is created and completes it 30 s later, like a Job that succeeded', async () => {
      const created = await create({ name: 'deploy-1' });
      assert.deepEqual(
        created.status,
        {},
        'the create answer is the Job before it runs, as on a real cluster',
      );
      assert.deepEqual(current('deploy-1').status, { startTime: '2026-03-01T12:00:00Z', active: 1 });
      assert.deepEqual(
        [...timers.pending.values()].map((timer) => timer.ms),
        [30_000],
      );
      assert.equal(finished.length, 0);

      clock = new Date(START.getTime() + 30_000);
      timers.fireAll();
      const status = current('deploy-1').status;
      assert.equal(status.succeeded, 1);
      assert.equal(status.active, undefined);
      assert.equal(status.completionTime, '2026-03-01T12:00:30Z');
      assert.deepEqual(
        status.conditions?.map((condition) => [condition.type, condition.status]),
        [['Complete', 'True']],
      );
      assert.deepEqual(
        finished.map((event) => [event.name, event.outcome]),
        [['deploy-1', 'Complete']],
      );
      assert.deepEqual(finished[0]?.job, current('deploy-1'), 'the listener gets the Job as finished');
    });

    it('leaves a Job finished by hand alone, and announces it once, with its outcome', async () => {
      await create({ name: 'failed-first' });
      server.failJob(NS, 'failed-first', 'kfctl apply failed');
      timers.fireAll();
      const conditions = current('failed-first').status.conditions ?? [];
      assert.deepEqual(
        conditions.map((condition) => condition.type),
        ['Failed'],
        'not completed after failing',
      );
      assert.deepEqual(
        finished.map((event) => [event.name, event.outcome]),
        [['failed-first', 'Failed']],
      );
    });

    it('does not complete a Job that was deleted and re-created under the same name meanwhile', async () => {
      await create({ name: 'again' });
      const deleted = await requestKubeServer(
        server,
        'DELETE',
        `/apis/batch/v1/namespaces/${NS}/jobs/again`,
        {
          token: server.token,
        },
      );
      assert.equal(deleted.status, 200);
      const [oldTimer] = timers.pending.keys();
      await create({ name: 'again' });
      timers.fire(oldTimer as number);
      assert.equal(current('again').status.succeeded, undefined, 'the new Job still runs');
      assert.equal(finished.length, 0);
    });

    it('does not run a suspended Job', async () => {
      await create({ name: 'suspended' }, { suspend: true });
      assert.deepEqual(current('suspended').status, {});
      assert.equal(timers.pending.size, 0);
    });

    it('cancels pending completions on reset', async () => {
      await create({ name: 'pending' });
      assert.equal(timers.pending.size, 1);
      server.reset();
      assert.equal(timers.pending.size, 0);
    });
  });

  describe('with the default jobSeconds (0)', () => {
    before(async () => {
      timers = new FakeTimers();
      server = await startKubeServer({ timers, now: () => clock });
    });
    after(async () => {
      await server.stop();
    });
    beforeEach(() => {
      server.reset();
      clock = START;
      finished = [];
    });

    it('leaves Jobs as created, and announces the ones finished through the control API', async () => {
      assert.equal(server.jobSeconds, 0);
      await create({ name: 'driven' });
      assert.deepEqual(current('driven').status, {});
      assert.equal(timers.pending.size, 0);
      const events: string[] = [];
      const stop = server.onJobFinished((job, outcome) => {
        events.push(`${job.metadata.name}:${outcome}`);
      });
      const response = await requestKubeServer(
        server,
        'POST',
        `/_control/namespaces/${NS}/jobs/driven/complete`,
        {
          token: server.token,
        },
      );
      assert.equal(response.status, 200);
      server.completeJob(NS, 'driven');
      stop();
      await create({ name: 'after-unsubscribe' });
      server.completeJob(NS, 'after-unsubscribe');
      assert.deepEqual(events, ['driven:Complete'], 'once per Job, and not after unsubscribing');
    });

    it('logs a listener that throws or rejects, and still answers the control call', async () => {
      const logged: Array<Record<string, unknown>> = [];
      const logging = await startKubeServer({ log: (entry) => logged.push(entry) });
      try {
        logging.onJobFinished(() => {
          throw new Error('listener broke');
        });
        logging.onJobFinished(async () => {
          throw new Error('listener rejected');
        });
        const heard: string[] = [];
        logging.onJobFinished((job) => {
          heard.push(job.metadata.name);
        });
        const created = await requestKubeServer(logging, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
          token: logging.token,
          body: jobBody({ name: 'x' }),
        });
        assert.equal(created.status, 201);
        const response = await requestKubeServer(logging, 'POST', `/_control/namespaces/${NS}/jobs/x/fail`, {
          token: logging.token,
        });
        assert.equal(response.status, 200);
        assert.deepEqual(heard, ['x'], 'a failing listener does not stop the next one');
        assert.ok(
          await eventually(
            async () =>
              logged.filter((entry) => entry.message === 'a job-finished listener failed').length === 2,
          ),
          JSON.stringify(logged),
        );
      } finally {
        await logging.stop();
      }
    });

    it('refuses a negative or non-finite jobSeconds', async () => {
      for (const jobSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY])
        await assert.rejects(startKubeServer({ jobSeconds }), KubeServerError);
    });
  });

  it('completes Jobs on a real timer: the client sees them complete, announced through onJobFinished', async () => {
    const quick = await startKubeServer({ jobSeconds: 0.05 });
    try {
      const done = new Promise<KubeJob>((resolve) => {
        quick.onJobFinished((job) => resolve(job));
      });
      const launcher = createKubeJobLauncher(kubeConfigForLocalServer(quick, NS));
      const created = await launcher.createJob(NS, JSON.parse(jobBody({ generateName: 'quick-' })));
      assert.equal(created.state, 'running');
      const job = await done;
      assert.equal(job.metadata.name, created.name);
      const [listed] = await launcher.listJobs(NS, {});
      assert.equal(listed?.state, 'complete');
    } finally {
      await quick.stop();
    }
  });

  describe('CLI --job-seconds', () => {
    const startCli = (args: string[]) =>
      spawn(process.execPath, ['--import', 'tsx', CLI_PATH, '--port', '0', ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });

    it('completes Jobs by themselves after that many seconds', async function () {
      this.timeout(COLD_START_TEST_TIMEOUT_MS);
      const dir = mkdtempSync(join(tmpdir(), 'kube-server-cli-'));
      const kubeconfig = join(dir, 'kubeconfig');
      const child = startCli(['--job-seconds', '0.2', '--namespace', NS, '--kubeconfig', kubeconfig]);
      try {
        let output = '';
        child.stdout.setEncoding('utf8');
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: string) => {
            output += chunk;
            if (output.includes('kubeconfig written')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`CLI exited with ${code}: ${output}`)));
        });
        assert.match(output, /"jobSeconds":0\.2/);
        const launcher = createKubeJobLauncher(loadKubeConfig({ KUBECONFIG: kubeconfig }));
        const created = await launcher.createJob(NS, JSON.parse(jobBody({ generateName: 'cli-' })));
        assert.equal(created.state, 'running');
        assert.ok(
          await eventually(async () => (await launcher.listJobs(NS, {}))[0]?.state === 'complete'),
          'the Job completes by itself',
        );
      } finally {
        child.kill('SIGTERM');
        if (child.exitCode === null) await once(child, 'exit');
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a negative value, saying what to write', async function () {
      this.timeout(COLD_START_TEST_TIMEOUT_MS);
      const child = startCli(['--job-seconds=-1']);
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
      });
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 2);
      assert.match(stderr, /--job-seconds: must be a number of seconds .* 0 for never \(got "-1"\)/);
    });
  });
});

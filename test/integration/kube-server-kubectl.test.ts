/**
 * The real `kubectl` against the local Kubernetes API server, as a newcomer uses it after
 * `npm start`: `kubectl --kubeconfig .emulators/kubeconfig get jobs`. kubectl only sends the bearer
 * token over HTTPS and starts every command with discovery, so this checks the TLS setup (the CA in
 * the kubeconfig), the discovery documents, the Table output of `get`, and the pods and events
 * `describe` reads.
 *
 * Needs `kubectl` on PATH (it comes with the Google Cloud SDK: `gcloud components install kubectl`,
 * or Debian's `kubectl` package). The suite fails, and says so, when it is missing: it is never skipped.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load as parseYaml } from 'js-yaml';
import {
  type KubeJob,
  type KubeServer,
  renderLocalKubeconfig,
  startKubeServer,
} from '../../scripts/kube-server/server.js';
import { requestKubeServer } from '../support/kube.js';

const run = promisify(execFile);
const NS = 'auto-deploy';
const START = new Date('2026-03-01T12:00:00Z');
const MINUTE_MS = 60_000;

/** A table printed by `kubectl get`: its header and rows, split on runs of 2+ spaces. */
function parseTable(output: string): { header: string[]; rows: string[][] } {
  const [header = '', ...rows] = output.trimEnd().split('\n');
  const cells = (line: string) => line.trim().split(/\s{2,}/);
  return { header: cells(header), rows: rows.map(cells) };
}

describe('kubectl against the local kube server', () => {
  let server: KubeServer;
  let dir: string;
  let clock: Date;
  let kubeconfig: string;

  /** Runs kubectl with the server's kubeconfig and a private discovery cache; rejects with its stderr. */
  const kubectl = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(
        'kubectl',
        ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
        {
          timeout: 20_000,
        },
      );
      return stdout;
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string; code?: unknown };
      if (failure.code === 'ENOENT')
        throw new Error(
          'kubectl is not on PATH. These tests run the real kubectl against the local kube server: install it (`gcloud components install kubectl`, or the Debian package `kubectl`) and run them again.',
        );
      throw new Error(`kubectl ${args.join(' ')} failed: ${failure.stderr ?? failure.message}`);
    }
  };

  const createJob = async (
    metadata: Record<string, unknown>,
    podSpec: Record<string, unknown> = {},
  ): Promise<KubeJob> => {
    const response = await requestKubeServer(server, 'POST', `/apis/batch/v1/namespaces/${NS}/jobs`, {
      token: server.token,
      body: JSON.stringify({
        metadata,
        spec: {
          backoffLimit: 1,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'deploy', image: 'gcr.io/kubeflow-ci/test-worker:latest' }],
              ...podSpec,
            },
          },
        },
      }),
    });
    assert.equal(response.status, 201, response.text);
    return JSON.parse(response.text) as KubeJob;
  };

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'kube-server-kubectl-'));
    clock = START;
    server = await startKubeServer({ now: () => clock });
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, renderLocalKubeconfig(server, NS));
    // Fails the suite at once, with the message above, when kubectl is missing.
    await kubectl('version', '--client');
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.reset();
    clock = START;
  });

  /**
   * Starts a kubectl that goes on (`-w`, `-f`): its output so far, a wait for a line, and its exit.
   * `seen` resolves once the output matches `pattern` and rejects if kubectl ends first.
   */
  const startKubectl = (...args: string[]) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args]);
    let output = '';
    const waiters = new Set<() => void>();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      for (const waiter of waiters) waiter();
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        exited.then(() => reject(new Error(`kubectl ended before ${pattern}: ${output}`)), reject);
        check();
      });
    return { output: () => output, seen, exited, kill: () => child.kill() };
  };

  it('trusts the server through the CA in the kubeconfig and reads its version (discovery works)', async () => {
    const output = await kubectl('version', '-o', 'json');
    const version = JSON.parse(output) as {
      serverVersion: { major: string; minor: string; gitVersion: string };
    };
    assert.deepEqual(
      { major: version.serverVersion.major, minor: version.serverVersion.minor },
      { major: '1', minor: '32' },
    );
    const resources = parseTable(await kubectl('api-resources'));
    assert.deepEqual(resources.rows.map((row) => row[0]).sort(), ['events', 'jobs', 'pods']);
  });

  it('get jobs: the columns of a real cluster (status, completions, duration, age)', async () => {
    const running = await createJob({
      generateName: 'auto-deploy-master-',
      labels: { 'auto-version-name': 'master' },
    });
    await createJob({ name: 'finished', labels: { 'auto-version-name': 'v1' } });
    clock = new Date(START.getTime() + MINUTE_MS);
    server.startJob(NS, 'finished');
    clock = new Date(START.getTime() + 4 * MINUTE_MS);
    server.completeJob(NS, 'finished');
    clock = new Date(START.getTime() + 5 * MINUTE_MS);

    const table = parseTable(await kubectl('get', 'jobs'));
    assert.deepEqual(table.header, ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    assert.deepEqual(table.rows, [
      [running.metadata.name, 'Running', '0/1', '5m'],
      ['finished', 'Complete', '1/1', '3m', '5m'],
    ]);
  });

  it('get jobs -l auto-version-name=master: only the Jobs of that label', async () => {
    const master = await createJob({
      generateName: 'auto-deploy-master-',
      labels: { 'auto-version-name': 'master' },
    });
    await createJob({ generateName: 'auto-deploy-v1-', labels: { 'auto-version-name': 'v1' } });
    const table = parseTable(await kubectl('get', 'jobs', '-l', 'auto-version-name=master'));
    assert.deepEqual(
      table.rows.map((row) => row[0]),
      [master.metadata.name],
    );
  });

  it('get jobs -o yaml: the stored Jobs, whole', async () => {
    const created = await createJob({ name: 'as-yaml', labels: { 'auto-version-name': 'master' } });
    const list = parseYaml(await kubectl('get', 'jobs', '-o', 'yaml')) as { kind: string; items: KubeJob[] };
    assert.equal(list.kind, 'List');
    assert.equal(list.items.length, 1);
    assert.deepEqual(list.items[0], created);
  });

  it('describe job: the Job, its pod counts and the events of its life', async () => {
    await createJob({ name: 'described', labels: { 'auto-version-name': 'master' } });
    clock = new Date(START.getTime() + 2 * MINUTE_MS);
    server.failJob(NS, 'described', 'kfctl apply failed', 'BackoffLimitExceeded');
    clock = new Date(START.getTime() + 3 * MINUTE_MS);

    const output = await kubectl('describe', 'job', 'described');
    assert.match(output, /^Name:\s+described$/m);
    assert.match(output, /^Namespace:\s+auto-deploy$/m);
    assert.match(output, /^Labels:\s+auto-version-name=master$/m);
    assert.match(output, /^Backoff Limit:\s+1$/m);
    assert.match(output, /^Pods Statuses:\s+0 Active .* 0 Succeeded .* 2 Failed$/m);
    assert.match(output, /^\s+Image:\s+gcr\.io\/kubeflow-ci\/test-worker:latest$/m);
    const events = output.slice(output.indexOf('Events:'));
    // describe computes the events' ages on the client's clock, not the server's: not asserted.
    assert.match(
      events,
      /Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: described-[a-z0-9]{5}\n/,
    );
    assert.match(events, /Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+kfctl apply failed\n/);
  });

  it('get pods -l job-name=...: one pod per Job, whose phase follows the Job', async () => {
    await createJob({ name: 'with-pod' });
    await createJob({ name: 'other' });
    const before = parseTable(await kubectl('get', 'pods', '-l', 'job-name=with-pod'));
    assert.deepEqual(before.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.equal(before.rows.length, 1);
    assert.match(before.rows[0]?.[0] ?? '', /^with-pod-[a-z0-9]{5}$/);
    assert.deepEqual(before.rows[0]?.slice(1, 4), ['1/1', 'Running', '0']);

    server.completeJob(NS, 'with-pod');
    const after = parseTable(await kubectl('get', 'pods', '-l', 'job-name=with-pod'));
    assert.deepEqual(after.rows[0]?.slice(0, 4), [before.rows[0]?.[0], '0/1', 'Completed', '0']);
  });

  it('logs job/NAME: the simulated pod says what its container would run, and how its Job ended', async () => {
    await createJob(
      { name: 'logged' },
      {
        initContainers: [
          { name: 'checkout', image: 'checkout:1', command: ['/checkout.sh'], args: ['--depth=1'] },
        ],
        containers: [
          { name: 'deploy', image: 'worker:1', command: ['python', '-m', 'deploy'], args: ['--name=kf-1'] },
        ],
      },
    );
    const running = await kubectl('logs', 'job/logged');
    assert.match(
      running,
      /^\[local Kubernetes API server\] simulated pod logged-[a-z0-9]{5}: no container runs here\.\n/,
    );
    assert.match(
      running,
      /\ncontainer deploy, image worker:1, would run:\n {2}python\n {2}-m\n {2}deploy\n {2}--name=kf-1\n/,
    );
    assert.match(running, /\nrunning: its Job has not finished\n$/);
    assert.match(
      await kubectl('logs', 'job/logged', '-c', 'checkout'),
      /image checkout:1, would run:\n {2}\/checkout\.sh\n {2}--depth=1\n/,
    );
    await assert.rejects(
      kubectl('logs', 'job/logged', '-c', 'nope'),
      /container nope is not valid for pod logged-/,
    );

    clock = new Date(START.getTime() + 5 * MINUTE_MS);
    server.failJob(NS, 'logged', 'kfctl apply failed');
    assert.match(
      await kubectl('logs', 'job/logged'),
      /\nthe pod failed at 2026-03-01T12:05:00Z, as its Job did\n$/,
    );
    await assert.rejects(kubectl('logs', 'pod/missing-abcde'), /pods "missing-abcde" not found/);
  });

  it('logs -f job/NAME: follows the running pod, and ends with the line saying how its Job ended', async () => {
    await createJob({ name: 'tailed' });
    const kubectl = startKubectl('logs', '-f', 'job/tailed');
    try {
      await kubectl.seen(/\nstarted \S+\n/);
      clock = new Date(START.getTime() + 3 * MINUTE_MS);
      server.completeJob(NS, 'tailed');
      assert.equal(await kubectl.exited, 0, kubectl.output());
    } finally {
      kubectl.kill();
    }
    const output = kubectl.output();
    assert.match(
      output,
      /^\[local Kubernetes API server\] simulated pod tailed-[a-z0-9]{5}: no container runs here\.\n/,
    );
    assert.match(output, /\nstarted \S+\nthe pod succeeded at 2026-03-01T12:03:00Z, as its Job did\n$/);
  });

  it('get jobs -w: the list, then a line for each change of a Job as it happens', async () => {
    await createJob({ name: 'watched' });
    const kubectl = startKubectl('get', 'jobs', '-w');
    try {
      await kubectl.seen(/^watched +Running +0\/1 /m);
      clock = new Date(START.getTime() + 2 * MINUTE_MS);
      server.completeJob(NS, 'watched');
      await kubectl.seen(/^watched +Complete +1\/1 /m);
      const lines = kubectl.output().trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^NAME +STATUS +COMPLETIONS +DURATION +AGE$/);
      assert.equal(lines.filter((line) => line.startsWith('NAME')).length, 1, kubectl.output());
    } finally {
      kubectl.kill();
    }
  });

  it('get events -w: the events there are, then the one a Job finishing makes', async () => {
    await createJob({ name: 'eventful' });
    const kubectl = startKubectl('get', 'events', '-w');
    try {
      await kubectl.seen(/Normal +SuccessfulCreate +job\/eventful +Created pod: eventful-[a-z0-9]{5}\n/);
      server.completeJob(NS, 'eventful');
      await kubectl.seen(/Normal +Completed +job\/eventful +Job completed\n/);
      const output = kubectl.output();
      assert.equal(output.match(/SuccessfulCreate/g)?.length, 1, output);
      assert.match(output.split('\n')[0] ?? '', /^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$/);
    } finally {
      kubectl.kill();
    }
  });

  it('delete job: deletes it, and says so; a missing Job is an error', async () => {
    await createJob({ name: 'doomed' });
    await createJob({ name: 'kept' });
    assert.equal((await kubectl('delete', 'job', 'doomed')).trim(), 'job.batch "doomed" deleted');
    assert.deepEqual(
      server.jobs(NS).map((job) => job.metadata.name),
      ['kept'],
    );
    await assert.rejects(kubectl('delete', 'job', 'doomed'), /jobs\.batch "doomed" not found/);
  });
});

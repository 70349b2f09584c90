/**
 * The lease client (scripts/lease/) against a served deploymentStatus on the Firestore emulator: the
 * importable `acquireLease` (background heartbeats, release, a lost lease, a retried acquire),
 * `holdLease` releasing on a signal or at exit in a child process, and the `npm run lease` CLI with its
 * exit codes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Firestore } from '@google-cloud/firestore';
import { leaseRef } from '../../functions/adapters/firestore/refs.js';
import { acquireLease, LeaseApiError, type LeaseHandle, type LeaseJson } from '../../scripts/lease/client.js';
import { EXIT, main } from '../../scripts/lease/main.js';
import { waitFor } from '../../scripts/lib/net.js';
import { useEmulatorSuite } from '../support/firestore.js';
import {
  callApi,
  type LeaseStack,
  masterDeployment,
  putDeployments,
  startLeaseStack,
} from '../support/lease-stack.js';

const ROOT = join(import.meta.dirname, '..', '..');
const INSTANCE = 'kf-master-0301-n22';
const OWNER = 'kubeflow/examples#1234';

describe('the lease client (scripts/lease) against deploymentStatus on the Firestore emulator', () => {
  let db: Firestore;
  let stack: LeaseStack;
  let handles: LeaseHandle[];

  const storedStatus = async (leaseId: string) => (await leaseRef(db, leaseId).get()).data()?.status;

  useEmulatorSuite((client) => {
    db = client;
  });

  beforeEach(async () => {
    stack = await startLeaseStack(db);
    handles = [];
    await putDeployments(db, masterDeployment(INSTANCE, 'a1'.repeat(20), 2));
  });

  afterEach(async () => {
    await Promise.all(handles.map((handle) => handle.release().catch(() => {})));
    await stack.stop();
  });

  const acquire = async (options: Partial<Parameters<typeof acquireLease>[0]> = {}) => {
    const handle = await acquireLease({ url: stack.url, version: 'master', owner: OWNER, ...options });
    handles.push(handle);
    return handle;
  };

  describe('acquireLease', () => {
    it('acquires the newest ready instance and heartbeats in the background, extending expiresAt', async () => {
      const handle = await acquire({ ttlSeconds: 600, heartbeatIntervalMs: 50 });
      const first = handle.lease;
      assert.equal(first.instance, INSTANCE);
      assert.equal(first.heartbeatAt, null);

      // Five minutes later on the server's clock: a heartbeat then moves expiresAt five minutes on.
      stack.clock.advanceSeconds(300);
      const movedOn = Date.parse(first.expiresAt) + 299_000;
      await waitFor(async () => Date.parse(handle.lease.expiresAt) > movedOn, 10_000);
      assert.ok(handle.lease.heartbeatAt);
      const stored = (await leaseRef(db, handle.leaseId).get()).data();
      assert.ok(stored?.expiresAt.toDate().getTime() > movedOn);

      await handle.release();
      assert.equal(handle.isReleased, true);
      assert.equal(handle.lease.status, 'released');
      assert.equal(await storedStatus(handle.leaseId), 'released');
    });

    it('stops heartbeating and says why once the lease is lost (released elsewhere: 410)', async () => {
      const lost: LeaseApiError[] = [];
      const handle = await acquire({ heartbeatIntervalMs: 50, onLost: (error) => lost.push(error) });
      await callApi(stack.url, 'DELETE', `/api/leases/${handle.leaseId}`);

      await waitFor(async () => lost.length > 0, 10_000);
      assert.equal(lost[0]?.status, 410);
      assert.equal(lost[0]?.reason, 'released');
      assert.equal(handle.lostBecause, lost[0]);
    });

    it('throws a LeaseApiError with the reason when no instance is ready', async () => {
      await assert.rejects(acquire({ version: 'v1' }), (error: unknown) => {
        assert.ok(error instanceof LeaseApiError);
        assert.equal(error.status, 409);
        assert.equal(error.reason, 'no-ready-instance');
        return true;
      });
    });

    it('retries an acquire that got no answer, with the same requestId: one lease', async () => {
      let calls = 0;
      const flaky: typeof fetch = async (input, init) => {
        calls += 1;
        // The first call reaches the server, but its answer is lost on the way back.
        const response = await fetch(input, init);
        if (calls === 1) throw new TypeError('fetch failed: the answer was lost');
        return response;
      };
      const handle = await acquire({ fetch: flaky, retryDelaysMs: [0] });

      assert.equal(calls, 2);
      const docs = await db.collection('leases').get();
      assert.deepEqual(
        docs.docs.map((doc) => doc.id),
        [handle.leaseId],
      );
    });
  });

  describe('holdLease in a child process', () => {
    let child: ChildProcess | null = null;

    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child = null;
    });

    /** Starts test/support/lease-holder.ts: the lease it printed, and its end (exit code, signal). */
    async function holder(mode: 'wait' | 'exit' | 'finish') {
      const script = join(ROOT, 'test', 'support', 'lease-holder.ts');
      const started = spawn(process.execPath, ['--import', 'tsx', script, stack.url, mode], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = started;
      const exited = once(started, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream });
      const [line] = (await once(lines, 'line')) as [string];
      return { lease: JSON.parse(line) as LeaseJson, exited };
    }

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`releases the lease on ${signal}, then ends by that signal`, async function () {
        this.timeout(30_000);
        const { lease, exited } = await holder('wait');
        assert.equal(await storedStatus(lease.leaseId), 'active');

        child?.kill(signal);

        assert.deepEqual(await exited, [null, signal]);
        assert.equal(await storedStatus(lease.leaseId), 'released');
      });
    }

    for (const mode of ['exit', 'finish'] as const) {
      const how = mode === 'exit' ? 'calls process.exit' : 'runs out of work';
      it(`releases the lease when the process ${how}`, async function () {
        this.timeout(30_000);
        const { lease, exited } = await holder(mode);
        assert.deepEqual(await exited, [0, null]);
        assert.equal(await storedStatus(lease.leaseId), 'released');
      });
    }
  });

  describe('npm run lease (the CLI)', () => {
    async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
      let out = '';
      let err = '';
      const code = await main(
        argv,
        { AUTO_DEPLOY_URL: stack.url },
        (text) => {
          out += text;
        },
        (text) => {
          err += text;
        },
      );
      return { code, out, err };
    }

    it('acquire, heartbeat, show, list, release: JSON on stdout, exit 0', async () => {
      const acquired = await cli(
        'acquire',
        'master',
        '--owner',
        OWNER,
        '--ttl',
        '120',
        '--request-id',
        'ci-1',
      );
      assert.equal(acquired.code, EXIT.ok, acquired.err);
      const lease = JSON.parse(acquired.out) as LeaseJson;
      assert.equal(lease.instance, INSTANCE);
      assert.equal(lease.ttlSeconds, 120);

      const beat = await cli('heartbeat', lease.leaseId, '--ttl', '300');
      assert.equal(beat.code, EXIT.ok, beat.err);
      assert.equal((JSON.parse(beat.out) as LeaseJson).ttlSeconds, 300);
      assert.equal((JSON.parse((await cli('show', lease.leaseId)).out) as LeaseJson).leaseId, lease.leaseId);
      const listed = JSON.parse((await cli('list', '--version', 'master')).out) as LeaseJson[];
      assert.deepEqual(
        listed.map((item) => item.leaseId),
        [lease.leaseId],
      );

      const released = await cli('release', lease.leaseId);
      assert.equal(released.code, EXIT.ok);
      assert.equal((JSON.parse(released.out) as LeaseJson).status, 'released');
      assert.equal((await cli('release', lease.leaseId)).code, EXIT.ok);
      const late = await cli('heartbeat', lease.leaseId);
      assert.equal(late.code, EXIT.notFound);
      assert.match(late.err, /410/);
    });

    for (const argv of [['--help'], ['help'], ['acquire', '-h']]) {
      it(`${argv.join(' ')}: the usage on stdout, exit 0, nothing asked of the API`, async () => {
        const { code, out, err } = await cli(...argv, '--url', 'http://127.0.0.1:9/deploymentStatus');
        assert.equal(code, EXIT.ok);
        assert.match(out, /^usage: npm run -s lease -- <command>/);
        assert.equal(err, '');
      });
    }

    const failures: Array<[string, string[], number]> = [
      ['no ready instance', ['acquire', 'v1', '--owner', OWNER], EXIT.notFound],
      ['an unknown version', ['acquire', 'nope', '--owner', OWNER], EXIT.notFound],
      ['an unknown lease', ['show', 'lease-master-ffffffffffffffff'], EXIT.notFound],
      ['a ttl the API refuses', ['acquire', 'master', '--owner', OWNER, '--ttl', '5'], EXIT.usage],
      ['no --owner', ['acquire', 'master'], EXIT.usage],
      ['an unknown command', ['lend', 'master'], EXIT.usage],
      ['an unknown option', ['list', '--colour'], EXIT.usage],
      [
        'nothing listening at the URL',
        ['list', '--url', 'http://127.0.0.1:9/deploymentStatus'],
        EXIT.unavailable,
      ],
    ];
    for (const [name, argv, expected] of failures) {
      it(`${name}: exit ${expected}`, async () => {
        const { code, out } = await cli(...argv);
        assert.equal(code, expected);
        assert.equal(out, '');
      });
    }

    it('npm run -s lease: the real entry point prints the JSON and sets the exit code', async function () {
      this.timeout(30_000);
      const run = (...argv: string[]) => {
        const npm = spawn('npm', ['run', '-s', 'lease', '--', ...argv], {
          cwd: ROOT,
          env: { ...process.env, AUTO_DEPLOY_URL: stack.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        npm.stdout.on('data', (chunk) => {
          out += chunk;
        });
        return once(npm, 'exit').then(([code]) => ({ code, out }));
      };
      const acquired = await run('acquire', 'master', '--owner', OWNER);
      assert.equal(acquired.code, 0);
      assert.equal((JSON.parse(acquired.out) as LeaseJson).instance, INSTANCE);
      assert.equal((await run('acquire', 'v1', '--owner', OWNER)).code, EXIT.notFound);
    });
  });
});

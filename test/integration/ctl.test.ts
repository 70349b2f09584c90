/**
 * `npm run ctl` against deploymentStatus as the app builds it, on the Firestore emulator: every command
 * with its table and its JSON, the exit codes, the token sent as a bearer (AUTH_MODE=required), the
 * lease commands handed to the lease CLI, and the real `npm run -s ctl` entry point.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Firestore } from '@google-cloud/firestore';
import { leaseDoc } from '../../functions/adapters/firestore/lease-codec.js';
import { leaseRef, versionEventsCollection, versionRef } from '../../functions/adapters/firestore/refs.js';
import { EXIT, main } from '../../scripts/ctl/main.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment, makeLease } from '../support/fixtures.js';
import { createTokenSigner, idTokenClaims, verifierTrusting } from '../support/id-tokens.js';
import { type OperatorStack, startOperatorStack } from '../support/operator-stack.js';
import { putBranchHead, putDeployment } from '../support/pipeline-fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SHA = 'a1'.repeat(20);
const INSTANCE = 'kf-master-1129-old';

describe('npm run ctl against deploymentStatus (Firestore emulator)', () => {
  let db: Firestore;
  let stack: OperatorStack;

  async function ctl(env: NodeJS.ProcessEnv, ...argv: string[]) {
    let out = '';
    let err = '';
    const code = await main(
      argv,
      { USER: 'tester', ...env },
      {
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
      },
    );
    return { code, out, err };
  }
  const local = (...argv: string[]) => ctl({ AUTO_DEPLOY_URL: stack.url }, ...argv);

  useEmulatorSuite((client) => {
    db = client;
  });
  beforeEach(async () => {
    await putBranchHead(db, 'kubeflow/manifests', 'master', SHA);
    await putDeployment(
      db,
      makeDeployment({
        instance: INSTANCE,
        status: 'ready',
        commit: SHA,
        requestId: 'deploy-master-old',
        createdAt: new Date(Date.now() - 3_600_000),
        readyAt: new Date(Date.now() - 3_600_000),
      }),
    );
  });
  afterEach(() => stack?.stop());

  describe('on the local stack (AUTH_MODE=off)', () => {
    beforeEach(async () => {
      stack = await startOperatorStack(db);
    });

    it('pause -> plan -> status -> resume: tables for people, who asked recorded (unverified)', async () => {
      const paused = await local('pause', 'master', '--reason', 'flaky kfctl');
      assert.equal(paused.code, EXIT.ok, paused.err);
      assert.equal(paused.out, 'master: paused; planned now\n');
      const [event] = (await versionEventsCollection(db, 'master').get()).docs.map((doc) => doc.data());
      assert.deepEqual([event?.claimedBy, event?.by, event?.reason], ['tester', null, 'flaky kfctl']);

      const plan = await local('plan');
      assert.equal(plan.code, EXIT.ok, plan.err);
      assert.match(plan.out, /^master +wait +paused \(by tester \(unverified\): flaky kfctl\)$/m);
      assert.match(
        plan.out,
        new RegExp(`^${INSTANCE} +ready +keep \\(newest-ready\\) +the newest ready instance of master$`, 'm'),
      );

      const status = await local('status');
      assert.match(
        status.out,
        /^PIPELINE {2}no tick recorded yet\n {2}to run one now: gcloud scheduler jobs run /,
      );
      assert.match(status.out, /^master +paused +a1a1a1a +paused$/m);
      assert.match(status.out, new RegExp(`^${INSTANCE} +master +ready +a1a1a1a `, 'm'));

      const again = await local('pause', 'master', '--reason', 'x');
      assert.equal(again.out, 'master: already paused: unchanged\n');
      const resumed = await local('resume', 'master', '--json');
      assert.equal(resumed.code, EXIT.ok);
      assert.equal((JSON.parse(resumed.out) as { paused: boolean }).paused, false);
    });

    it('drain and undrain; redeploy; --json gives the API answer', async () => {
      const drained = await local('drain', '--reason', 'GKE incident');
      assert.equal(drained.out, 'drain: on: GKE incident; planned now\n');
      const plan = JSON.parse((await local('plan', '--json')).out) as { versions: Array<{ reason: string }> };
      assert.deepEqual(
        plan.versions.map((v) => v.reason),
        ['drained', 'drained'],
      );
      assert.equal((await local('undrain')).out, 'drain: off; planned now\n');
      const redeploy = await local('redeploy', 'master', '--reason', 'new kfctl');
      assert.equal(redeploy.code, EXIT.ok, redeploy.err);
      assert.equal((await versionRef(db, 'master').get()).data()?.decision?.reason, 'manual');
    });

    it('teardown: exit 2 while leased (409), 0 with --force; the lease commands go to the lease CLI', async () => {
      const lease = makeLease({
        leaseId: 'lease-master-1',
        instance: INSTANCE,
        owner: 'ci#7',
        createdAt: new Date(),
      });
      await leaseRef(db, lease.leaseId).set(leaseDoc(lease));
      const refused = await local('teardown', INSTANCE);
      assert.equal(refused.code, EXIT.notFound);
      assert.match(refused.err, /409 .*leased by ci#7/);
      const forced = await local('teardown', INSTANCE, '--force', '--reason', 'stuck');
      assert.equal(forced.code, EXIT.ok, forced.err);
      assert.match(
        forced.out,
        new RegExp(
          `^${INSTANCE}: teardown requested; planned now\\n  request teardown-${INSTANCE}-0 \\(forced\\)$`,
          'm',
        ),
      );
      assert.match(forced.out, /leases overridden: ci#7/);
      const listed = await local('lease', 'list');
      assert.equal(listed.code, EXIT.ok, listed.err);
      assert.deepEqual(
        (JSON.parse(listed.out) as Array<{ leaseId: string }>).map((l) => l.leaseId),
        ['lease-master-1'],
      );
    });

    const failures: Array<[string, string[], number]> = [
      ['an unknown version', ['pause', 'nope', '--reason', 'r'], EXIT.notFound],
      ['an unknown instance', ['teardown', 'kf-master-1129-zzz'], EXIT.notFound],
      ['pause without --reason', ['pause', 'master'], EXIT.usage],
      ['a reason the API refuses (too long)', ['drain', '--reason', 'x'.repeat(501)], EXIT.usage],
      ['an unknown command', ['reboot'], EXIT.usage],
      ['an unknown option', ['plan', '--colour'], EXIT.usage],
      [
        'nothing listening at the URL',
        ['plan', '--url', 'http://127.0.0.1:9/deploymentStatus'],
        EXIT.unavailable,
      ],
    ];
    for (const argv of [['--help'], ['help'], ['pause', 'master', '-h']]) {
      it(`${argv.join(' ')}: the usage on stdout, exit 0, nothing asked of the API`, async () => {
        const { code, out, err } = await local(...argv, '--url', 'http://127.0.0.1:9/deploymentStatus');
        assert.equal(code, EXIT.ok);
        assert.match(out, /^usage: npm run -s ctl -- <command>/);
        assert.equal(err, '');
      });
    }

    for (const [name, argv, expected] of failures) {
      it(`${name}: exit ${expected}, nothing on stdout`, async () => {
        const { code, out } = await local(...argv);
        assert.equal(code, expected);
        assert.equal(out, '');
      });
    }

    it('npm run -s ctl: the real entry point prints the table and sets the exit code', async function () {
      this.timeout(30_000);
      const run = async (...argv: string[]) => {
        const npm = spawn('npm', ['run', '-s', 'ctl', '--', ...argv], {
          cwd: ROOT,
          env: { ...process.env, AUTO_DEPLOY_URL: stack.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        npm.stdout.on('data', (chunk) => {
          out += chunk;
        });
        const [code] = await once(npm, 'exit');
        return { code, out };
      };
      const plan = await run('plan');
      assert.equal(plan.code, 0);
      assert.match(plan.out, /^VERSION +NEXT +WHY$/m);
      assert.equal((await run('pause', 'nope', '--reason', 'r')).code, EXIT.notFound);
    });
  });

  it('production mode: the token is sent as a bearer and names who asked; without one, exit 1 (401)', async () => {
    const signer = await createTokenSigner();
    const statusUrl = 'https://deploymentstatus-123456.us-central1.run.app';
    stack = await startOperatorStack(
      db,
      { AUTH_MODE: 'required', STATUS_URL: statusUrl, ALLOWED_PRINCIPALS: 'alice@example.com' },
      verifierTrusting(signer),
    );
    const anonymous = await local('pause', 'master', '--reason', 'r');
    assert.equal(anonymous.code, EXIT.usage);
    assert.match(anonymous.err, /401/);
    const token = signer.sign(idTokenClaims('alice@example.com', statusUrl));
    const alice = await ctl(
      { AUTO_DEPLOY_URL: stack.url, AUTO_DEPLOY_ID_TOKEN: token },
      'pause',
      'master',
      '--reason',
      'r',
    );
    assert.equal(alice.code, EXIT.ok, alice.err);
    const [event] = (await versionEventsCollection(db, 'master').get()).docs.map((doc) => doc.data());
    assert.equal(event?.by, 'alice@example.com');
  });
});

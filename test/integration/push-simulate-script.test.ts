/**
 * `npm run push:simulate` (scripts/push-simulate.ts) as a user runs it: a push GitHub would send, signed
 * with the webhook secret (verified here with @octokit/webhooks, as githubWebhook does), for the branch
 * of the version named; a clear error for an unknown version, a bad sha, or nothing listening.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { runScriptToExit } from '../support/cli.js';

const SCRIPT = 'scripts/push-simulate.ts';
const SECRET = 'push-simulate-test-secret';
const SHA = 'c3'.repeat(20);

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  url: string | undefined;
}

describe('npm run push:simulate (scripts/push-simulate.ts)', function () {
  this.timeout(30_000);
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /**
   * A stand-in for the local gateway that records the delivery and answers `status`; its status API
   * answers `versions` (404 when not given).
   */
  async function gateway(status: number, received: Received[], versions?: unknown): Promise<number> {
    server = createServer((req, res) => {
      if (req.method === 'GET') {
        const found = req.url === '/deploymentStatus/api/versions' && versions !== undefined;
        res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(found ? versions : { error: 'not found' }));
        return;
      }
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body, url: req.url });
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"recorded"}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  it("sends a push of the version's branch, signed with GITHUB_WEBHOOK_SECRET, and says what it pushed", async () => {
    const received: Received[] = [];
    const port = await gateway(200, received);
    const { code, stdout, stderr } = await runScriptToExit(SCRIPT, ['v1', SHA], {
      PORT: String(port),
      GITHUB_WEBHOOK_SECRET: SECRET,
    });
    assert.equal(code, 0, stderr);
    assert.equal(received.length, 1);
    const [delivery] = received;
    assert.ok(delivery);
    assert.equal(delivery.url, '/githubWebhook');
    assert.equal(delivery.headers['x-github-event'], 'push');
    assert.match(String(delivery.headers['x-github-delivery']), /\S/);
    const signature = String(delivery.headers['x-hub-signature-256']);
    assert.equal(await new Webhooks({ secret: SECRET }).verify(delivery.body, signature), true);
    assert.equal(await new Webhooks({ secret: 'another secret' }).verify(delivery.body, signature), false);
    const payload = JSON.parse(delivery.body) as {
      ref: string;
      after: string;
      repository: { full_name: string };
    };
    // templates/deployments.yaml: v1 follows kubeflow/manifests@v1.0-branch.
    assert.deepEqual(
      [payload.ref, payload.after, payload.repository.full_name],
      ['refs/heads/v1.0-branch', SHA, 'kubeflow/manifests'],
    );
    assert.match(
      stdout,
      new RegExp(
        `-> 200 \\{"status":"recorded"\\}\\npushed ${SHA} to kubeflow/manifests@v1.0-branch \\(version v1\\)`,
      ),
    );
  });

  it("starts from the head the stack recorded (its status API), as GitHub's next push would", async () => {
    const head = 'a1'.repeat(20);
    const received: Received[] = [];
    const port = await gateway(200, received, [
      { name: 'master', head: { sha: 'b2'.repeat(20), deleted: false } },
      { name: 'v1', head: { sha: head, deleted: false } },
    ]);
    const { code, stdout, stderr } = await runScriptToExit(SCRIPT, ['v1', SHA], { PORT: String(port) });
    assert.equal(code, 0, stderr);
    const payload = JSON.parse(received[0]?.body ?? '{}') as { before: string; after: string };
    assert.deepEqual([payload.before, payload.after], [head, SHA]);
    assert.match(stdout, /\(version v1, after a1a1a1a\)\n$/);
  });

  it('no head recorded (or a deleted one): starts from a made-up parent', async () => {
    for (const versions of [[], [{ name: 'v1', head: { sha: 'a1'.repeat(20), deleted: true } }]]) {
      const received: Received[] = [];
      const port = await gateway(200, received, versions);
      const { code, stdout } = await runScriptToExit(SCRIPT, ['v1', SHA], { PORT: String(port) });
      assert.equal(code, 0);
      const payload = JSON.parse(received[0]?.body ?? '{}') as { before: string };
      assert.match(payload.before, /^[0-9a-f]{40}$/);
      assert.notEqual(payload.before, 'a1'.repeat(20));
      assert.match(stdout, /\(version v1\)\n$/);
      await new Promise((resolve) => server?.close(resolve));
    }
    server = undefined;
  });

  it('the webhook answers 401: prints the answer, exit 1', async () => {
    const port = await gateway(401, []);
    const { code, stdout } = await runScriptToExit(SCRIPT, ['master'], { PORT: String(port) });
    assert.equal(code, 1);
    assert.match(stdout, /-> 401 /);
  });

  const refused: Array<[string, string[], RegExp]> = [
    [
      'no version',
      [],
      /usage: npm run push:simulate -- <version> \[sha\]\n {2}<version> is one of: master, v1, stacks/,
    ],
    ['an unknown version', ['v9'], /<version> is one of: master, v1, stacks/],
    [
      'a sha that is not 40 lower-case hex',
      ['master', 'ABC'],
      /sha must be 40 lower-case hex characters, got "ABC"/,
    ],
    // Port 2: privileged and not blocked by fetch, so nothing listens and fetch tries to connect.
    [
      'nothing listening on PORT',
      ['master'],
      /cannot reach http:\/\/127\.0\.0\.1:2\/githubWebhook: ECONNREFUSED \(is npm start running/,
    ],
  ];
  for (const [name, args, message] of refused) {
    it(`${name}: says so on stderr, exit 1, nothing on stdout`, async () => {
      const { code, stdout, stderr } = await runScriptToExit(SCRIPT, args, { PORT: '2' });
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.match(stderr, message);
    });
  }
});

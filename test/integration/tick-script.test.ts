/** `npm run tick` (scripts/tick.ts) as a user runs it: help, bad arguments, nothing listening, an answer. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runScriptToExit } from '../support/cli.js';

const SCRIPT = 'scripts/tick.ts';

describe('npm run tick (scripts/tick.ts)', function () {
  this.timeout(30_000);
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  it('--help: the usage on stdout, exit 0', async () => {
    const { code, stdout } = await runScriptToExit(SCRIPT, ['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: npm run tick/);
  });

  it('unexpected arguments: named, with the usage, exit 2', async () => {
    const { code, stdout, stderr } = await runScriptToExit(SCRIPT, ['master']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /unexpected arguments: master\nusage: npm run tick/);
  });

  it('nothing listening on PORT: says it cannot reach the URL and asks about npm start, exit 1', async () => {
    // Port 2: privileged (no test or user process listens there) and not on fetch's list of blocked
    // ports (9 is: fetch would refuse it as a "bad port" before trying to connect).
    const port = 2;
    const { code, stderr } = await runScriptToExit(SCRIPT, [], { PORT: String(port) });
    assert.equal(code, 1);
    assert.match(
      stderr,
      new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/schedulerTick: ECONNREFUSED`),
    );
    assert.match(stderr, /is npm start running, with the same PORT\?/);
  });

  for (const [status, expectedCode] of [
    [200, 0],
    [503, 1],
  ] as const) {
    it(`the tick answers ${status}: POSTs once, prints the status and the report, exit ${expectedCode}`, async () => {
      const seen: string[] = [];
      server = createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ poll: { checked: 2 } }));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const { code, stdout } = await runScriptToExit(SCRIPT, [], { PORT: String(port) });
      assert.equal(code, expectedCode);
      assert.deepEqual(seen, ['POST /schedulerTick']);
      assert.match(stdout, new RegExp(`^POST http://127\\.0\\.0\\.1:${port}/schedulerTick -> ${status}\\n`));
      assert.deepEqual(JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)), { poll: { checked: 2 } });
    });
  }
});

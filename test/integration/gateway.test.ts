/** The local gateway: one port, `/<function>/...` routed to each function's framework server. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createLogger } from '../../functions/log.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { startLocalStack } from '../../scripts/lib/local-stack.js';
import { PortInUseError } from '../../scripts/lib/net.js';

describe('local gateway', () => {
  let gateway: Gateway;
  const seen: string[] = [];

  before(async () => {
    gateway = await startGateway({
      page: (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.status(200).send('ok');
      },
      domain: async (_req, res) => {
        await new Promise((resolve) => setImmediate(resolve));
        res.status(200).json({ domain: (process as { domain?: unknown }).domain ? 'entered' : 'none' });
      },
      rejects: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('a handler that rejects');
      },
    });
  });

  after(() => gateway.stop());

  beforeEach(() => {
    seen.length = 0;
  });

  it("serves each request outside the Functions Framework's per-request domain (functions/http/request-domain.ts)", async () => {
    const response = await fetch(`${gateway.url}/domain`);
    assert.deepEqual(await response.json(), { domain: 'none' });
  });

  it("a handler that rejects still gets the framework's 500, and the server goes on serving", async () => {
    const response = await fetch(`${gateway.url}/rejects`);
    assert.equal(response.status, 500);
    assert.equal((await fetch(`${gateway.url}/page/`)).status, 200);
  });

  it('routes /<function>/<path> to the function with the path below it', async () => {
    const response = await fetch(`${gateway.url}/page/versions/master?refresh=0`);
    assert.equal(response.status, 200);
    assert.deepEqual(seen, ['GET /versions/master?refresh=0']);
  });

  it('redirects a GET of the bare function name to its root, so the pages’ relative links resolve', async () => {
    const response = await fetch(`${gateway.url}/page?refresh=0`, { redirect: 'manual' });
    assert.equal(response.status, 308);
    assert.equal(response.headers.get('location'), '/page/?refresh=0');
    assert.deepEqual(seen, []);
  });

  it('passes a POST to the bare name through (webhooks and tasks are not redirected)', async () => {
    const response = await fetch(`${gateway.url}/page`, { method: 'POST', body: 'x' });
    assert.equal(response.status, 200);
    assert.deepEqual(seen, ['POST /']);
  });

  it('answers 404 with the function names for an unknown function', async () => {
    const response = await fetch(`${gateway.url}/nope/`);
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), {
      error: 'no function at /nope',
      functions: ['page', 'domain', 'rejects'],
    });
  });

  describe('on a port already taken', () => {
    let taken: ReturnType<typeof createServer>;
    let port: number;

    before(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      port = (taken.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('refuses with a PortInUseError that names the address and what to do', async () => {
      await assert.rejects(startGateway({}, { port }), (err: Error) => {
        assert.ok(err instanceof PortInUseError, String(err));
        assert.equal(
          err.message,
          `127.0.0.1:${port} is in use: is another npm start running? Stop it, or set PORT to a free port.`,
        );
        return true;
      });
    });

    it('npm start (startLocalStack) fails on it before starting any emulator', async () => {
      const lines: string[] = [];
      const logger = createLogger({ component: 'local-stack' }, (line) => lines.push(line));
      await assert.rejects(startLocalStack({}, { port, logger }), PortInUseError);
      assert.deepEqual(
        lines.filter((line) => line.includes('started')),
        [],
        'nothing was started before the gateway refused',
      );
    });
  });
});

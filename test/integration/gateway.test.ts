/** The local gateway: one port, `/<function>/...` routed to each function's framework server. */
import assert from 'node:assert/strict';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';

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
});

/** functions/http/request-domain.ts: a handler runs outside the domain the framework entered for it. */
import assert from 'node:assert/strict';
import { create } from 'node:domain';
import type { Request, Response } from '@google-cloud/functions-framework';
import { outsideRequestDomain } from '../../functions/http/request-domain.js';

const currentDomain = () => (process as { domain?: unknown }).domain ?? null;
const req = {} as Request;
const res = {} as Response;

describe('outsideRequestDomain', () => {
  it('runs the handler, and what it awaits, with no domain entered', async () => {
    const seen: unknown[] = [];
    const handler = outsideRequestDomain(async () => {
      seen.push(currentDomain());
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(currentDomain());
      return 'answered';
    });
    const domain = create();
    const result = await new Promise((resolve) => {
      domain.run(() => {
        assert.equal(currentDomain(), domain, 'the domain is entered around the call, as the framework does');
        resolve(handler(req, res));
      });
    });
    assert.equal(result, 'answered');
    assert.deepEqual(seen, [null, null]);
  });

  it('hands back what the handler returns, a rejected promise included (the framework catches it)', async () => {
    const failing = outsideRequestDomain(() => Promise.reject(new Error('boom')));
    await assert.rejects(create().run(() => failing(req, res)) as Promise<unknown>, /boom/);
  });

  it('without a domain, simply calls the handler', () => {
    assert.equal(currentDomain(), null);
    assert.equal(outsideRequestDomain(() => 42)(req, res), 42);
  });
});

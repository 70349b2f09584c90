/**
 * The local stack (`npm start`) runs with the caller checks off, chosen by its configuration (not by
 * the request), and its gateway listens on loopback only: the tick answers without a token, the
 * status page and JSON answer without one, even when the environment asks for AUTH_MODE=required.
 */
import assert from 'node:assert/strict';
import { resetFirestore } from '../support/firestore.js';
import { capturingLogger, startE2eStack, Teardown } from './helpers.js';

describe('local stack: caller checks off, loopback only', function () {
  this.timeout(60_000);

  let teardown: Teardown;

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
  });
  afterEach(() => teardown.run());

  it('sets AUTH_MODE=off itself, serves on 127.0.0.1, and the functions answer without a token', async () => {
    const stack = await startE2eStack(teardown, {
      env: { AUTH_MODE: 'required', STATUS_PRIVATE: 'true' },
      logger: capturingLogger().logger,
    });
    assert.deepEqual(stack.config.auth, { mode: 'off' });
    assert.equal(new URL(stack.url).hostname, '127.0.0.1');
    const tick = await stack.tick();
    assert.equal(tick.status, 200, JSON.stringify(tick.body));
    const versions = await fetch(`${stack.url}/deploymentStatus/api/versions`);
    assert.equal(versions.status, 200);
    assert.ok(Array.isArray(await versions.json()));
  });
});

/**
 * The operator API in production mode (AUTH_MODE=required), ID tokens signed with a local key: every
 * change needs an allowed principal (401 without a valid token, 403 for another caller, and nothing
 * written), whose verified email is recorded as who asked; the dry run is public unless STATUS_PRIVATE.
 */
import assert from 'node:assert/strict';
import type { Firestore } from '@google-cloud/firestore';
import { drainRef, versionEventsCollection, versionRef } from '../../functions/adapters/firestore/refs.js';
import { useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment } from '../support/fixtures.js';
import {
  createTokenSigner,
  idTokenClaims,
  type TokenSigner,
  verifierTrusting,
} from '../support/id-tokens.js';
import { callOperatorApi, type OperatorStack, startOperatorStack } from '../support/operator-stack.js';
import { putDeployment } from '../support/pipeline-fixtures.js';

const STATUS_URL = 'https://deploymentstatus-123456.us-central1.run.app';
const ALICE = 'alice@example.com';
const INSTANCE = 'kf-master-1129-old';

const CHANGES: Array<[string, unknown]> = [
  ['/api/versions/master/pause', { reason: 'r' }],
  ['/api/versions/master/resume', {}],
  ['/api/versions/master/redeploy', {}],
  ['/api/drain', { reason: 'r' }],
  ['/api/undrain', {}],
  [`/api/deployments/${INSTANCE}/teardown`, { force: true }],
];

describe('the operator API with AUTH_MODE=required', () => {
  let db: Firestore;
  let signer: TokenSigner;
  let stack: OperatorStack;
  const start = async (extra: NodeJS.ProcessEnv = {}) => {
    stack = await startOperatorStack(
      db,
      { AUTH_MODE: 'required', STATUS_URL, ALLOWED_PRINCIPALS: ALICE, ...extra },
      verifierTrusting(signer),
    );
  };
  const bearer = (email: string) => ({
    Authorization: `Bearer ${signer.sign(idTokenClaims(email, STATUS_URL))}`,
  });

  useEmulatorSuite((client) => {
    db = client;
  });
  before(async () => {
    signer = await createTokenSigner();
  });
  beforeEach(async () => {
    await putDeployment(
      db,
      makeDeployment({ instance: INSTANCE, status: 'ready', createdAt: new Date(Date.now() - 3_600_000) }),
    );
  });
  afterEach(() => stack?.stop());

  async function nothingWritten(): Promise<void> {
    assert.equal((await versionRef(db, 'master').get()).exists, false);
    assert.equal((await drainRef(db).get()).exists, false);
    assert.equal((await db.collection('deployRequests').get()).size, 0);
    assert.equal((await versionEventsCollection(db, 'master').get()).size, 0);
  }

  for (const [path, body] of CHANGES) {
    it(`POST ${path}: 401 without a token, 403 for another caller; nothing written`, async () => {
      await start();
      const anonymous = await callOperatorApi(stack.url, 'POST', path, body);
      assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
      const mallory = await callOperatorApi(stack.url, 'POST', path, body, bearer('mallory@example.net'));
      assert.equal(mallory.status, 403, JSON.stringify(mallory.body));
      await nothingWritten();
    });
  }

  it("an allowed caller pauses: the token's email is who asked; the body's `by` stays apart, unverified", async () => {
    await start();
    const { status, body } = await callOperatorApi(
      stack.url,
      'POST',
      '/api/versions/master/pause',
      { reason: 'flaky', by: 'bob' },
      bearer(ALICE),
    );
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.pausedBy, ALICE);
    const [event] = (await versionEventsCollection(db, 'master').get()).docs.map((doc) => doc.data());
    assert.equal(event?.by, ALICE);
    assert.equal(event?.claimedBy, 'bob');
  });

  it('GET /api/plan is public by default, and needs an allowed principal when STATUS_PRIVATE=true', async () => {
    await start();
    assert.equal((await callOperatorApi(stack.url, 'GET', '/api/plan')).status, 200);
    await stack.stop();
    await start({ STATUS_PRIVATE: 'true' });
    assert.equal((await callOperatorApi(stack.url, 'GET', '/api/plan')).status, 401);
    assert.equal(
      (await callOperatorApi(stack.url, 'GET', '/api/plan', undefined, bearer(ALICE))).status,
      200,
    );
  });
});

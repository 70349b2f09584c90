/**
 * Who may call the functions (AUTH_MODE=required), over a real socket through the Functions Framework,
 * with the production verifier (google-auth-library) trusting a local RSA key's certificate instead of
 * Google's: no network. Every refused request is checked for its answer (401 without a valid token,
 * 403 for the wrong caller) AND for having changed nothing: the tick did not run, the worker created
 * nothing, the status route wrote nothing.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Firestore } from '@google-cloud/firestore';
import { requestRef } from '../../functions/adapters/firestore/refs.js';
import { GoogleIdTokenVerifier } from '../../functions/adapters/id-token-verifier.js';
import { buildApp, type FunctionName } from '../../functions/app.js';
import { callerChecks } from '../../functions/caller-wiring.js';
import { ConfigError, loadConfig } from '../../functions/config.js';
import type { IdTokenVerifier } from '../../functions/core/ports.js';
import { createDeploymentStatusHandler } from '../../functions/deployment-status.js';
import { silentLogger } from '../../functions/log.js';
import { readJsonBody } from '../../functions/status/json-body.js';
import { READ_ROUTES } from '../../functions/status/read-routes.js';
import { sendJson } from '../../functions/status/respond.js';
import type { Route } from '../../functions/status/route.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { firestoreEmulatorHost, TEST_PROJECT_ID, useEmulatorSuite } from '../support/firestore.js';
import { makeDeployment, makeEnqueuedRequest } from '../support/fixtures.js';
import {
  createTokenSigner,
  expiredClaims,
  idTokenClaims,
  type TokenSigner,
  verifierTrusting,
} from '../support/id-tokens.js';
import {
  MemoryCommitSource,
  MemoryInventory,
  MemoryJobs,
  MemoryLeaseStore,
  MemoryProbe,
  MemoryQueue,
  MemoryState,
} from '../support/memory-stores.js';
import { putDeployment } from '../support/pipeline-fixtures.js';
import { EMPTY_HISTORY_READS } from '../support/status-reads.js';

const TICK_SA = 'auto-deploy-scheduler@demo.iam.gserviceaccount.com';
const TASKS_SA = 'auto-deploy-tasks@demo.iam.gserviceaccount.com';
const TICK_URL = 'https://schedulertick-123456.us-central1.run.app';
const WORKER_URL = 'https://deployworker-123456.us-central1.run.app';
const STATUS_URL = 'https://deploymentstatus-123456.us-central1.run.app';
const QUEUE_ID = 'auto-deploy';
const ALICE = 'alice@example.com';

/** What Terraform sets, for every function (each gets its own part in production). */
function productionEnv(emulator: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
    FIRESTORE_EMULATOR_HOST: emulator,
    AUTH_MODE: 'required',
    SCHEDULER_SERVICE_ACCOUNT: TICK_SA,
    SCHEDULER_TICK_URL: TICK_URL,
    TASKS_SERVICE_ACCOUNT: TASKS_SA,
    TASKS_QUEUE: `projects/${TEST_PROJECT_ID}/locations/us-central1/queues/${QUEUE_ID}`,
    DEPLOY_WORKER_URL: WORKER_URL,
    STATUS_URL,
    ALLOWED_PRINCIPALS: `${ALICE},domain:kubeflow.org`,
    ...extra,
  };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  wwwAuthenticate: string | null;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    wwwAuthenticate: response.headers.get('WWW-Authenticate'),
  };
}

/** A refused request's answer: its status, an error in words, its kind as `reason`, and the 401's challenge. */
function assertRefused(answer: Answer, { status, reason }: Pick<Credentials, 'status' | 'reason'>): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(String(answer.body.error), reason);
  assert.equal(answer.body.reason, status === 401 ? 'unauthenticated' : 'forbidden');
  assert.equal(answer.wwwAuthenticate, status === 401 ? 'Bearer' : null);
}

/** A request's credentials: a token (signed when asked), or a raw Authorization header, or none. */
interface Credentials {
  name: string;
  authorization: (signers: Signers) => string | null;
  status: 401 | 403;
  /** What the answer's error must say: the check that refused it. */
  reason: RegExp;
}

interface Signers {
  google: TokenSigner;
  stranger: TokenSigner;
}

const bearer = (token: string) => `Bearer ${token}`;

/** The ways a token can be wrong for a function whose caller is `email` and audience `audience`. */
function refusedCredentials(email: string, audience: string, other: string): Credentials[] {
  return [
    {
      name: 'no Authorization header',
      reason: /Authorization: Bearer <Google-signed ID token> header is required/,
      authorization: () => null,
      status: 401,
    },
    {
      name: 'a header that is not Bearer <JWT>',
      reason: /not Bearer <JWT>/,
      authorization: () => 'Bearer not-a-jwt',
      status: 401,
    },
    {
      name: 'a malformed token (three segments, not JSON)',
      reason: /refused: malformed token$/,
      authorization: () => bearer('abc.def.ghi'),
      status: 401,
    },
    {
      name: 'a token for another audience',
      reason: /refused: wrong audience$/,
      authorization: ({ google }) => bearer(google.sign(idTokenClaims(email, `${audience}/other`))),
      status: 401,
    },
    {
      name: 'an expired token',
      reason: /refused: expired$/,
      authorization: ({ google }) => bearer(google.sign(expiredClaims(email, audience))),
      status: 401,
    },
    {
      name: 'a token signed by a key Google does not use',
      reason: /refused: signed by a key Google does not use$/,
      authorization: ({ stranger }) => bearer(stranger.sign(idTokenClaims(email, audience))),
      status: 401,
    },
    {
      name: "a token signed by another key under Google's kid",
      reason: /refused: bad signature$/,
      authorization: ({ google, stranger }) =>
        bearer(stranger.sign(idTokenClaims(email, audience), { kid: google.kid })),
      status: 401,
    },
    {
      name: 'a token not issued by Google',
      reason: /refused: not issued by Google$/,
      authorization: ({ google }) =>
        bearer(google.sign(idTokenClaims(email, audience, { iss: 'https://evil.example' }))),
      status: 401,
    },
    {
      name: `another account's token (${other})`,
      reason: new RegExp(`${other.replace(/[.]/g, '\\.')} is not`),
      authorization: ({ google }) => bearer(google.sign(idTokenClaims(other, audience))),
      status: 403,
    },
    {
      name: 'a token whose email is not verified',
      reason: /is not verified$/,
      authorization: ({ google }) =>
        bearer(google.sign(idTokenClaims(email, audience, { email_verified: false }))),
      status: 403,
    },
  ];
}

function headersWith(
  authorization: string | null,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    ...extra,
    ...(authorization ? { Authorization: authorization } : {}),
  };
}

describe('caller checks (AUTH_MODE=required, ID tokens signed with a local key)', () => {
  const signers = {} as Signers;
  let db: Firestore;
  let emulator: string;
  let gateways: Gateway[] = [];

  useEmulatorSuite((client) => {
    db = client;
  });
  before(async () => {
    signers.google = await createTokenSigner();
    signers.stranger = await createTokenSigner();
    emulator = await firestoreEmulatorHost();
  });
  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    gateways = [];
  });

  /** The app as production builds it from the environment, with in-memory GitHub, queue and cluster. */
  function startApp(extraEnv: NodeJS.ProcessEnv = {}, verifier?: IdTokenVerifier) {
    const fakes = {
      commits: new MemoryCommitSource(),
      queue: new MemoryQueue(),
      jobs: new MemoryJobs(() => new Date()),
      inventory: new MemoryInventory(),
      probe: new MemoryProbe(),
    };
    const app = buildApp(loadConfig(productionEnv(emulator, extraEnv)), {
      ...fakes,
      firestore: db,
      idTokenVerifier: verifier ?? verifierTrusting(signers.google),
      logger: silentLogger,
    });
    const names: FunctionName[] = ['schedulerTick', 'deployWorker', 'deploymentStatus'];
    return {
      fakes,
      serve: async () => {
        const gateway = await startGateway(
          Object.fromEntries(names.map((name) => [name, (req, res) => app.handler(name)(req, res)] as const)),
        );
        gateways.push(gateway);
        return gateway.url;
      },
    };
  }

  async function collections(): Promise<string[]> {
    return (await db.listCollections()).map((collection) => collection.id);
  }

  describe('GoogleIdTokenVerifier (google-auth-library, certificates injected)', () => {
    it('returns the email and whether it is verified, for a token of one of the audiences', async () => {
      const verifier = verifierTrusting(signers.google);
      const token = signers.google.sign(idTokenClaims('Alice@Example.com', STATUS_URL));
      assert.deepEqual(await verifier.verify(token, ['https://other.example', STATUS_URL]), {
        kind: 'valid',
        email: 'Alice@Example.com',
        isEmailVerified: true,
      });
      const unverified = signers.google.sign(idTokenClaims(ALICE, STATUS_URL, { email_verified: false }));
      assert.deepEqual(await verifier.verify(unverified, [STATUS_URL]), {
        kind: 'valid',
        email: ALICE,
        isEmailVerified: false,
      });
    });

    it('refuses every token when it is given no audience', async () => {
      const token = signers.google.sign(idTokenClaims(ALICE, STATUS_URL));
      assert.deepEqual(await verifierTrusting(signers.google).verify(token, []), {
        kind: 'invalid',
        reason: 'wrong audience',
      });
    });

    it('never quotes the token in its reason (the library does, and reasons are logged and answered)', async () => {
      const verifier = verifierTrusting(signers.google);
      const tokens = [
        signers.stranger.sign(idTokenClaims(ALICE, STATUS_URL), { kid: signers.google.kid }),
        signers.google.sign(expiredClaims(ALICE, STATUS_URL)),
        signers.google.sign(idTokenClaims(ALICE, 'https://elsewhere.example')),
      ];
      for (const token of tokens) {
        const check = await verifier.verify(token, [STATUS_URL]);
        assert.equal(check.kind, 'invalid');
        const [, payload = '', signature = ''] = token.split('.');
        assert.ok(!JSON.stringify(check).includes(payload), JSON.stringify(check));
        assert.ok(!JSON.stringify(check).includes(signature), JSON.stringify(check));
      }
    });

    it("throws when Google's certificates cannot be fetched (not the caller's fault)", async () => {
      const verifier = new GoogleIdTokenVerifier({
        certificates: () => Promise.reject(new Error('offline')),
      });
      const token = signers.google.sign(idTokenClaims(ALICE, STATUS_URL));
      await assert.rejects(verifier.verify(token, [STATUS_URL]), /offline/);
    });
  });

  describe('schedulerTick: only Cloud Scheduler’s service account', () => {
    for (const credentials of refusedCredentials(TICK_SA, TICK_URL, TASKS_SA)) {
      it(`${credentials.status} for ${credentials.name}; the tick did not run`, async () => {
        const { fakes, serve } = startApp();
        const url = await serve();
        const answer = await call(`${url}/schedulerTick`, {
          method: 'POST',
          headers: headersWith(credentials.authorization(signers)),
        });
        assertRefused(answer, credentials);
        assert.deepEqual(fakes.commits.asked, [], 'the poll asked GitHub');
        assert.deepEqual(fakes.queue.tasks, []);
        assert.deepEqual(await collections(), [], 'the tick wrote to Firestore');
      });
    }

    it("200 for the scheduler's token: the tick ran (it polled every followed branch)", async () => {
      const { fakes, serve } = startApp();
      const url = await serve();
      const token = signers.google.sign(idTokenClaims(TICK_SA, TICK_URL));
      const answer = await call(`${url}/schedulerTick`, {
        method: 'POST',
        headers: headersWith(bearer(token)),
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(fakes.commits.asked.length > 0, 'the poll asked GitHub nothing');
    });

    it("503 when Google's keys cannot be fetched, and the tick did not run (Cloud Scheduler retries)", async () => {
      const unreachable = new GoogleIdTokenVerifier({
        certificates: () => Promise.reject(new Error('getaddrinfo ENOTFOUND www.googleapis.com')),
      });
      const { fakes, serve } = startApp({}, unreachable);
      const url = await serve();
      const token = signers.google.sign(idTokenClaims(TICK_SA, TICK_URL));
      const answer = await call(`${url}/schedulerTick`, {
        method: 'POST',
        headers: headersWith(bearer(token)),
      });
      assert.equal(answer.status, 503);
      assert.deepEqual(fakes.commits.asked, []);
    });
  });

  describe('deployWorker: only the tasks’ service account, from the configured queue', () => {
    const REQUEST_ID = 'req-auth-1';
    const taskHeaders = (queue: string | null) => ({
      'X-CloudTasks-TaskName': `task-${REQUEST_ID}`,
      'X-CloudTasks-TaskRetryCount': '0',
      ...(queue === null ? {} : { 'X-CloudTasks-QueueName': queue }),
    });
    const tasksToken = () => bearer(signers.google.sign(idTokenClaims(TASKS_SA, WORKER_URL)));

    const cases: Array<Credentials & { queue: string | null }> = [
      ...refusedCredentials(TASKS_SA, WORKER_URL, TICK_SA).map((credentials) => ({
        ...credentials,
        queue: QUEUE_ID,
      })),
      {
        name: 'the right token without X-CloudTasks-QueueName',
        reason: /X-CloudTasks-QueueName null is not auto-deploy/,
        authorization: tasksToken,
        status: 403,
        queue: null,
      },
      {
        name: 'the right token from another queue',
        reason: /X-CloudTasks-QueueName "other-queue" is not auto-deploy/,
        authorization: tasksToken,
        status: 403,
        queue: 'other-queue',
      },
    ];

    async function deliver(url: string, authorization: string | null, queue: string | null): Promise<Answer> {
      return call(`${url}/deployWorker`, {
        method: 'POST',
        headers: headersWith(authorization, taskHeaders(queue)),
        body: JSON.stringify({ requestId: REQUEST_ID }),
      });
    }

    async function putEnqueuedRequest(): Promise<Record<string, unknown> | undefined> {
      const { id, ...fields } = makeEnqueuedRequest(new Date(), { id: REQUEST_ID });
      await requestRef(db, id).set(fields);
      return (await requestRef(db, id).get()).data();
    }

    for (const credentials of cases) {
      it(`${credentials.status} for ${credentials.name}; the worker created nothing`, async () => {
        const before = await putEnqueuedRequest();
        const { fakes, serve } = startApp();
        const url = await serve();
        const answer = await deliver(url, credentials.authorization(signers), credentials.queue);
        assertRefused(answer, credentials);
        assert.deepEqual(fakes.jobs.jobs, [], 'a Job was created');
        assert.deepEqual((await requestRef(db, REQUEST_ID).get()).data(), before, 'the request changed');
        assert.deepEqual(await collections(), ['deployRequests'], 'the worker wrote elsewhere');
      });
    }

    it("200 for the tasks' token from the queue: the worker carried the request out", async () => {
      const before = await putEnqueuedRequest();
      const { serve } = startApp();
      const url = await serve();
      const answer = await deliver(url, tasksToken(), QUEUE_ID);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.notDeepEqual(
        (await requestRef(db, REQUEST_ID).get()).data(),
        before,
        'the request is unchanged',
      );
    });
  });

  describe('deploymentStatus', () => {
    const aliceToken = () => bearer(signers.google.sign(idTokenClaims(ALICE, STATUS_URL)));

    it('serves the page and the JSON reads to anyone by default, with or without a token', async () => {
      const { serve } = startApp();
      const url = await serve();
      assert.equal((await call(`${url}/deploymentStatus/api/versions`)).status, 200);
      const page = await fetch(`${url}/deploymentStatus/`, { headers: { Authorization: 'Bearer junk' } });
      assert.equal(page.status, 200);
    });

    describe('STATUS_PRIVATE=true: reads need an allowed principal too', () => {
      for (const credentials of refusedCredentials(ALICE, STATUS_URL, 'mallory@example.net')) {
        it(`${credentials.status} for ${credentials.name}`, async () => {
          const { serve } = startApp({ STATUS_PRIVATE: 'true' });
          const url = await serve();
          const answer = await call(`${url}/deploymentStatus/api/versions`, {
            headers: headersWith(credentials.authorization(signers)),
          });
          assertRefused(answer, credentials);
        });
      }

      it('200 for a listed email and for an email of a listed domain', async () => {
        const { serve } = startApp({ STATUS_PRIVATE: 'true' });
        const url = await serve();
        const carol = bearer(signers.google.sign(idTokenClaims('carol@kubeflow.org', STATUS_URL)));
        for (const authorization of [aliceToken(), carol]) {
          const answer = await call(`${url}/deploymentStatus/api/versions`, {
            headers: headersWith(authorization),
          });
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
        }
      });

      it('accepts the audiences of STATUS_EXTRA_AUDIENCES (gcloud user tokens)', async () => {
        const gcloud = '32555940559.apps.googleusercontent.com';
        const { serve } = startApp({ STATUS_PRIVATE: 'true', STATUS_EXTRA_AUDIENCES: gcloud });
        const url = await serve();
        const token = bearer(signers.google.sign(idTokenClaims(ALICE, gcloud)));
        assert.equal(
          (await call(`${url}/deploymentStatus/api/versions`, { headers: headersWith(token) })).status,
          200,
        );
      });
    });

    describe('a mutating route: an allowed principal, recorded as the caller', () => {
      /** A route like the lease routes: it records who asked, and counts its writes. */
      function leaseLikeRoutes(writes: Array<{ owner: string | null; claimed: unknown }>): Route[] {
        const record = async (ctx: Parameters<Route['handle']>[0]) => {
          // The body as the routes read it (functions/http/ reads the bytes; the framework parses nothing).
          const body = readJsonBody(ctx.req);
          writes.push({
            owner: ctx.caller,
            claimed: body.kind === 'ok' ? (body.value as { owner?: unknown } | undefined)?.owner : undefined,
          });
          sendJson(ctx.res, 200, { owner: ctx.caller });
        };
        return [
          ...READ_ROUTES,
          {
            name: 'lease',
            methods: ['POST'],
            pattern: /^\/api\/test-leases$/,
            isMutating: true,
            handle: record,
          },
          { name: 'unmarked', methods: ['DELETE'], pattern: /^\/api\/test-unmarked$/, handle: record },
          {
            name: 'marked-get',
            methods: ['GET'],
            pattern: /^\/api\/test-marked$/,
            isMutating: true,
            handle: record,
          },
        ];
      }

      async function serveStatus(writes: Array<{ owner: string | null; claimed: unknown }>): Promise<string> {
        const config = loadConfig(productionEnv(emulator));
        const checks = callerChecks(config.auth, () => verifierTrusting(signers.google));
        const gateway = await startGateway({
          deploymentStatus: createDeploymentStatusHandler({
            reader: {
              listVersions: async () => [],
              listDeployments: async () => [],
              listLeases: async () => [],
              ...EMPTY_HISTORY_READS,
            },
            clock: () => new Date(),
            logger: silentLogger,
            project: 'p',
            zone: 'z',
            leases: {
              store: new MemoryLeaseStore(new MemoryState()),
              versions: [],
              clock: () => new Date(),
              randomHex: () => '0123456789abcdef',
            },
            auth: checks.status(silentLogger),
            routes: leaseLikeRoutes(writes),
          }),
        });
        gateways.push(gateway);
        return `${gateway.url}/deploymentStatus`;
      }

      const requests: Array<[string, string]> = [
        ['POST', '/api/test-leases'],
        ['DELETE', '/api/test-unmarked'],
        ['GET', '/api/test-marked'],
      ];
      for (const [method, path] of requests) {
        for (const credentials of refusedCredentials(ALICE, STATUS_URL, 'mallory@example.net')) {
          it(`${method} ${path}: ${credentials.status} for ${credentials.name}; nothing written`, async () => {
            const writes: Array<{ owner: string | null; claimed: unknown }> = [];
            const url = await serveStatus(writes);
            const answer = await call(`${url}${path}`, {
              method,
              headers: headersWith(credentials.authorization(signers)),
              ...(method === 'GET' ? {} : { body: JSON.stringify({ owner: ALICE }) }),
            });
            assertRefused(answer, credentials);
            assert.deepEqual(writes, []);
          });
        }
      }

      it("records the token's email as the owner, not the one the body claims", async () => {
        const writes: Array<{ owner: string | null; claimed: unknown }> = [];
        const url = await serveStatus(writes);
        const answer = await call(`${url}/api/test-leases`, {
          method: 'POST',
          headers: headersWith(aliceToken()),
          body: JSON.stringify({ owner: 'bob@example.com' }),
        });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.deepEqual(writes, [{ owner: ALICE, claimed: 'bob@example.com' }]);
      });
    });

    describe('the real lease API (the app, Firestore emulator)', () => {
      beforeEach(async () => {
        await putDeployment(
          db,
          makeDeployment({
            instance: 'kf-master-1130-abc',
            status: 'ready',
            createdAt: new Date(Date.now() - 60_000),
            readyAt: new Date(),
            endpoint: 'https://kf-master-1130-abc.endpoints.example',
          }),
        );
      });

      async function leasesStored(): Promise<Array<Record<string, unknown>>> {
        return (await db.collection('leases').get()).docs.map((doc) => doc.data());
      }

      it('POST /api/leases without a token: 401 and no lease; another caller: 403 and no lease', async () => {
        const { serve } = startApp();
        const url = await serve();
        const body = JSON.stringify({ version: 'master', owner: 'ci#1' });
        const anonymous = await call(`${url}/deploymentStatus/api/leases`, {
          method: 'POST',
          headers: headersWith(null),
          body,
        });
        assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
        const mallory = bearer(signers.google.sign(idTokenClaims('mallory@example.net', STATUS_URL)));
        const refused = await call(`${url}/deploymentStatus/api/leases`, {
          method: 'POST',
          headers: headersWith(mallory),
          body,
        });
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.deepEqual(await leasesStored(), []);
      });

      it("an allowed caller leases the instance; the lease records the token's email as createdBy", async () => {
        const { serve } = startApp();
        const url = await serve();
        const answer = await call(`${url}/deploymentStatus/api/leases`, {
          method: 'POST',
          headers: headersWith(aliceToken()),
          body: JSON.stringify({ version: 'master', owner: 'ci#1' }),
        });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.equal(answer.body.instance, 'kf-master-1130-abc');
        assert.equal(answer.body.createdBy, ALICE);
        assert.equal(answer.body.owner, 'ci#1');
        const stored = await leasesStored();
        assert.equal(stored.length, 1);
        assert.equal(stored[0]?.createdBy, ALICE);
        // Reading the live leases needs no token while the status is public.
        const listed = await fetch(`${url}/deploymentStatus/api/leases`);
        assert.equal(listed.status, 200);
        assert.equal(((await listed.json()) as unknown[]).length, 1);
      });
    });
  });

  describe('configuration', () => {
    const needs: Array<[FunctionName, string]> = [
      ['schedulerTick', 'SCHEDULER_SERVICE_ACCOUNT'],
      ['schedulerTick', 'SCHEDULER_TICK_URL'],
      ['deployWorker', 'TASKS_SERVICE_ACCOUNT'],
      ['deployWorker', 'DEPLOY_WORKER_URL'],
      ['deploymentStatus', 'STATUS_URL'],
    ];
    for (const [name, variable] of needs) {
      it(`${name} refuses to start without ${variable} (a ConfigError naming it); with AUTH_MODE=off it starts`, () => {
        const env = productionEnv(emulator, { [variable]: '' });
        const overrides = {
          firestore: db,
          jobs: new MemoryJobs(),
          queue: new MemoryQueue(),
          logger: silentLogger,
        };
        assert.throws(
          () => buildApp(loadConfig(env), overrides).handler(name),
          (err: unknown) =>
            err instanceof ConfigError &&
            err.message.includes(variable) &&
            /AUTH_MODE=required/.test(err.message),
        );
        assert.equal(
          typeof buildApp(loadConfig({ ...env, AUTH_MODE: 'off' }), overrides).handler(name),
          'function',
        );
      });
    }
  });

  it('the local gateway listens on loopback only', async () => {
    const gateway = await startGateway({});
    gateways.push(gateway);
    assert.equal((gateway.server.address() as AddressInfo).address, '127.0.0.1');
    assert.match(gateway.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

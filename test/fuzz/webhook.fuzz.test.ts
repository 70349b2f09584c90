/**
 * githubWebhook under hostile deliveries, through the Functions Framework (the gateway) onto the
 * Firestore emulator: random and mutated real push payloads, every header missing, doubled or garbage,
 * bytes that are not UTF-8, deeply nested JSON, the most commits GitHub sends in one push, and pushes
 * to branches of every shape. Never a 5xx, never a stack trace, never a write without a valid
 * signature, and every branch that is followed is stored under an id Firestore accepts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import fc from 'fast-check';
import { FirestoreIntakeStore } from '../../functions/adapters/firestore/intake-store.js';
import { WebhookVerifier } from '../../functions/adapters/github-payload.js';
import { ConfigError, parseDeploymentsConfig } from '../../functions/config.js';
import { branchDocId } from '../../functions/core/names.js';
import type { VersionConfig } from '../../functions/core/types.js';
import { createGithubWebhookHandler } from '../../functions/github-webhook.js';
import { silentLogger } from '../../functions/log.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { buildPushPayload, fakeSha } from '../../scripts/lib/push-payload.js';
import { firestoreEmulatorHost, useEmulatorSuite } from '../support/firestore.js';
import { deeplyNested, fuzzRuns, hostileBytes, mutateAt } from './support/fuzz.js';
import {
  assertOwnJson,
  deliveryHeaders,
  type HostileStack,
  send,
  sendRaw,
  signBytes,
  startHostileStack,
  WEBHOOK_SECRET,
} from './support/hostile-stack.js';

const REPO = 'kubeflow/manifests';

/** A real push payload (@octokit/webhooks-examples) to a followed or other branch. */
const realPush = fc
  .record({
    ref: fc.constantFrom('master', 'v1.0-branch', 'other', 'refs/tags/v1'),
    commits: fc.nat(5),
    seed: fc.nat(),
  })
  .map(({ ref, commits, seed }) =>
    buildPushPayload({
      repo: REPO,
      ref,
      before: fakeSha(`b${seed}`),
      commits: Array.from({ length: commits }, (_, i) => fakeSha(`${seed}-${i}`)),
      after: fakeSha(`a${seed}`),
      created: false,
    }),
  );

/** Values to put anywhere in a payload. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    '',
    'refs/heads/',
    'refs/heads/master',
    fakeSha('x'),
    '0'.repeat(40),
    'ZZZ',
    -1,
    1e308,
  ),
);

/** A real payload with up to three fields replaced, serialised: the bytes GitHub might sign. */
const mutatedPush = fc
  .tuple(realPush, fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), anyValue), { maxLength: 3 }))
  .map(([payload, edits]) =>
    Buffer.from(
      JSON.stringify(edits.reduce((doc, [path, value]) => mutateAt(doc, path, value), payload as unknown)),
    ),
  );

type HeaderShape = 'missing' | 'once' | 'doubled' | 'garbage';
/** Mostly well-formed, so that a delivery is often perfect but for its signature. */
const headerShape = fc.oneof(
  { arbitrary: fc.constant<HeaderShape>('once'), weight: 4 },
  { arbitrary: fc.constantFrom<HeaderShape>('missing', 'doubled', 'garbage'), weight: 1 },
);

/** The header lines of `name` with `value`, in `shape`. */
function lines(name: string, value: string, shape: HeaderShape, garbage: string): Array<[string, string]> {
  switch (shape) {
    case 'missing':
      return [];
    case 'once':
      return [[name, value]];
    case 'doubled':
      return [
        [name, value],
        [name, value],
      ];
    case 'garbage':
      return [[name, garbage]];
  }
}

/** Header values that are legal on the wire (visible ASCII and spaces). */
const headerGarbage = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);

describe('githubWebhook under hostile deliveries (fast-check, Firestore emulator)', function () {
  this.timeout(120_000);
  let db: Firestore;
  let stack: HostileStack;
  let url: string;

  useEmulatorSuite(
    (client) => {
      db = client;
    },
    { beforeTerminate: () => stack.stop() },
  );
  before(async () => {
    stack = await startHostileStack(db, await firestoreEmulatorHost());
    url = `${stack.url}/githubWebhook`;
  });

  async function collections(): Promise<string[]> {
    return (await db.listCollections()).map((collection) => collection.id);
  }

  it('without a valid signature, whatever the body and headers: 401, JSON, nothing written', async () => {
    const signature = fc.constantFrom('none', 'wrong-secret', 'other-body', 'garbage');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: mutatedPush, weight: 3 }, { arbitrary: hostileBytes(), weight: 1 }),
        fc.tuple(headerShape, headerShape, headerShape, headerShape),
        signature,
        headerGarbage,
        async (body, [typeShape, eventShape, idShape, signatureShape], how, garbage) => {
          const valid = signBytes(body);
          const signed = {
            none: null,
            'wrong-secret': signBytes(body, 'not-the-secret'),
            'other-body': signBytes(Buffer.concat([body, Buffer.from(' ')])),
            garbage,
          }[how];
          // A doubled valid signature is a wrong one too ("sha256=..., sha256=...").
          fc.pre(!(signed === valid));
          const headers = [
            ...lines('Content-Type', 'application/json', typeShape, garbage),
            ...lines('X-GitHub-Event', 'push', eventShape, garbage),
            ...lines('X-GitHub-Delivery', randomUUID(), idShape, garbage),
            ...(signed === null
              ? []
              : lines(
                  'X-Hub-Signature-256',
                  signed,
                  signatureShape === 'missing' ? 'once' : signatureShape,
                  garbage,
                )),
          ];
          const answer = await sendRaw(url, headers, body);
          assert.equal(answer.status, 401, answer.text);
          assertOwnJson(answer);
          assert.deepEqual(await collections(), [], 'a write without a valid signature');
        },
      ),
      fuzzRuns(80),
    );
  });

  it('signed mutated real payloads and signed random bytes: 200, 202 or 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutatedPush, mutatedPush, hostileBytes()),
        fc.constantFrom('push', 'ping', 'create', 'Push'),
        async (body, event) => {
          const answer = await send(url, { method: 'POST', headers: deliveryHeaders(body, event), body });
          assert.ok(
            [200, 202, 400].includes(answer.status),
            `${answer.status} ${answer.text}\n${body.toString('utf8').slice(0, 500)}`,
          );
          assertOwnJson(answer);
        },
      ),
      fuzzRuns(80),
    );
  });

  it('deeply nested JSON anywhere in a signed push: answered (200, 202 or 400), never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        realPush,
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.integer({ min: 1000, max: 200_000 }),
        fc.constantFrom<'array' | 'object'>('array', 'object'),
        async (payload, path, depth, kind) => {
          const marker = '"__NESTED__"';
          const text = JSON.stringify(mutateAt(payload, path, '__NESTED__')).replace(
            marker,
            deeplyNested(depth, kind),
          );
          const answer = await send(url, { method: 'POST', headers: deliveryHeaders(text), body: text });
          assert.ok([200, 202, 400].includes(answer.status), `${answer.status} ${answer.text.slice(0, 300)}`);
          assertOwnJson(answer);
        },
      ),
      fuzzRuns(15),
    );
  });

  it('a push of 2,048 commits (the most GitHub sends) records each one exactly once', async () => {
    const shas = Array.from({ length: 2048 }, (_, i) => fakeSha(`many-${i}`));
    const body = JSON.stringify(
      buildPushPayload({ repo: REPO, ref: 'master', before: fakeSha('many'), commits: shas, created: false }),
    );
    const first = await send(url, { method: 'POST', headers: deliveryHeaders(body), body });
    assert.equal(first.status, 200, first.text);
    const again = await send(url, { method: 'POST', headers: deliveryHeaders(body), body });
    assert.equal(again.status, 200, again.text);
    const commits = await db.collection(`branches/${branchDocId(REPO, 'master')}/commits`).get();
    assert.equal(commits.size, 2048);
  });
});

describe('githubWebhook: pushes to branches of every shape (fast-check, Firestore emulator)', function () {
  this.timeout(120_000);
  let db: Firestore;
  let gateway: Gateway;
  const followed: VersionConfig[] = [];

  useEmulatorSuite(
    (client) => {
      db = client;
    },
    { beforeTerminate: () => gateway.stop() },
  );
  before(async () => {
    const handler = createGithubWebhookHandler({
      verifier: new WebhookVerifier([WEBHOOK_SECRET]),
      store: new FirestoreIntakeStore(db),
      versions: followed,
      evaluator: { evaluate: async () => {} },
      clock: () => new Date(),
      logger: silentLogger,
    });
    gateway = await startGateway({ githubWebhook: handler });
  });

  /** The version following `branch`, if the deployments file accepts it. */
  function versionFollowing(branch: string): VersionConfig | null {
    const version = {
      name: 'fuzz',
      repo: REPO,
      branch,
      kfDefPath: 'a.yaml',
      kfctlUrl: 'https://example.com/kfctl',
    };
    try {
      const config = parseDeploymentsConfig(
        JSON.stringify({ project: 'p', zone: 'z', namespace: 'n', versions: [version] }),
        'fuzz',
      );
      return config.versions[0] ?? null;
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return null;
    }
  }

  it('a followed branch is recorded under an id Firestore accepts; any other is ignored (202)', async () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'master',
        'release',
        'v1.0-branch',
        '分支',
        '😀',
        '%',
        '%2F',
        '.',
        '..',
        '.lock',
        '@',
        '@{',
        'HEAD',
        ' ',
        '~',
        ':',
        '\\',
        '__',
        '-',
      ),
      fc.string({ unit: 'grapheme', maxLength: 5 }),
    );
    const branch = fc.oneof(
      fc
        .array(
          fc.array(piece, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')),
          { minLength: 1, maxLength: 4 },
        )
        .map((parts) => parts.join('/')),
      fc.nat(1600).map((n) => `long-${'b'.repeat(n)}`),
    );
    await fc.assert(
      fc.asyncProperty(branch, fc.boolean(), async (name, isFollowed) => {
        const version = isFollowed ? versionFollowing(name) : null;
        followed.splice(0, followed.length, ...(version ? [version] : []));
        // The file trims what it reads (" x" follows "x"): push to the branch it follows.
        const branch = version?.branch ?? name;
        const after = fakeSha(`${branch}-head`);
        const body = JSON.stringify(
          buildPushPayload({
            repo: REPO,
            ref: `refs/heads/${branch}`,
            after,
            before: fakeSha('x'),
            created: false,
          }),
        );
        const answer = await send(`${gateway.url}/githubWebhook`, {
          method: 'POST',
          headers: deliveryHeaders(body),
          body,
        });
        assertOwnJson(answer);
        if (!version) {
          assert.equal(answer.status, 202, answer.text);
          return;
        }
        assert.equal(answer.status, 200, `${JSON.stringify(branch)}: ${answer.text}`);
        const head = await db.doc(`branches/${branchDocId(REPO, branch)}`).get();
        assert.equal(head.data()?.sha, after);
      }),
      fuzzRuns(60),
    );
  });
});

import assert from 'node:assert/strict';
import { Webhooks } from '@octokit/webhooks';
import examples from '@octokit/webhooks-examples' with { type: 'json' };
import {
  InvalidPayloadError,
  parsePushPayload,
  WebhookVerifier,
} from '../../functions/adapters/github-payload.js';
import { ZERO_SHA } from '../../functions/core/names.js';
import type { PushEvent } from '../../functions/core/types.js';

const DELIVERY_ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

interface ExamplePush {
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
  repository: { full_name: string; pushed_at: number | string | null };
  pusher: { name: string; email?: string | null; username?: string };
  commits: Array<{
    id: string;
    message: string;
    timestamp: string;
    url: string;
    distinct: boolean;
    author: { name: string; email: string | null; username?: string };
  }>;
}

function pushExamples(): ExamplePush[] {
  // The JSON's default export is typed as the module namespace; at run time it is the array.
  const definitions = examples as unknown as Array<{ name: string; examples: unknown[] }>;
  const definition = definitions.find((entry) => entry.name === 'push');
  assert.ok(definition, '@octokit/webhooks-examples has push examples');
  return definition.examples as unknown as ExamplePush[];
}

function branchPushExample(): ExamplePush {
  const found = pushExamples().find(
    (example) => example.ref.startsWith('refs/heads/') && example.commits.length > 0,
  );
  assert.ok(found, 'a push example to a branch with commits');
  return found;
}

/** A small valid push body; each case changes a deep copy of it. */
function minimalBody(): Record<string, unknown> {
  return {
    ref: 'refs/heads/master',
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    repository: { full_name: 'kubeflow/manifests', pushed_at: 1714979289 },
  };
}

describe('parsePushPayload', () => {
  it('normalises a real push example from @octokit/webhooks-examples', () => {
    const example = branchPushExample();
    const [commit] = example.commits;
    assert.ok(commit);
    assert.equal(
      typeof example.repository.pushed_at,
      'number',
      'push events carry pushed_at in epoch seconds',
    );

    const push = parsePushPayload(example, DELIVERY_ID);

    const expected: PushEvent = {
      source: 'webhook',
      deliveryId: DELIVERY_ID,
      repo: 'Codertocat/Hello-World',
      ref: 'refs/heads/master',
      before: ZERO_SHA,
      after: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      created: true,
      deleted: false,
      forced: false,
      pusher: 'Codertocat',
      pushedAt: new Date('2019-05-15T15:20:57.000Z'),
      commits: [
        {
          sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
          message: 'Initial commit',
          author: {
            name: 'Codertocat',
            email: '21031067+Codertocat@users.noreply.github.com',
            username: 'Codertocat',
          },
          timestamp: new Date('2019-05-15T15:19:25.000Z'),
          url: 'https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246',
          distinct: true,
        },
      ],
    };
    assert.deepEqual(push, expected);
  });

  it('parses every push example of @octokit/webhooks-examples, tags and deletions included', () => {
    const all = pushExamples();
    // The set this claims to cover: a tag creation, tag deletions and branch pushes with commits.
    const kinds = new Set(
      all.map(
        (e) => `${e.ref.startsWith('refs/tags/') ? 'tag' : 'branch'} ${e.deleted ? 'deleted' : 'pushed'}`,
      ),
    );
    assert.deepEqual([...kinds].sort(), ['branch pushed', 'tag deleted', 'tag pushed']);
    assert.ok(
      all.some((e) => e.commits.length > 0),
      'no example with commits',
    );
    for (const example of all) {
      const push = parsePushPayload(example, DELIVERY_ID);
      assert.equal(push.ref, example.ref);
      assert.equal(push.deleted, example.deleted);
      assert.equal(push.created, example.created);
      assert.equal(push.commits.length, example.commits.length);
    }
  });

  interface NormaliseCase {
    name: string;
    change: (body: Record<string, unknown>) => void;
    expected: Partial<PushEvent>;
  }

  const normaliseCases: NormaliseCase[] = [
    {
      name: 'defaults for absent flags, pusher and commits',
      change: () => {},
      expected: { created: false, deleted: false, forced: false, pusher: null, commits: [] },
    },
    {
      name: 'upper-case shas lower-cased',
      change: (body) => {
        body.before = 'ABCDEF0123'.repeat(4);
        body.after = 'FEDCBA9876'.repeat(4);
      },
      expected: { before: 'abcdef0123'.repeat(4), after: 'fedcba9876'.repeat(4) },
    },
    {
      name: 'the pusher username preferred over the name',
      change: (body) => {
        body.pusher = { name: 'Ada Lovelace', username: 'ada' };
      },
      expected: { pusher: 'ada' },
    },
    {
      name: 'the pusher name when there is no username',
      change: (body) => {
        body.pusher = { name: 'ada', email: null };
      },
      expected: { pusher: 'ada' },
    },
    {
      name: 'pushed_at in epoch seconds',
      change: () => {},
      expected: { pushedAt: new Date('2024-05-06T07:08:09.000Z') },
    },
    {
      name: 'pushed_at as an ISO string',
      change: (body) => {
        body.repository = { full_name: 'kubeflow/manifests', pushed_at: '2024-05-06T07:08:09Z' };
      },
      expected: { pushedAt: new Date('2024-05-06T07:08:09.000Z') },
    },
    {
      name: 'pushed_at that is not a date',
      change: (body) => {
        body.repository = { full_name: 'kubeflow/manifests', pushed_at: 'yesterday' };
      },
      expected: { pushedAt: null },
    },
    {
      name: 'pushed_at null',
      change: (body) => {
        body.repository = { full_name: 'kubeflow/manifests', pushed_at: null };
      },
      expected: { pushedAt: null },
    },
    {
      name: 'a deletion',
      change: (body) => {
        body.after = ZERO_SHA;
        body.deleted = true;
        body.forced = null;
      },
      expected: { after: ZERO_SHA, deleted: true, forced: false },
    },
    {
      name: 'a commit with only the required fields',
      change: (body) => {
        body.commits = [{ id: 'C'.repeat(40), message: 'm' }];
      },
      expected: {
        commits: [
          {
            sha: 'c'.repeat(40),
            message: 'm',
            author: { name: '', email: null, username: null },
            timestamp: null,
            url: null,
            distinct: true,
          },
        ],
      },
    },
    {
      name: 'a commit already on another branch, with a bad timestamp',
      change: (body) => {
        body.commits = [
          {
            id: 'c'.repeat(40),
            message: 'Merge',
            distinct: false,
            timestamp: 'not a date',
            author: { name: 'Ada', email: 'ada@example.com', username: null },
          },
        ];
      },
      expected: {
        commits: [
          {
            sha: 'c'.repeat(40),
            message: 'Merge',
            author: { name: 'Ada', email: 'ada@example.com', username: null },
            timestamp: null,
            url: null,
            distinct: false,
          },
        ],
      },
    },
  ];

  for (const testCase of normaliseCases) {
    it(`normalises ${testCase.name}`, () => {
      const body = minimalBody();
      testCase.change(body);
      const push = parsePushPayload(body, DELIVERY_ID);
      for (const [key, value] of Object.entries(testCase.expected)) {
        assert.deepEqual(push[key as keyof PushEvent], value, key);
      }
      assert.equal(push.source, 'webhook');
      assert.equal(push.deliveryId, DELIVERY_ID);
      assert.equal(push.repo, 'kubeflow/manifests');
    });
  }

  interface InvalidCase {
    name: string;
    body: () => unknown;
    field: string;
  }

  function changed(change: (body: Record<string, unknown>) => void): () => unknown {
    return () => {
      const body = minimalBody();
      change(body);
      return body;
    };
  }

  const invalidCases: InvalidCase[] = [
    { name: 'null', body: () => null, field: '(body)' },
    { name: 'a string', body: () => 'refs/heads/master', field: '(body)' },
    { name: 'an array', body: () => [minimalBody()], field: '(body)' },
    {
      name: 'a missing ref',
      body: changed((body) => {
        delete body.ref;
      }),
      field: 'ref',
    },
    {
      name: 'an empty ref',
      body: changed((body) => {
        body.ref = '';
      }),
      field: 'ref',
    },
    {
      name: 'a short before sha',
      body: changed((body) => {
        body.before = 'abc123';
      }),
      field: 'before',
    },
    {
      name: 'a non-hex after sha',
      body: changed((body) => {
        body.after = 'g'.repeat(40);
      }),
      field: 'after',
    },
    {
      name: 'a missing repository',
      body: changed((body) => {
        delete body.repository;
      }),
      field: 'repository',
    },
    {
      name: 'a repository name without owner',
      body: changed((body) => {
        body.repository = { full_name: 'manifests' };
      }),
      field: 'repository.full_name',
    },
    {
      name: 'a boolean pushed_at',
      body: changed((body) => {
        body.repository = { full_name: 'kubeflow/manifests', pushed_at: true };
      }),
      field: 'repository.pushed_at',
    },
    {
      name: 'a string created flag',
      body: changed((body) => {
        body.created = 'yes';
      }),
      field: 'created',
    },
    {
      name: 'commits that are not a list',
      body: changed((body) => {
        body.commits = { id: 'c'.repeat(40) };
      }),
      field: 'commits',
    },
    {
      name: 'a commit with a bad id',
      body: changed((body) => {
        body.commits = [
          { id: 'c'.repeat(40), message: 'ok' },
          { id: 'nope', message: 'bad' },
        ];
      }),
      field: 'commits.1.id',
    },
    {
      name: 'a commit without a message',
      body: changed((body) => {
        body.commits = [{ id: 'c'.repeat(40) }];
      }),
      field: 'commits.0.message',
    },
  ];

  for (const testCase of invalidCases) {
    it(`rejects ${testCase.name}, naming ${testCase.field}`, () => {
      assert.throws(
        () => parsePushPayload(testCase.body(), DELIVERY_ID),
        (err: unknown) => {
          assert.ok(err instanceof InvalidPayloadError, String(err));
          assert.equal(err.name, 'InvalidPayloadError');
          assert.ok(err.message.startsWith('not a valid push event: '), err.message);
          assert.ok(
            err.message.includes(`${testCase.field}: `),
            `${testCase.field} not named in: ${err.message}`,
          );
          return true;
        },
      );
    });
  }

  it('names every bad field at once', () => {
    assert.throws(
      () => parsePushPayload({ ref: 'refs/heads/x', before: 'x', after: 'y', repository: {} }, DELIVERY_ID),
      (err: unknown) => {
        assert.ok(err instanceof InvalidPayloadError);
        for (const field of ['before: ', 'after: ', 'repository.full_name: ']) {
          assert.ok(err.message.includes(field), `${field} not in ${err.message}`);
        }
        return true;
      },
    );
  });
});

describe('WebhookVerifier', () => {
  const CURRENT = 'current-secret-0f9e';
  const PREVIOUS = 'previous-secret-7a6b';
  const body = JSON.stringify(branchPushExample());

  it('needs at least one secret', () => {
    assert.throws(() => new WebhookVerifier([]), /at least one secret/);
  });

  function flipOneByte(text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    const index = bytes.indexOf('Initial commit');
    assert.ok(index > 0);
    bytes[index] = 'i'.charCodeAt(0);
    return bytes;
  }

  interface VerifyCase {
    name: string;
    secrets: string[];
    rawBody: () => Buffer;
    signature: () => Promise<string | undefined>;
    expected: boolean;
  }

  const sign = (secret: string, payload = body) => new Webhooks({ secret }).sign(payload);

  const cases: VerifyCase[] = [
    {
      name: 'signed with the current secret',
      secrets: [CURRENT, PREVIOUS],
      rawBody: () => Buffer.from(body),
      signature: () => sign(CURRENT),
      expected: true,
    },
    {
      name: 'signed with the previous secret during a rotation',
      secrets: [CURRENT, PREVIOUS],
      rawBody: () => Buffer.from(body),
      signature: () => sign(PREVIOUS),
      expected: true,
    },
    {
      name: 'signed with the previous secret once the rotation is over',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: () => sign(PREVIOUS),
      expected: false,
    },
    {
      name: 'signed with a wrong secret',
      secrets: [CURRENT, PREVIOUS],
      rawBody: () => Buffer.from(body),
      signature: () => sign('wrong-secret'),
      expected: false,
    },
    {
      name: 'without a signature header',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => undefined,
      expected: false,
    },
    {
      name: 'with an empty signature header',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => '',
      expected: false,
    },
    {
      name: 'with a sha1 signature',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => `sha1=${'0'.repeat(40)}`,
      expected: false,
    },
    {
      name: 'with the hex digest but no sha256= prefix',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => (await sign(CURRENT)).slice('sha256='.length),
      expected: false,
    },
    {
      name: 'with a truncated digest',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => (await sign(CURRENT)).slice(0, -2),
      expected: false,
    },
    {
      name: 'with a non-hex digest',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(body),
      signature: async () => `sha256=${'z'.repeat(64)}`,
      expected: false,
    },
    {
      name: 'with the body changed by one byte',
      secrets: [CURRENT],
      rawBody: () => flipOneByte(body),
      signature: () => sign(CURRENT),
      expected: false,
    },
    {
      name: 'with a trailing newline added to the body',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(`${body}\n`),
      signature: () => sign(CURRENT),
      expected: false,
    },
    {
      name: 'with the body re-serialised with other spacing',
      secrets: [CURRENT],
      rawBody: () => Buffer.from(JSON.stringify(JSON.parse(body), null, 2)),
      signature: () => sign(CURRENT),
      expected: false,
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.expected ? 'accepts' : 'rejects'} a body ${testCase.name}`, async () => {
      const verifier = new WebhookVerifier(testCase.secrets);
      assert.equal(await verifier.isValid(testCase.rawBody(), await testCase.signature()), testCase.expected);
    });
  }
});

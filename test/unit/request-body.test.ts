/**
 * functions/http/json-body.ts (a body as JSON, read after the caller check), the webhook signature
 * (HMAC over the raw bytes, compared in constant time) and Firestore's document id rules.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { WebhookVerifier } from '../../functions/adapters/github-payload.js';
import { isValidDocumentId } from '../../functions/core/names.js';
import { type BodySource, readJsonBody, refusalOf, sizeRefusal } from '../../functions/http/json-body.js';
import { takeOverBodies } from '../../functions/http/own-body-reader.js';
import { type BodyProblem, bodyProblemOf, setBodyProblem } from '../../functions/http/read-body.js';

const LIMIT = 100;

/** @octokit/webhooks' verify() (webhooks-methods: HMAC of the string, then timingSafeEqual). */
const octokitVerify = (secret: string, body: string, signature: string) =>
  new Webhooks({ secret }).verify(body, signature);

function request(fields: BodySource, problem?: BodyProblem): BodySource & object {
  const req = { ...fields };
  if (problem) setBodyProblem(req, problem);
  return req;
}

describe('readJsonBody', () => {
  const cases: Array<{ name: string; req: BodySource & object; expected: unknown }> = [
    {
      name: 'JSON bytes',
      req: request({ rawBody: Buffer.from('{"a": [1]}') }),
      expected: { kind: 'ok', value: { a: [1] } },
    },
    {
      name: 'a JSON scalar',
      req: request({ rawBody: Buffer.from('"x"') }),
      expected: { kind: 'ok', value: 'x' },
    },
    {
      name: 'no bytes',
      req: request({ rawBody: Buffer.alloc(0) }),
      expected: { kind: 'ok', value: undefined },
    },
    {
      name: 'whitespace',
      req: request({ rawBody: Buffer.from(' \n') }),
      expected: { kind: 'ok', value: undefined },
    },
    { name: 'no body read at all', req: request({}), expected: { kind: 'ok', value: undefined } },
    {
      name: 'an object parsed by someone else',
      req: request({ body: { a: 1 } }),
      expected: { kind: 'ok', value: { a: 1 } },
    },
    {
      name: 'bytes that are not UTF-8',
      req: request({ rawBody: Buffer.from([0x22, 0xc3, 0x28, 0x22]) }),
      expected: { kind: 'not-json', message: 'the body is not valid UTF-8' },
    },
    {
      name: 'over the limit',
      req: request({ rawBody: Buffer.alloc(LIMIT + 1, 0x20) }),
      expected: { kind: 'too-large', bytes: LIMIT + 1, limitBytes: LIMIT },
    },
    {
      name: 'over the limit, as the reader recorded it (no bytes kept)',
      req: request({}, { kind: 'too-large', bytes: 5000, limitBytes: 4000 }),
      expected: { kind: 'too-large', bytes: 5000, limitBytes: 4000 },
    },
    {
      name: 'compressed, as the reader recorded it',
      req: request({ rawBody: Buffer.from([0x1f, 0x8b]) }, { kind: 'encoded', encoding: 'gzip' }),
      expected: { kind: 'encoded', encoding: 'gzip' },
    },
  ];
  for (const { name, req, expected } of cases) {
    it(`reads ${name}`, () => {
      assert.deepEqual(readJsonBody(req, LIMIT), expected);
    });
  }

  it('says what is wrong with a body that is not JSON, without a stack', () => {
    const body = readJsonBody(request({ rawBody: Buffer.from('{oops') }), LIMIT);
    assert.equal(body.kind, 'not-json');
    if (body.kind !== 'not-json') return;
    const refusal = refusalOf(body);
    assert.equal(refusal.status, 400);
    assert.match(refusal.error, /^the body is not JSON \(.+\)$/);
    assert.doesNotMatch(refusal.error, /\n\s+at /);
  });

  it('refuses by size alone before anything is parsed (413), and lets a body within the limit through', () => {
    assert.equal(sizeRefusal(request({ rawBody: Buffer.alloc(LIMIT + 1) }), LIMIT)?.status, 413);
    assert.equal(sizeRefusal(request({ rawBody: Buffer.alloc(LIMIT) }), LIMIT), null);
    assert.equal(sizeRefusal(request({}), LIMIT), null);
  });
});

describe('takeOverBodies: the reader in front of the framework app', () => {
  it('wraps a server once, however often it is asked (a second reader would wait for an ended stream)', async () => {
    const seen: Array<{ raw: string | undefined; problem: BodyProblem | null }> = [];
    const server = createServer((req: IncomingMessage & { rawBody?: Buffer }, res) => {
      seen.push({ raw: req.rawBody?.toString('utf8'), problem: bodyProblemOf(req) });
      res.end('ok');
    });
    takeOverBodies(server, 8);
    takeOverBodies(server, 8);
    assert.equal(server.listeners('request').length, 1);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      assert.equal(await (await fetch(url, { method: 'POST', body: '{"a":1}' })).text(), 'ok');
      assert.equal(await (await fetch(url, { method: 'POST', body: 'x'.repeat(9) })).text(), 'ok');
    } finally {
      server.closeAllConnections();
      server.close();
    }
    assert.deepEqual(seen, [
      { raw: '{"a":1}', problem: null },
      { raw: undefined, problem: { kind: 'too-large', bytes: 9, limitBytes: 8 } },
    ]);
  });
});

describe('WebhookVerifier: HMAC-SHA256 over the raw bytes', () => {
  const sign = (bytes: Buffer | string, secret: string) =>
    `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;

  it("accepts GitHub's documented example (docs: Validating webhook deliveries)", async () => {
    const verifier = new WebhookVerifier(["It's a Secret to Everybody"]);
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    assert.equal(await verifier.isValid(Buffer.from('Hello, World!'), signature), true);
    assert.equal(await verifier.isValid(Buffer.from('Hello, World?'), signature), false);
  });

  it('agrees with @octokit/webhooks verify() (the reference, also timingSafeEqual) on UTF-8 bodies', async () => {
    const bodies = ['{"zen":"Keep it logically awesome."}', 'ünïcode 分支 😀', ' '];
    for (const body of bodies) {
      for (const secret of ['s3cret', 'other']) {
        const signature = sign(body, 's3cret');
        const ours = await new WebhookVerifier([secret]).isValid(Buffer.from(body), signature);
        assert.equal(ours, await octokitVerify(secret, body, signature), `${body} / ${secret}`);
      }
    }
  });

  it('verifies bytes that are not UTF-8 as they are (a string API would verify their replacement characters)', async () => {
    const verifier = new WebhookVerifier(['s3cret']);
    const raw = Buffer.from([0x7b, 0xff, 0x7d]);
    assert.equal(await verifier.isValid(raw, sign(raw, 's3cret')), true);
    // The same text after decoding (U+FFFD) is other bytes, so another signature.
    const decoded = Buffer.from(raw.toString('utf8'));
    assert.equal(await verifier.isValid(raw, sign(decoded, 's3cret')), false);
  });

  it('answers false, without throwing, for an empty body (octokit throws) and for malformed headers', async () => {
    const verifier = new WebhookVerifier(['s3cret']);
    const empty = Buffer.alloc(0);
    assert.equal(await verifier.isValid(empty, sign(empty, 's3cret')), true);
    assert.equal(await verifier.isValid(empty, sign('x', 's3cret')), false);
    await assert.rejects(octokitVerify('s3cret', '', sign(empty, 's3cret')), TypeError);
    const valid = sign('x', 's3cret');
    for (const header of [valid.toUpperCase(), `${valid}, ${valid}`, ` ${valid}`, `${valid}0`, 'sha256=']) {
      assert.equal(await verifier.isValid(Buffer.from('x'), header), false, header);
    }
  });
});

describe('isValidDocumentId: what Firestore accepts as a document id', () => {
  const cases: Array<[string, boolean]> = [
    ['kubeflow:manifests:master', true],
    ['kubeflow:manifests:release%2Fv1.2', true],
    ['deploy-master-0123456789ab-c202611301200', true],
    ['分支', true],
    ['😀', true],
    ['x'.repeat(1500), true],
    ['x'.repeat(1501), false],
    ['é'.repeat(751), false],
    ['', false],
    ['.', false],
    ['..', false],
    ['...', true],
    ['a/b', false],
    ['__id__', false],
    ['__id', true],
    ['a\uD800b', false],
  ];
  for (const [id, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${JSON.stringify(id.length > 20 ? `${id.slice(0, 8)}…(${id.length})` : id)}`, () => {
      assert.equal(isValidDocumentId(id), expected);
    });
  }
});

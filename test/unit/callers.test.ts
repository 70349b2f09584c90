/** core/callers.ts: the allow-list, the bearer header, the access decisions, the status routes' requirement. */
import assert from 'node:assert/strict';
import {
  type AccessDecision,
  type AllowList,
  bearerToken,
  type CallerRequirement,
  decideAccess,
  isAllowedPrincipal,
  NOBODY,
  parseAllowList,
  statusRouteRequirement,
  type TokenCheck,
} from '../../functions/core/callers.js';

const TICK_SA = 'auto-deploy-scheduler@p.iam.gserviceaccount.com';
const TASKS_SA = 'auto-deploy-tasks@p.iam.gserviceaccount.com';
const LIST: AllowList = {
  emails: ['alice@example.com', 'ci@p.iam.gserviceaccount.com'],
  domains: ['kubeflow.org'],
};

describe('parseAllowList', () => {
  const cases: Array<{ text: string; expected: AllowList | string[] }> = [
    { text: '', expected: NOBODY },
    { text: ' , ,', expected: NOBODY },
    { text: 'Alice@Example.com', expected: { emails: ['alice@example.com'], domains: [] } },
    {
      text: 'alice@example.com, domain:Kubeflow.org ,bob@x.io',
      expected: { emails: ['alice@example.com', 'bob@x.io'], domains: ['kubeflow.org'] },
    },
    { text: 'alice', expected: ['"alice" is neither an email nor domain:<domain>'] },
    { text: 'domain:', expected: ['"domain:" is not domain:<a DNS domain such as example.com>'] },
    { text: 'domain:@example.com', expected: ['"domain:@example.com" is not domain:'] },
    { text: 'group:team@example.com', expected: ['"group:team@example.com" is neither'] },
    { text: 'a@b.com, nope, domain:x', expected: ['"nope"', '"domain:x"'] },
  ];
  for (const { text, expected } of cases) {
    it(`reads ${JSON.stringify(text)}`, () => {
      const parsed = parseAllowList(text);
      if (Array.isArray(expected)) {
        assert.equal(parsed.ok, false);
        assert.ok(!parsed.ok);
        assert.equal(parsed.problems.length, expected.length, parsed.problems.join('\n'));
        for (const [index, part] of expected.entries()) {
          assert.ok(parsed.problems[index]?.includes(part), parsed.problems[index]);
        }
      } else {
        assert.deepEqual(parsed, { ok: true, allowList: expected });
      }
    });
  }
});

describe('isAllowedPrincipal', () => {
  const cases: Array<[string, boolean]> = [
    ['alice@example.com', true],
    ['ALICE@example.COM', true],
    ['bob@example.com', false],
    ['anyone@kubeflow.org', true],
    ['someone@sub.kubeflow.org', false],
    ['kubeflow.org@evil.com', false],
    ['alice@example.com.evil.com', false],
    ['ci@p.iam.gserviceaccount.com', true],
    ['other@p.iam.gserviceaccount.com', false],
    ['not-an-email', false],
  ];
  for (const [email, expected] of cases) {
    it(`${expected ? 'allows' : 'refuses'} ${email}`, () =>
      assert.equal(isAllowedPrincipal(LIST, email), expected));
  }
  it('allows nobody from an empty list', () =>
    assert.equal(isAllowedPrincipal(NOBODY, 'alice@example.com'), false));
});

describe('bearerToken', () => {
  const cases: Array<[string | undefined, string | null | 'malformed']> = [
    [undefined, null],
    ['', null],
    ['Bearer aaa.bbb.ccc', 'aaa.bbb.ccc'],
    ['bearer aaa.bbb-_.ccc ', 'aaa.bbb-_.ccc'],
    ['Bearer', 'malformed'],
    ['Bearer aaa.bbb', 'malformed'],
    ['Basic dXNlcjpwYXNz', 'malformed'],
    ['Bearer aaa.bbb.ccc extra', 'malformed'],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} -> ${JSON.stringify(expected)}`, () =>
      assert.equal(bearerToken(header), expected));
  }
});

describe('decideAccess', () => {
  const valid = (email: string | null, isEmailVerified = true): TokenCheck => ({
    kind: 'valid',
    email,
    isEmailVerified,
  });
  const tick: CallerRequirement = { kind: 'service-account', email: TICK_SA };
  const worker: CallerRequirement = { kind: 'service-account', email: TASKS_SA, queueId: 'auto-deploy' };
  const principal: CallerRequirement = { kind: 'principal', allowList: LIST };

  const cases: Array<{
    name: string;
    requirement: CallerRequirement;
    token: TokenCheck;
    queue?: string;
    expected: AccessDecision['kind'] | 401 | 403;
    caller?: string;
  }> = [
    {
      name: 'anyone, no token',
      requirement: { kind: 'anyone' },
      token: { kind: 'missing' },
      expected: 'allow',
    },
    {
      name: 'tick: its account',
      requirement: tick,
      token: valid(TICK_SA),
      expected: 'allow',
      caller: TICK_SA,
    },
    {
      name: 'tick: its account in capitals',
      requirement: tick,
      token: valid(TICK_SA.toUpperCase()),
      expected: 'allow',
      caller: TICK_SA,
    },
    { name: 'tick: no token', requirement: tick, token: { kind: 'missing' }, expected: 401 },
    {
      name: 'tick: invalid token',
      requirement: tick,
      token: { kind: 'invalid', reason: 'expired' },
      expected: 401,
    },
    { name: 'tick: another account', requirement: tick, token: valid(TASKS_SA), expected: 403 },
    { name: 'tick: no email claim', requirement: tick, token: valid(null), expected: 403 },
    { name: 'tick: unverified email', requirement: tick, token: valid(TICK_SA, false), expected: 403 },
    {
      name: 'worker: account and queue',
      requirement: worker,
      token: valid(TASKS_SA),
      queue: 'auto-deploy',
      expected: 'allow',
      caller: TASKS_SA,
    },
    { name: 'worker: no queue header', requirement: worker, token: valid(TASKS_SA), expected: 403 },
    {
      name: 'worker: another queue',
      requirement: worker,
      token: valid(TASKS_SA),
      queue: 'other',
      expected: 403,
    },
    {
      name: 'worker: right queue, wrong account',
      requirement: worker,
      token: valid(TICK_SA),
      queue: 'auto-deploy',
      expected: 403,
    },
    {
      name: 'principal: listed email',
      requirement: principal,
      token: valid('alice@example.com'),
      expected: 'allow',
      caller: 'alice@example.com',
    },
    {
      name: 'principal: listed domain',
      requirement: principal,
      token: valid('Carol@Kubeflow.org'),
      expected: 'allow',
      caller: 'carol@kubeflow.org',
    },
    {
      name: 'principal: not listed',
      requirement: principal,
      token: valid('mallory@example.net'),
      expected: 403,
    },
    {
      name: 'principal: listed but unverified',
      requirement: principal,
      token: valid('alice@example.com', false),
      expected: 403,
    },
    { name: 'principal: no token', requirement: principal, token: { kind: 'missing' }, expected: 401 },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const decision = decideAccess(testCase.requirement, testCase.token, testCase.queue);
      if (testCase.expected === 'allow') {
        assert.deepEqual(decision, {
          kind: 'allow',
          caller: testCase.caller ? { email: testCase.caller } : null,
        });
      } else {
        assert.equal(decision.kind, 'deny');
        assert.ok(decision.kind === 'deny');
        assert.equal(decision.status, testCase.expected);
        assert.ok(decision.reason.length > 0);
      }
    });
  }
});

describe('statusRouteRequirement', () => {
  const open = { allowList: LIST, isPrivate: false };
  const closed = { allowList: LIST, isPrivate: true };
  const cases: Array<
    [string, { allowList: AllowList; isPrivate: boolean }, { isMutating?: boolean }, string, string]
  > = [
    ['a public read', open, {}, 'GET', 'anyone'],
    ['a public HEAD', open, { isMutating: false }, 'HEAD', 'anyone'],
    ['a private read', closed, {}, 'GET', 'principal'],
    ['a route marked mutating, even by GET', open, { isMutating: true }, 'GET', 'principal'],
    ['an unmarked route written to by POST', open, {}, 'POST', 'principal'],
    ['an unmarked route written to by DELETE', open, { isMutating: false }, 'delete', 'principal'],
  ];
  for (const [name, access, route, method, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      const requirement = statusRouteRequirement(access, route, method);
      assert.equal(requirement.kind, expected);
      if (requirement.kind === 'principal') assert.equal(requirement.allowList, LIST);
    });
  }
});

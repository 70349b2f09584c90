import assert from 'node:assert/strict';
import {
  advanceHead,
  type ClaimDecision,
  DELIVERY_LEASE_SECONDS,
  type DeliveryClaim,
  decideExistingClaim,
  deliveryLeaseExpiry,
  type HeadOutcome,
  type IntakePlan,
  planPushIntake,
  RECENT_SHAS_LIMIT,
} from '../../functions/core/intake.js';
import {
  branchDocId,
  branchFromRef,
  isValidBranchName,
  isValidLabelValue,
  isValidRepoFullName,
  MAX_LABEL_VALUE_LENGTH,
  toLabelValue,
  ZERO_SHA,
} from '../../functions/core/names.js';
import type { BranchHead, PushEvent, VersionConfig } from '../../functions/core/types.js';
import { makeVersionConfig } from '../support/fixtures.js';

const NOW = new Date('2024-05-06T07:08:09.000Z');
const T0 = new Date('2024-05-06T06:00:00.000Z');
const T1 = new Date('2024-05-06T06:30:00.000Z');
const T2 = new Date('2024-05-06T07:00:00.000Z');

const REPO = 'kubeflow/manifests';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);
const E = 'e'.repeat(40);

function secondsAfter(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}

function pushOf(fields: Partial<PushEvent>): PushEvent {
  return {
    source: 'webhook',
    deliveryId: 'delivery-new',
    repo: REPO,
    ref: 'refs/heads/master',
    before: A,
    after: B,
    created: false,
    deleted: false,
    forced: false,
    pusher: 'ada',
    pushedAt: T1,
    commits: [],
    ...fields,
  };
}

function headOf(fields: Partial<BranchHead>): BranchHead {
  return {
    repo: REPO,
    branch: 'master',
    sha: A,
    deleted: false,
    updatedAt: T0,
    pushedAt: T0,
    forced: false,
    source: 'webhook',
    deliveryId: 'delivery-old',
    recentShas: [],
    ...fields,
  };
}

function versionOf(name: string, repo: string, branch: string): VersionConfig {
  return makeVersionConfig({
    name,
    repo,
    branch,
    kfDefPath: 'kfdef/kfctl_gcp_iap.yaml',
    kfctlUrl: 'https://example.com/kfctl.tar.gz',
  });
}

describe('planPushIntake', () => {
  const versions: VersionConfig[] = [
    versionOf('master', REPO, 'master'),
    versionOf('v1', REPO, 'v1.0-branch'),
    versionOf('stacks', REPO, 'master'),
    versionOf('release', REPO, 'release/1.2'),
    versionOf('fork', 'someone/manifests', 'master'),
  ];

  const cases: Array<{ name: string; repo: string; ref: string; expected: IntakePlan }> = [
    { name: 'a tag', repo: REPO, ref: 'refs/tags/v1.0.0', expected: { kind: 'ignore', reason: 'tag' } },
    {
      name: 'a tag named like a followed branch',
      repo: REPO,
      ref: 'refs/tags/master',
      expected: { kind: 'ignore', reason: 'tag' },
    },
    {
      name: 'a pull request ref',
      repo: REPO,
      ref: 'refs/pull/12/head',
      expected: { kind: 'ignore', reason: 'not-a-branch' },
    },
    {
      name: 'a notes ref',
      repo: REPO,
      ref: 'refs/notes/commits',
      expected: { kind: 'ignore', reason: 'not-a-branch' },
    },
    {
      name: 'a bare branch name, not a ref',
      repo: REPO,
      ref: 'master',
      expected: { kind: 'ignore', reason: 'not-a-branch' },
    },
    {
      name: 'an unfollowed branch',
      repo: REPO,
      ref: 'refs/heads/feature-x',
      expected: { kind: 'ignore', reason: 'unfollowed-branch' },
    },
    {
      name: 'a followed branch name in another repository',
      repo: 'kubeflow/kfctl',
      ref: 'refs/heads/v1.0-branch',
      expected: { kind: 'ignore', reason: 'unfollowed-branch' },
    },
    {
      name: 'a branch differing only in case (git branch names are case-sensitive)',
      repo: REPO,
      ref: 'refs/heads/Master',
      expected: { kind: 'ignore', reason: 'unfollowed-branch' },
    },
    {
      name: 'a branch one version follows',
      repo: REPO,
      ref: 'refs/heads/v1.0-branch',
      expected: { kind: 'record', branch: 'v1.0-branch', versions: ['v1'] },
    },
    {
      name: 'a branch two versions follow, in config order',
      repo: REPO,
      ref: 'refs/heads/master',
      expected: { kind: 'record', branch: 'master', versions: ['master', 'stacks'] },
    },
    {
      name: 'the repository spelled in another case',
      repo: 'KubeFlow/Manifests',
      ref: 'refs/heads/v1.0-branch',
      expected: { kind: 'record', branch: 'v1.0-branch', versions: ['v1'] },
    },
    {
      name: 'a branch with a slash',
      repo: REPO,
      ref: 'refs/heads/release/1.2',
      expected: { kind: 'record', branch: 'release/1.2', versions: ['release'] },
    },
    {
      name: 'the same branch name in another followed repository',
      repo: 'someone/manifests',
      ref: 'refs/heads/master',
      expected: { kind: 'record', branch: 'master', versions: ['fork'] },
    },
  ];

  for (const testCase of cases) {
    it(`plans ${testCase.name}`, () => {
      assert.deepEqual(
        planPushIntake({ repo: testCase.repo, ref: testCase.ref }, versions),
        testCase.expected,
      );
    });
  }

  it('ignores every branch when no version is configured', () => {
    assert.deepEqual(planPushIntake({ repo: REPO, ref: 'refs/heads/master' }, []), {
      kind: 'ignore',
      reason: 'unfollowed-branch',
    });
  });
});

describe('advanceHead', () => {
  interface HeadCase {
    name: string;
    current: BranchHead | null;
    push: PushEvent;
    expected: {
      outcome: HeadOutcome;
      isMoved: boolean;
      sha: string;
      deleted: boolean;
      recentShas: string[];
    };
  }

  const cases: HeadCase[] = [
    {
      name: 'the first push creates the head',
      current: null,
      push: pushOf({ before: ZERO_SHA, after: A, created: true }),
      expected: { outcome: 'created', isMoved: true, sha: A, deleted: false, recentShas: [] },
    },
    {
      name: 'a first push to an existing branch remembers its before',
      current: null,
      push: pushOf({ before: A, after: B }),
      expected: { outcome: 'created', isMoved: true, sha: B, deleted: false, recentShas: [A] },
    },
    {
      name: 'a deletion as the first push records the branch deleted at its last commit',
      current: null,
      push: pushOf({ before: B, after: ZERO_SHA, deleted: true }),
      expected: { outcome: 'created', isMoved: true, sha: B, deleted: true, recentShas: [] },
    },
    {
      name: 'a push from the head advances it',
      current: headOf({ sha: A }),
      push: pushOf({ before: A, after: B }),
      expected: { outcome: 'advanced', isMoved: true, sha: B, deleted: false, recentShas: [A] },
    },
    {
      name: 'advancing keeps the superseded shas newest first',
      current: headOf({ sha: B, recentShas: [A] }),
      push: pushOf({ before: B, after: C, pushedAt: T2 }),
      expected: { outcome: 'advanced', isMoved: true, sha: C, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'a push from the head advances it even with an older pushedAt',
      current: headOf({ sha: A, pushedAt: T2 }),
      push: pushOf({ before: A, after: B, pushedAt: T1 }),
      expected: { outcome: 'advanced', isMoved: true, sha: B, deleted: false, recentShas: [A] },
    },
    {
      name: 'a redelivery of the push that set the head is already current',
      current: headOf({ sha: B, recentShas: [A] }),
      push: pushOf({ before: A, after: B }),
      expected: { outcome: 'already-current', isMoved: false, sha: B, deleted: false, recentShas: [A] },
    },
    {
      name: 'a late delivery ending at a superseded sha is stale',
      current: headOf({ sha: C, recentShas: [B, A], pushedAt: T2 }),
      push: pushOf({ before: A, after: B, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: C, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'a late delivery ending at a superseded sha is stale even with a newer pushedAt',
      current: headOf({ sha: C, recentShas: [B, A], pushedAt: T0 }),
      push: pushOf({ before: A, after: B, pushedAt: T2 }),
      expected: { outcome: 'stale', isMoved: false, sha: C, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'a forced push from the head moves it to an unrelated commit',
      current: headOf({ sha: B, recentShas: [A] }),
      push: pushOf({ before: B, after: D, forced: true }),
      expected: { outcome: 'advanced', isMoved: true, sha: D, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'a forced push back to an older, superseded sha moves the head back',
      current: headOf({ sha: C, recentShas: [B, A] }),
      push: pushOf({ before: C, after: A, forced: true }),
      expected: { outcome: 'advanced', isMoved: true, sha: A, deleted: false, recentShas: [C, B] },
    },
    {
      name: 'a deletion from the head marks it deleted and keeps the last commit',
      current: headOf({ sha: C, recentShas: [B, A] }),
      push: pushOf({ before: C, after: ZERO_SHA, deleted: true }),
      expected: { outcome: 'advanced', isMoved: true, sha: C, deleted: true, recentShas: [B, A] },
    },
    {
      name: 'an all-zero after counts as a deletion even without deleted=true',
      current: headOf({ sha: C }),
      push: pushOf({ before: C, after: ZERO_SHA }),
      expected: { outcome: 'advanced', isMoved: true, sha: C, deleted: true, recentShas: [] },
    },
    {
      name: 'a redelivered deletion of a deleted head is already current',
      current: headOf({ sha: C, deleted: true, recentShas: [B] }),
      push: pushOf({ before: C, after: ZERO_SHA, deleted: true }),
      expected: { outcome: 'already-current', isMoved: false, sha: C, deleted: true, recentShas: [B] },
    },
    {
      name: 'recreating a deleted branch at its last commit revives the head',
      current: headOf({ sha: C, deleted: true, recentShas: [B, A], pushedAt: T1 }),
      push: pushOf({ before: ZERO_SHA, after: C, created: true, pushedAt: T2 }),
      expected: { outcome: 'advanced', isMoved: true, sha: C, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'recreating a deleted branch at a new commit revives the head',
      current: headOf({ sha: C, deleted: true, recentShas: [B], pushedAt: T1 }),
      push: pushOf({ before: ZERO_SHA, after: D, created: true, pushedAt: T2 }),
      expected: { outcome: 'advanced', isMoved: true, sha: D, deleted: false, recentShas: [C, B] },
    },
    {
      name: 'a late creation delivery older than the deletion is stale',
      current: headOf({ sha: C, deleted: true, recentShas: [B], pushedAt: T2 }),
      push: pushOf({ before: ZERO_SHA, after: D, created: true, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: C, deleted: true, recentShas: [B] },
    },
    {
      name: 'a late delivery of the last commit before a deletion is stale',
      current: headOf({ sha: C, deleted: true, recentShas: [B], pushedAt: T2 }),
      push: pushOf({ before: B, after: C, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: C, deleted: true, recentShas: [B] },
    },
    {
      name: 'a delivery overtaken by a later one of the same second (it starts from a superseded sha) is stale',
      current: headOf({ sha: C, recentShas: [B, A], pushedAt: T1 }),
      push: pushOf({ before: A, after: D, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: C, deleted: false, recentShas: [B, A] },
    },
    {
      name: 'a forced push from a superseded sha in the same second as the head moves it',
      current: headOf({ sha: C, recentShas: [B, A], pushedAt: T1 }),
      push: pushOf({ before: A, after: D, pushedAt: T1, forced: true }),
      expected: {
        outcome: 'advanced-out-of-order',
        isMoved: true,
        sha: D,
        deleted: false,
        recentShas: [A, C, B],
      },
    },
    {
      name: 'a push from a superseded sha with a newer pushedAt moves the head',
      current: headOf({ sha: C, recentShas: [B, A], pushedAt: T1 }),
      push: pushOf({ before: A, after: D, pushedAt: T2 }),
      expected: {
        outcome: 'advanced-out-of-order',
        isMoved: true,
        sha: D,
        deleted: false,
        recentShas: [A, C, B],
      },
    },
    {
      name: 'an out-of-order push with a newer pushedAt moves the head',
      current: headOf({ sha: A, pushedAt: T0 }),
      push: pushOf({ before: C, after: D, pushedAt: T1 }),
      expected: {
        outcome: 'advanced-out-of-order',
        isMoved: true,
        sha: D,
        deleted: false,
        recentShas: [C, A],
      },
    },
    {
      name: 'an out-of-order push with the same pushedAt moves the head',
      current: headOf({ sha: A, pushedAt: T1 }),
      push: pushOf({ before: C, after: D, pushedAt: T1 }),
      expected: {
        outcome: 'advanced-out-of-order',
        isMoved: true,
        sha: D,
        deleted: false,
        recentShas: [C, A],
      },
    },
    {
      name: 'an out-of-order push with an older pushedAt is stale',
      current: headOf({ sha: A, pushedAt: T2 }),
      push: pushOf({ before: C, after: D, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: A, deleted: false, recentShas: [] },
    },
    {
      name: 'an out-of-order push without pushedAt never overtakes a head with one',
      current: headOf({ sha: A, pushedAt: T0 }),
      push: pushOf({ before: C, after: D, pushedAt: null }),
      expected: { outcome: 'stale', isMoved: false, sha: A, deleted: false, recentShas: [] },
    },
    {
      name: 'an out-of-order push with pushedAt overtakes a head without one',
      current: headOf({ sha: A, pushedAt: null }),
      push: pushOf({ before: C, after: D, pushedAt: T0 }),
      expected: {
        outcome: 'advanced-out-of-order',
        isMoved: true,
        sha: D,
        deleted: false,
        recentShas: [C, A],
      },
    },
    {
      name: 'an out-of-order deletion with a newer pushedAt marks the head deleted at its before',
      current: headOf({ sha: A, pushedAt: T0 }),
      push: pushOf({ before: C, after: ZERO_SHA, deleted: true, pushedAt: T1 }),
      expected: { outcome: 'advanced-out-of-order', isMoved: true, sha: C, deleted: true, recentShas: [A] },
    },
    {
      name: 'an out-of-order deletion with an older pushedAt is stale',
      current: headOf({ sha: A, pushedAt: T2 }),
      push: pushOf({ before: C, after: ZERO_SHA, deleted: true, pushedAt: T1 }),
      expected: { outcome: 'stale', isMoved: false, sha: A, deleted: false, recentShas: [] },
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.expected.outcome}: ${testCase.name}`, () => {
      const decision = advanceHead(testCase.current, testCase.push, 'master', NOW);

      assert.equal(decision.outcome, testCase.expected.outcome);
      assert.equal(decision.isMoved, testCase.expected.isMoved);
      assert.equal(decision.head.sha, testCase.expected.sha);
      assert.equal(decision.head.deleted, testCase.expected.deleted);
      assert.deepEqual(decision.head.recentShas, testCase.expected.recentShas);
      assert.ok(!decision.head.recentShas.includes(decision.head.sha), 'the head is not among its past shas');
      assert.ok(!decision.head.recentShas.includes(ZERO_SHA), 'the zero sha is never remembered');
      if (testCase.expected.isMoved) {
        assert.equal(decision.head.updatedAt, NOW);
        assert.equal(decision.head.pushedAt, testCase.push.pushedAt);
        assert.equal(decision.head.deliveryId, testCase.push.deliveryId);
        assert.equal(decision.head.forced, testCase.push.forced);
        assert.equal(decision.head.branch, 'master');
      } else {
        assert.equal(decision.head, testCase.current, 'an unmoved head is the current record, unchanged');
      }
    });
  }

  it('copies the push source, repository and pusher-independent fields into a new head', () => {
    const decision = advanceHead(
      null,
      pushOf({
        source: 'poll',
        deliveryId: 'poll-1',
        repo: 'Kubeflow/Manifests',
        before: ZERO_SHA,
        after: A,
      }),
      'release/1.2',
      NOW,
    );
    assert.deepEqual(decision.head, {
      repo: 'Kubeflow/Manifests',
      branch: 'release/1.2',
      sha: A,
      deleted: false,
      updatedAt: NOW,
      pushedAt: T1,
      forced: false,
      source: 'poll',
      deliveryId: 'poll-1',
      inDoubt: false,
      recentShas: [],
    });
  });

  it('a head moved out of order is in doubt; the next move in order clears it', () => {
    const head = advanceHead(null, pushOf({ before: ZERO_SHA, after: A }), 'master', NOW).head;
    assert.equal(head.inDoubt, false);
    // B starts from a commit the head never had, pushed later: out of order, in doubt.
    const doubtful = advanceHead(
      head,
      pushOf({ before: 'c'.repeat(40), after: B, pushedAt: T2 }),
      'master',
      NOW,
    );
    assert.equal(doubtful.outcome, 'advanced-out-of-order');
    assert.equal(doubtful.head.inDoubt, true);
    const next = advanceHead(
      doubtful.head,
      pushOf({ before: B, after: 'd'.repeat(40), pushedAt: T2 }),
      'master',
      NOW,
    );
    assert.equal(next.outcome, 'advanced');
    assert.equal(next.head.inDoubt, false);
  });

  it(`bounds recentShas to RECENT_SHAS_LIMIT (${RECENT_SHAS_LIMIT}), dropping the oldest`, () => {
    const history = Array.from({ length: RECENT_SHAS_LIMIT }, (_, i) =>
      (i + 1).toString(16).padStart(40, 'f'),
    );
    const current = headOf({ sha: D, recentShas: history });

    const decision = advanceHead(current, pushOf({ before: D, after: E }), 'master', NOW);

    assert.equal(decision.head.recentShas.length, RECENT_SHAS_LIMIT);
    assert.deepEqual(decision.head.recentShas, [D, ...history.slice(0, RECENT_SHAS_LIMIT - 1)]);
    assert.equal(current.recentShas.length, RECENT_SHAS_LIMIT, 'the current record is not mutated');
  });

  it('does not remember a sha twice', () => {
    const decision = advanceHead(
      headOf({ sha: B, recentShas: [A, C] }),
      pushOf({ before: B, after: D }),
      'master',
      NOW,
    );
    assert.deepEqual(decision.head.recentShas, [B, A, C]);
    const again = advanceHead(decision.head, pushOf({ before: D, after: B, forced: true }), 'master', NOW);
    assert.deepEqual(again.head.recentShas, [D, A, C]);
  });
});

describe('decideExistingClaim', () => {
  const cases: Array<{ name: string; claim: DeliveryClaim; expected: ClaimDecision }> = [
    {
      name: 'a recorded delivery with a live lease is a recorded duplicate',
      claim: { status: 'recorded', claimToken: 't', leaseExpiresAt: secondsAfter(NOW, 30) },
      expected: { kind: 'duplicate', status: 'recorded' },
    },
    {
      name: 'a recorded delivery with an expired lease is still a recorded duplicate',
      claim: { status: 'recorded', claimToken: 't', leaseExpiresAt: secondsAfter(NOW, -3600) },
      expected: { kind: 'duplicate', status: 'recorded' },
    },
    {
      name: 'a live processing claim is a processing duplicate',
      claim: { status: 'processing', claimToken: 't', leaseExpiresAt: secondsAfter(NOW, 30) },
      expected: { kind: 'duplicate', status: 'processing' },
    },
    {
      name: 'a processing claim expiring one millisecond from now is still live',
      claim: { status: 'processing', claimToken: 't', leaseExpiresAt: new Date(NOW.getTime() + 1) },
      expected: { kind: 'duplicate', status: 'processing' },
    },
    {
      name: 'a processing claim expiring exactly now is taken over',
      claim: { status: 'processing', claimToken: 't', leaseExpiresAt: new Date(NOW.getTime()) },
      expected: { kind: 'take-over' },
    },
    {
      name: 'an expired processing claim is taken over',
      claim: { status: 'processing', claimToken: 't', leaseExpiresAt: secondsAfter(NOW, -1) },
      expected: { kind: 'take-over' },
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      assert.deepEqual(decideExistingClaim(testCase.claim, NOW), testCase.expected);
    });
  }
});

describe('deliveryLeaseExpiry', () => {
  it(`is DELIVERY_LEASE_SECONDS (${DELIVERY_LEASE_SECONDS}) after now, without changing now`, () => {
    const now = new Date(NOW.getTime());
    assert.deepEqual(deliveryLeaseExpiry(now), new Date('2024-05-06T07:09:09.000Z'));
    assert.equal(now.getTime(), NOW.getTime());
  });

  const cases: Array<{ name: string; checkedAt: Date; expected: ClaimDecision['kind'] }> = [
    {
      name: 'just before the lease ends',
      checkedAt: new Date(NOW.getTime() + 59_999),
      expected: 'duplicate',
    },
    {
      name: 'when the lease ends',
      checkedAt: secondsAfter(NOW, DELIVERY_LEASE_SECONDS),
      expected: 'take-over',
    },
  ];

  for (const testCase of cases) {
    it(`a claim taken now is ${testCase.expected} ${testCase.name}`, () => {
      const claim: DeliveryClaim = {
        status: 'processing',
        claimToken: 't',
        leaseExpiresAt: deliveryLeaseExpiry(NOW),
      };
      assert.equal(decideExistingClaim(claim, testCase.checkedAt).kind, testCase.expected);
    });
  }
});

describe('names', () => {
  describe('isValidBranchName', () => {
    const cases: Array<[branch: string, expected: boolean]> = [
      ['master', true],
      ['v1.0-branch', true],
      ['feature/x', true],
      ['release/1.2/rc', true],
      ['a.b', true],
      ['user@host', true],
      ['ünïcödé', true],
      ['UPPER_case', true],
      ['', false],
      ['@', false],
      ['HEAD', false],
      ['HEAD/x', true],
      ['-x', false],
      ['a..b', false],
      ['x.lock', false],
      ['a/x.lock/b', false],
      ['has space', false],
      ['tab\there', false],
      ['del\x7f', false],
      ['nul\x00', false],
      ['a~1', false],
      ['a^2', false],
      ['a:b', false],
      ['a?b', false],
      ['a*b', false],
      ['a[b', false],
      ['a\\b', false],
      ['a@{1}', false],
      ['ends.', false],
      ['ends/', false],
      ['/starts', false],
      ['a//b', false],
      ['.hidden', false],
      ['a/.hidden', false],
    ];
    for (const [branch, expected] of cases) {
      it(`${JSON.stringify(branch)} -> ${expected}`, () => {
        assert.equal(isValidBranchName(branch), expected);
      });
    }
  });

  describe('isValidLabelValue', () => {
    const cases: Array<[value: string, expected: boolean]> = [
      ['', true],
      ['a', true],
      ['v1-0-branch', true],
      ['A_b.c-9', true],
      ['x'.repeat(MAX_LABEL_VALUE_LENGTH), true],
      ['x'.repeat(MAX_LABEL_VALUE_LENGTH + 1), false],
      ['-a', false],
      ['a-', false],
      ['_a', false],
      ['a.', false],
      ['a b', false],
      ['a/b', false],
      ['ü', false],
    ];
    for (const [value, expected] of cases) {
      it(`${JSON.stringify(value.length > 20 ? `${value.slice(0, 8)}...(${value.length})` : value)} -> ${expected}`, () => {
        assert.equal(isValidLabelValue(value), expected);
      });
    }
  });

  describe('toLabelValue', () => {
    const cases: Array<[text: string, expected: string]> = [
      ['master', 'master'],
      ['v1.0-branch', 'v1-0-branch'],
      ['feature/x', 'feature-x'],
      ['Under_score', 'Under_score'],
      ['-leading', 'leading'],
      ['trailing.', 'trailing'],
      ['__x__', 'x'],
      ['...', ''],
      ['', ''],
      ['x'.repeat(70), 'x'.repeat(63)],
      [`${'a'.repeat(62)}.b`, 'a'.repeat(62)],
      ['ünïcödé', 'n-c-d'],
      ['🚀launch', 'launch'],
      ['release/1.2 rc', 'release-1-2-rc'],
    ];
    for (const [text, expected] of cases) {
      it(`${JSON.stringify(text.length > 20 ? `${text.slice(0, 8)}...(${text.length})` : text)} -> ${JSON.stringify(expected.length > 20 ? `${expected.slice(0, 8)}...(${expected.length})` : expected)}`, () => {
        const value = toLabelValue(text);
        assert.equal(value, expected);
        assert.ok(isValidLabelValue(value), `${value} is a valid label value`);
      });
    }
  });

  describe('branchDocId', () => {
    const cases: Array<[repo: string, branch: string, expected: string]> = [
      ['kubeflow/manifests', 'master', 'kubeflow:manifests:master'],
      ['Kubeflow/Manifests', 'master', 'kubeflow:manifests:master'],
      ['kubeflow/manifests', 'Master', 'kubeflow:manifests:Master'],
      ['kubeflow/manifests', 'v1.0-branch', 'kubeflow:manifests:v1.0-branch'],
      ['kubeflow/manifests', 'feature/x/y', 'kubeflow:manifests:feature%2Fx%2Fy'],
      ['kubeflow/manifests', '100%', 'kubeflow:manifests:100%25'],
      ['kubeflow/manifests', 'a%2Fb', 'kubeflow:manifests:a%252Fb'],
      ['kubeflow/manifests', 'ünïcödé', 'kubeflow:manifests:ünïcödé'],
      ['kubeflow/manifests', '__init__', 'kubeflow:manifests:__init__'],
    ];
    for (const [repo, branch, expected] of cases) {
      it(`${repo} ${JSON.stringify(branch)} -> ${expected}`, () => {
        const id = branchDocId(repo, branch);
        assert.equal(id, expected);
        assert.ok(!id.includes('/'), 'a document id has no slash');
      });
    }

    it('gives distinct branches distinct ids', () => {
      const branches = ['a/b', 'a%2Fb', 'a%252Fb', 'a-b', 'a.b', 'A/b', 'a/b/c', 'a%b', 'a%25b'];
      const ids = branches.map((branch) => branchDocId('kubeflow/manifests', branch));
      assert.equal(new Set(ids).size, branches.length, ids.join(' '));
    });

    it('gives the same branch in different repositories distinct ids', () => {
      const ids = ['kubeflow/manifests', 'kubeflow/kfctl', 'kubeflow-manifests/x', 'someone/manifests'].map(
        (repo) => branchDocId(repo, 'master'),
      );
      assert.equal(new Set(ids).size, ids.length, ids.join(' '));
    });
  });

  describe('isValidRepoFullName', () => {
    const cases: Array<[repo: string, expected: boolean]> = [
      ['kubeflow/manifests', true],
      ['Codertocat/Hello-World', true],
      ['a/.github', true],
      ['owner-1/_name', true],
      ['', false],
      ['kubeflow', false],
      ['kubeflow/', false],
      ['/manifests', false],
      ['a/b/c', false],
      ['-a/b', false],
      ['a-/b', false],
      ['a_b/c', false],
      ['a/.', false],
      ['a/..', false],
      ['a b/c', false],
      ['a/b c', false],
      ['https://github.com/a/b', false],
    ];
    for (const [repo, expected] of cases) {
      it(`${JSON.stringify(repo)} -> ${expected}`, () => {
        assert.equal(isValidRepoFullName(repo), expected);
      });
    }
  });

  describe('branchFromRef', () => {
    const cases: Array<[ref: string, expected: string | null]> = [
      ['refs/heads/master', 'master'],
      ['refs/heads/feature/x', 'feature/x'],
      ['refs/heads/refs/heads/x', 'refs/heads/x'],
      ['refs/tags/v1.0', null],
      ['refs/pull/1/head', null],
      ['heads/master', null],
      ['master', null],
    ];
    for (const [ref, expected] of cases) {
      it(`${ref} -> ${JSON.stringify(expected)}`, () => {
        assert.equal(branchFromRef(ref), expected);
      });
    }
  });
});

describe('advanceHead: a branch re-created at a commit it had before', () => {
  const deletedHead = {
    repo: 'kubeflow/manifests',
    branch: 'master',
    sha: 'c'.repeat(40),
    deleted: true,
    updatedAt: new Date('2024-01-01T00:00:00Z'),
    pushedAt: new Date('2024-01-01T00:00:00Z'),
    forced: false,
    source: 'webhook' as const,
    deliveryId: 'd0',
    recentShas: ['b'.repeat(40), 'a'.repeat(40)],
  };
  const creation = (pushedAt: string) => ({
    source: 'webhook' as const,
    deliveryId: 'd1',
    repo: 'kubeflow/manifests',
    ref: 'refs/heads/master',
    before: '0'.repeat(40),
    after: 'b'.repeat(40),
    created: true,
    deleted: false,
    forced: false,
    pusher: null,
    pushedAt: new Date(pushedAt),
    commits: [],
  });

  it('moves the head when the creation was pushed after the deletion', () => {
    const decision = advanceHead(
      deletedHead,
      creation('2024-02-01T00:00:00Z'),
      'master',
      new Date('2024-02-01T00:00:01Z'),
    );
    assert.equal(decision.outcome, 'advanced');
    assert.equal(decision.head.sha, 'b'.repeat(40));
    assert.equal(decision.head.deleted, false);
  });

  it('ignores a late creation that was pushed before the deletion', () => {
    const decision = advanceHead(
      deletedHead,
      creation('2023-12-01T00:00:00Z'),
      'master',
      new Date('2024-02-01T00:00:01Z'),
    );
    assert.equal(decision.outcome, 'stale');
    assert.equal(decision.isMoved, false);
  });
});

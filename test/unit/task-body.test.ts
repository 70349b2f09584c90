import assert from 'node:assert/strict';
import { parseTaskBody, planTaskName, pollTaskName } from '../../functions/core/task-body.js';

const SHA = 'ab12'.repeat(10);
const GUID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

describe('task-body: parseTaskBody', () => {
  const accepted: Array<[string, unknown, ReturnType<typeof parseTaskBody>]> = [
    [
      'a deploy request (the body of every deploy task)',
      { requestId: 'deploy-master-ab12ab12ab12-c' },
      { kind: 'request', requestId: 'deploy-master-ab12ab12ab12-c' },
    ],
    [
      'a plan task with its delivery',
      { kind: 'plan', version: 'master', head: SHA, deliveryId: GUID },
      { kind: 'plan', version: 'master', head: SHA, deliveryId: GUID },
    ],
    [
      'a poll task',
      { kind: 'poll', repo: 'kubeflow/manifests', branch: 'v1.0-branch' },
      { kind: 'poll', repo: 'kubeflow/manifests', branch: 'v1.0-branch' },
    ],
    [
      'a plan task without a delivery',
      { kind: 'plan', version: 'v1', head: SHA },
      { kind: 'plan', version: 'v1', head: SHA, deliveryId: null },
    ],
  ];
  for (const [name, body, expected] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(parseTaskBody(body), expected));
  }

  const refused: Array<[string, unknown, RegExp]> = [
    ['null', null, /JSON object/],
    ['an array', [{ requestId: 'x' }], /JSON object/],
    ['a string', 'deploy-master', /JSON object/],
    ['an empty object', {}, /requestId/],
    ['a requestId that is not a string', { requestId: 42 }, /requestId/],
    ['a requestId with a slash', { requestId: 'deploy/../x' }, /requestId/],
    ['a requestId over 500 characters', { requestId: 'a'.repeat(501) }, /requestId/],
    ['a request with another field', { requestId: 'x', extra: true }, /unexpected field "extra"/],
    ['an unknown kind', { kind: 'teardown', requestId: 'x' }, /unknown kind "teardown"/],
    ['a plan without a version', { kind: 'plan', head: SHA }, /version/],
    ['a plan of a bad version name', { kind: 'plan', version: 'Master', head: SHA }, /version/],
    ['a plan with a short head', { kind: 'plan', version: 'master', head: 'ab12' }, /head/],
    ['a plan with an upper-case head', { kind: 'plan', version: 'master', head: SHA.toUpperCase() }, /head/],
    [
      'a plan with a bad delivery id',
      { kind: 'plan', version: 'master', head: SHA, deliveryId: 'a b' },
      /deliveryId/,
    ],
    ['a poll of a bad repository', { kind: 'poll', repo: 'no-owner', branch: 'master' }, /repo/],
    ['a poll of a bad branch', { kind: 'poll', repo: 'kubeflow/manifests', branch: 'a..b' }, /branch/],
    [
      'a poll with a version too',
      { kind: 'poll', repo: 'kubeflow/manifests', branch: 'master', version: 'master' },
      /unexpected field "version"/,
    ],
    [
      'a plan with a requestId too',
      { kind: 'plan', version: 'master', head: SHA, requestId: 'x' },
      /unexpected field "requestId"/,
    ],
  ];
  for (const [name, body, message] of refused) {
    it(`refuses ${name}, saying why`, () => {
      const result = parseTaskBody(body);
      assert.ok('error' in result, JSON.stringify(result));
      assert.match(result.error, message);
    });
  }
});

describe('task-body: planTaskName', () => {
  const task = { version: 'master', head: SHA, deliveryId: GUID };
  const marked = new Date('2026-11-29T14:03:20.123Z');

  it('is a valid Cloud Tasks id, hash first, then readable', () => {
    const name = planTaskName(task, marked);
    assert.match(name, /^[0-9a-f]{16}-plan-master-ab12ab12ab12$/);
  });

  it('is the same for the same version, head, delivery and mark (a repeated hand-off is one task)', () => {
    assert.equal(planTaskName(task, marked), planTaskName({ ...task }, new Date(marked)));
  });

  it('differs per version, head, delivery and mark (the next mark of a version names a new task)', () => {
    const names = new Set([
      planTaskName(task, marked),
      planTaskName({ ...task, version: 'v1' }, marked),
      planTaskName({ ...task, head: 'cd34'.repeat(10) }, marked),
      planTaskName({ ...task, deliveryId: 'another-delivery' }, marked),
      planTaskName({ ...task, deliveryId: null }, marked),
      planTaskName(task, new Date(marked.getTime() + 1)),
    ]);
    assert.equal(names.size, 6);
  });
});

describe('task-body: pollTaskName', () => {
  const at = new Date('2026-11-29T14:03:20Z');

  it('names the branch and the minute, hash first', () => {
    assert.match(
      pollTaskName({ repo: 'kubeflow/manifests', branch: 'v1.0-branch' }, at),
      /^[0-9a-f]{16}-poll-v1-0-branch-202611291403$/,
    );
  });

  it('is one name per branch and minute: overlapping ticks queue a branch once', () => {
    const task = { repo: 'kubeflow/manifests', branch: 'master' };
    assert.equal(pollTaskName(task, at), pollTaskName(task, new Date('2026-11-29T14:03:59Z')));
    assert.equal(pollTaskName(task, at), pollTaskName({ ...task, repo: 'Kubeflow/Manifests' }, at));
    assert.notEqual(pollTaskName(task, at), pollTaskName(task, new Date('2026-11-29T14:08:20Z')));
    assert.notEqual(pollTaskName(task, at), pollTaskName({ ...task, branch: 'v1.0-branch' }, at));
  });
});

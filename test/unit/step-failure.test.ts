import assert from 'node:assert/strict';
import { JobManifestError } from '../../functions/core/job-manifest.js';
import { JobApiError } from '../../functions/core/ports.js';
import { isPermanentFailure, stepFailure } from '../../functions/core/step-failure.js';

const NOW = new Date('2026-11-29T14:00:00Z');

describe('isPermanentFailure', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['a template that cannot render', new JobManifestError('no deploy container'), true],
    ['422 Invalid', new JobApiError('invalid', 422, false), true],
    ['403 Forbidden', new JobApiError('forbidden', 403, false), true],
    [
      '429 Too Many Requests (the adapter marks it transient)',
      new JobApiError('slow down', 429, true),
      false,
    ],
    ['408 Request Timeout (transient)', new JobApiError('timeout', 408, true), false],
    ['503 Service Unavailable', new JobApiError('unavailable', 503, true), false],
    ['no answer', new JobApiError('ECONNREFUSED', null, true), false],
    ['a storage error', Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }), false],
    ['not an Error at all', 'boom', false],
  ];
  for (const [name, err, expected] of cases) {
    it(`${name}: ${expected ? 'permanent' : 'transient'}`, () =>
      assert.equal(isPermanentFailure(err), expected));
  }
});

describe('stepFailure', () => {
  it('transient: retry, the lease ends now, the request stays open, the error shown while it retries', () => {
    assert.deepEqual(stepFailure('launch', 'kf-a', new JobApiError('HTTP 503', 503, true), NOW), {
      outcome: { kind: 'retry', result: 'launch-failed-transient', detail: 'HTTP 503' },
      deploymentPatch: {
        launchLeaseExpiresAt: NOW,
        updatedAt: NOW,
        error: 'launch failed, retrying: HTTP 503',
      },
      isPermanent: false,
    });
  });

  it('transient teardown: retry, the deployment keeps the error it has', () => {
    assert.deepEqual(stepFailure('teardown', 'kf-a', new JobApiError('HTTP 503', 503, true), NOW), {
      outcome: { kind: 'retry', result: 'teardown-failed-transient', detail: 'HTTP 503' },
      deploymentPatch: { launchLeaseExpiresAt: NOW, updatedAt: NOW },
      isPermanent: false,
    });
  });

  it('permanent launch: the deployment fails with the message, so does the request', () => {
    assert.deepEqual(stepFailure('launch', 'kf-a', new JobApiError('HTTP 422', 422, false), NOW), {
      outcome: { kind: 'done', result: 'launch-failed', instance: 'kf-a', detail: 'HTTP 422' },
      deploymentPatch: {
        status: 'failed',
        launchLeaseExpiresAt: null,
        updatedAt: NOW,
        finishedAt: NOW,
        error: 'HTTP 422',
      },
      requestPatch: { status: 'failed', updatedAt: NOW, error: 'HTTP 422' },
      isPermanent: true,
    });
  });

  it('permanent teardown: back to failed (GC tries again), finishedAt untouched', () => {
    const failure = stepFailure('teardown', 'kf-a', new JobManifestError('bad template'), NOW);
    assert.deepEqual(failure.deploymentPatch, {
      status: 'failed',
      launchLeaseExpiresAt: null,
      updatedAt: NOW,
      error: 'teardown failed: bad template',
    });
    assert.equal(failure.outcome.result, 'teardown-failed');
  });
});

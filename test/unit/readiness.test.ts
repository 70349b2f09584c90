import assert from 'node:assert/strict';
import {
  afterProbe,
  type ProbeResult,
  readinessTurnedOff,
  readinessUrl,
} from '../../functions/core/readiness.js';
import type { Deployment, DeploymentStatus, ProbeRecord } from '../../functions/core/types.js';
import { makeDeployment, TEST_READINESS } from '../support/fixtures.js';

const NOW = new Date('2026-11-29T14:00:00Z');
const MINUTE = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const READINESS = { ...TEST_READINESS, enabled: true };

function dep(status: DeploymentStatus, fields: Partial<Deployment> = {}): Deployment {
  return makeDeployment({ instance: 'kf-master-1129-abc', status, createdAt: ago(60 * MINUTE), ...fields });
}
const probe = (consecutiveFailures: number): ProbeRecord => ({
  at: ago(5 * MINUTE),
  status: 503,
  ok: false,
  error: 'answered 503, expected one of the readiness statuses',
  consecutiveFailures,
});
const ok = (status: number): ProbeResult => ({ status, error: null });
const refused: ProbeResult = { status: null, error: 'connect ECONNREFUSED' };

describe('readinessUrl', () => {
  it('fills every placeholder, encoded', () => {
    assert.equal(
      readinessUrl('https://{instance}.endpoints.{project}.cloud.goog/{version}?z={zone}', {
        instance: 'kf-master-1129-abc',
        version: 'master',
        project: 'kf-ci',
        zone: 'us-east1-d',
      }),
      'https://kf-master-1129-abc.endpoints.kf-ci.cloud.goog/master?z=us-east1-d',
    );
  });
});

describe('afterProbe', () => {
  const cases: Array<[string, Deployment, ProbeResult, Partial<Deployment>]> = [
    [
      'verifying + an expected status (IAP 302) -> ready',
      dep('verifying', { verifyingAt: ago(5 * MINUTE) }),
      ok(302),
      {
        probe: { at: NOW, status: 302, ok: true, error: null, consecutiveFailures: 0 },
        status: 'ready',
        readyAt: NOW,
        error: null,
        updatedAt: NOW,
      },
    ],
    [
      'verifying + no answer, within verifyTimeoutMinutes -> stays verifying, the probe recorded',
      dep('verifying', { verifyingAt: ago(30 * MINUTE) }),
      refused,
      { probe: { at: NOW, status: null, ok: false, error: 'connect ECONNREFUSED', consecutiveFailures: 1 } },
    ],
    [
      'verifying + no answer past verifyTimeoutMinutes -> failed (a failed attempt)',
      dep('verifying', { verifyingAt: ago(30 * MINUTE + 1) }),
      refused,
      {
        probe: { at: NOW, status: null, ok: false, error: 'connect ECONNREFUSED', consecutiveFailures: 1 },
        status: 'failed',
        finishedAt: NOW,
        error: 'the endpoint did not answer within 30 min of the deploy (last: connect ECONNREFUSED)',
        updatedAt: NOW,
      },
    ],
    [
      'ready + an unexpected status, below failuresToUnhealthy -> stays ready, failures counted',
      dep('ready', { probe: probe(1) }),
      ok(503),
      {
        probe: {
          at: NOW,
          status: 503,
          ok: false,
          error: 'answered 503, expected one of the readiness statuses',
          consecutiveFailures: 2,
        },
      },
    ],
    [
      'ready + the third failure in a row -> unhealthy',
      dep('ready', { probe: probe(2) }),
      refused,
      {
        probe: { at: NOW, status: null, ok: false, error: 'connect ECONNREFUSED', consecutiveFailures: 3 },
        status: 'unhealthy',
        error: 'endpoint failed 3 probes in a row (last: connect ECONNREFUSED)',
        updatedAt: NOW,
      },
    ],
    [
      'ready + a good probe -> the failure count starts again',
      dep('ready', { probe: probe(2) }),
      ok(200),
      { probe: { at: NOW, status: 200, ok: true, error: null, consecutiveFailures: 0 } },
    ],
    [
      'unhealthy + a good probe -> ready again',
      dep('unhealthy', { probe: probe(5), error: 'endpoint failed' }),
      ok(401),
      {
        probe: { at: NOW, status: 401, ok: true, error: null, consecutiveFailures: 0 },
        status: 'ready',
        error: null,
        updatedAt: NOW,
      },
    ],
    [
      'unhealthy + still failing -> stays unhealthy',
      dep('unhealthy', { probe: probe(5) }),
      ok(500),
      {
        probe: {
          at: NOW,
          status: 500,
          ok: false,
          error: 'answered 500, expected one of the readiness statuses',
          consecutiveFailures: 6,
        },
      },
    ],
  ];
  for (const [name, d, result, expected] of cases) {
    it(name, () => assert.deepEqual(afterProbe(d, result, READINESS, NOW), expected));
  }

  it('a redirect not in expectStatus is a failure (redirects are not followed)', () => {
    const patch = afterProbe(dep('ready'), ok(307), READINESS, NOW);
    assert.equal(patch.probe?.ok, false);
  });
});

describe('readinessTurnedOff', () => {
  it('makes a verifying instance ready at once, and leaves others alone', () => {
    assert.deepEqual(readinessTurnedOff(dep('verifying'), NOW), {
      status: 'ready',
      readyAt: NOW,
      error: null,
      updatedAt: NOW,
    });
    assert.equal(readinessTurnedOff(dep('ready'), NOW), null);
  });
});

/**
 * What a teardown that did not remove the cluster means: try again after a backoff, or, after
 * `maxTeardownAttempts`, `teardown-failed` (counted against capacity, shown in red, left to an operator:
 * never silently deleted). Pure.
 */
import { nextTeardownAt } from './policy.js';
import type { Deployment, Policy } from './types.js';

/** The change after the deployment's current teardown attempt failed for `why`. */
export function afterFailedTeardown(
  d: Pick<Deployment, 'teardownAttempts'>,
  why: string,
  policy: Pick<Policy, 'maxTeardownAttempts' | 'retryBackoffMinutes'>,
  now: Date,
): Partial<Deployment> {
  const attempts = Math.max(1, d.teardownAttempts ?? 1);
  const common = { launchLeaseExpiresAt: null, updatedAt: now };
  if (attempts >= policy.maxTeardownAttempts) {
    return {
      ...common,
      status: 'teardown-failed',
      nextTeardownAt: null,
      error: `teardown failed ${attempts} times, last: ${why}; the instance may still hold cloud resources: tear it down by hand`,
    };
  }
  return {
    ...common,
    status: 'failed',
    nextTeardownAt: nextTeardownAt(now, attempts, policy),
    error: `teardown attempt ${attempts} of ${policy.maxTeardownAttempts} failed: ${why}`,
  };
}

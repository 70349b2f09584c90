/**
 * What a failed launch or teardown step means: transient (release the step and let Cloud Tasks retry)
 * or permanent (record it and stop, so the task does not loop). Pure: the error and `now` in, the
 * outcome and the writes out.
 */
import { JobManifestError } from './job-manifest.js';
import type { WorkerOutcome } from './launch.js';
import { JobApiError } from './ports.js';
import type { Deployment, DeployRequest } from './types.js';

export type StepName = 'launch' | 'teardown';

/**
 * Permanent: a manifest the template cannot make, or a Kubernetes answer a retry cannot change (a 4xx
 * other than 408 and 429). Everything else (5xx, 408, 429, no answer, a timeout, a storage error) is
 * transient.
 */
export function isPermanentFailure(err: unknown): boolean {
  return err instanceof JobManifestError || (err instanceof JobApiError && !err.isTransient);
}

export interface StepFailure {
  outcome: WorkerOutcome;
  deploymentPatch: Partial<Deployment>;
  /** Permanent failures close the request. */
  requestPatch?: Partial<Omit<DeployRequest, 'id'>>;
  isPermanent: boolean;
}

/**
 * Transient: the step's lease ends now (the retry takes the step over at once); the worker answers
 * `retry`; a launch records the error it is retrying (`launch failed, retrying: ...`). Permanent: a
 * launch becomes `failed`; a teardown goes back to `failed` (not stuck in `deleting`), so GC collects
 * it again with a new teardown attempt; the request fails with the message.
 */
export function stepFailure(step: StepName, instance: string, err: unknown, now: Date): StepFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (!isPermanentFailure(err)) {
    // A launch being retried shows why on the status page (the launch that works clears it); a
    // teardown keeps the error the deployment already has (often why it is torn down).
    const retrying = step === 'launch' ? { error: `launch failed, retrying: ${message}` } : {};
    return {
      outcome: { kind: 'retry', result: `${step}-failed-transient`, detail: message },
      deploymentPatch: { launchLeaseExpiresAt: now, updatedAt: now, ...retrying },
      isPermanent: false,
    };
  }
  const common = { status: 'failed' as const, launchLeaseExpiresAt: null, updatedAt: now };
  return {
    outcome: { kind: 'done', result: `${step}-failed`, instance, detail: message },
    deploymentPatch:
      step === 'launch'
        ? { ...common, finishedAt: now, error: message }
        : { ...common, error: `teardown failed: ${message}` },
    requestPatch: { status: 'failed', updatedAt: now, error: message },
    isPermanent: true,
  };
}

/**
 * A lease for a test suite: acquire one, keep it alive in the background, release it when done.
 *
 *   const lease = await holdLease({ url, version: 'master', owner: 'kubeflow/examples#1234' });
 *   // ... run the tests against lease.lease.endpoint (lease.lease.credentialsCommand for kubectl) ...
 *   await lease.release();
 *
 * `acquireLease` heartbeats every third of the TTL until `release()`; `holdLease` also releases it when
 * the process exits or gets SIGINT/SIGTERM (release-on-exit.ts). Only Node's own modules are used.
 */
import { randomUUID } from 'node:crypto';
import { type LeaseApi, LeaseApiError, type LeaseApiOptions, type LeaseJson, leaseApi } from './api.js';
import { releaseOnExit } from './release-on-exit.js';

export { LeaseApiError, type LeaseJson } from './api.js';

export interface AcquireLeaseOptions extends LeaseApiOptions {
  version: string;
  /** Who holds it, as people should read it on the status page (e.g. `kubeflow/examples#1234`). */
  owner: string;
  /** 60 to 86,400 (3,600). */
  ttlSeconds?: number;
  /** Idempotency key; one is made up when not given, so a retried acquire never takes a second lease. */
  requestId?: string;
  /** Pins a named instance (it must be ready). */
  instance?: string;
  /** Between heartbeats (a third of the TTL). */
  heartbeatIntervalMs?: number;
  /** Waits before each retry of an acquire that got no answer or a 5xx ([1000, 3000]). */
  retryDelaysMs?: readonly number[];
  /** A heartbeat failed but the lease may still be alive (no answer, 5xx): the next one tries again. */
  onHeartbeatError?: (error: LeaseApiError) => void;
  /** The lease is over (410 expired, released elsewhere or revoked by a forced teardown; 404): heartbeats stop. */
  onLost?: (error: LeaseApiError) => void;
}

export interface LeaseHandle {
  /** The lease as last answered (acquire, then each heartbeat). */
  readonly lease: LeaseJson;
  readonly leaseId: string;
  /** Heartbeats now (the background ones go on). */
  heartbeat(): Promise<LeaseJson>;
  /** Stops the heartbeats and releases the lease (called again: the same release, nothing more is sent). */
  release(): Promise<void>;
  /** True once the release was answered. */
  readonly isReleased: boolean;
  /** Why the lease was lost, once it is. */
  readonly lostBecause: LeaseApiError | null;
  /** The API it was acquired through. */
  readonly api: LeaseApi;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function acquireWithRetries(api: LeaseApi, options: AcquireLeaseOptions): Promise<LeaseJson> {
  const body = {
    version: options.version,
    owner: options.owner,
    requestId: options.requestId ?? randomUUID(),
    ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    ...(options.instance === undefined ? {} : { instance: options.instance }),
  };
  const delays = options.retryDelaysMs ?? [1000, 3000];
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api.acquire(body);
    } catch (err) {
      const delay = delays[attempt];
      if (!(err instanceof LeaseApiError && err.isTransient) || delay === undefined) throw err;
      await sleep(delay);
    }
  }
}

/** The handle of an acquired lease; `onReleased` runs once its release is sent. */
async function openLease(options: AcquireLeaseOptions, onReleased: () => void): Promise<LeaseHandle> {
  const api = leaseApi(options);
  let lease = await acquireWithRetries(api, options);
  let releasing: Promise<void> | null = null;
  let isReleased = false;
  let lostBecause: LeaseApiError | null = null;
  let timer: NodeJS.Timeout | null = null;
  const intervalMs = options.heartbeatIntervalMs ?? (lease.ttlSeconds * 1000) / 3;

  const heartbeat = async (): Promise<LeaseJson> => {
    lease = await api.heartbeat(lease.leaseId);
    return lease;
  };
  const beatInBackground = async () => {
    try {
      await heartbeat();
    } catch (err) {
      const error = err instanceof LeaseApiError ? err : new LeaseApiError(String(err), null, null);
      if (error.isTransient) options.onHeartbeatError?.(error);
      else {
        lostBecause = error;
        options.onLost?.(error);
      }
    }
    schedule();
  };
  const schedule = () => {
    if (releasing || lostBecause) return;
    // Unreferenced: a lease never keeps a finished process alive (holdLease releases it at exit).
    timer = setTimeout(() => void beatInBackground(), intervalMs);
    timer.unref();
  };
  schedule();

  const release = async () => {
    if (timer) clearTimeout(timer);
    lease = await api.release(lease.leaseId);
    isReleased = true;
    onReleased();
  };
  return {
    get lease() {
      return lease;
    },
    leaseId: lease.leaseId,
    heartbeat,
    release() {
      releasing ??= release();
      return releasing;
    },
    get isReleased() {
      return isReleased;
    },
    get lostBecause() {
      return lostBecause;
    },
    api,
  };
}

/** Acquires a lease and heartbeats it in the background until `release()`. Throws a LeaseApiError. */
export function acquireLease(options: AcquireLeaseOptions): Promise<LeaseHandle> {
  return openLease(options, () => {});
}

/**
 * `acquireLease`, and the lease is also released when the process exits (normally, or by
 * `process.exit`) or gets SIGINT or SIGTERM; after a signal the process then ends as the signal would
 * have ended it, unless something else listens for that signal.
 */
export async function holdLease(options: AcquireLeaseOptions): Promise<LeaseHandle> {
  let removeHooks = () => {};
  const handle = await openLease(options, () => removeHooks());
  removeHooks = releaseOnExit(handle);
  return handle;
}

/**
 * The GKE ClusterManager client as the adapters use it: built for Google Cloud or for the local fake
 * (scripts/container-emulator, `CONTAINER_EMULATOR_HOST=host:port`), with bounded call options, and
 * the codes it retries within one call (grpc-codes.ts says which failures are worth retrying later).
 */
import { ClusterManagerClient } from '@google-cloud/container';
import { type CallOptions, createBackoffSettings, createRetryOptions, grpc } from 'google-gax';
import type { HostPort } from '../config/host-port.js';

/**
 * Default deadline of one ClusterManager call, retries included: the client's own per-call timeout
 * for ListClusters and GetCluster (cluster_manager_client_config.json), kept well inside a 5-minute tick.
 */
export const DEFAULT_CONTAINER_CALL_TIMEOUT_MS = 20_000;

/**
 * The longest pause between two attempts. The client's own default is 60 s, and gax sleeps a random
 * part of it *after* the last failed attempt even when the deadline has passed, so with 60 s a failure
 * could surface up to a minute late. With 2 s it surfaces at most ~2 s after the deadline.
 */
export const MAX_RETRY_DELAY_MS = 2_000;

const INITIAL_RETRY_DELAY_MS = 100;
const RETRY_DELAY_MULTIPLIER = 1.3;

/** Codes retried inside one call: the read-only RPCs' own retry codes (idempotent). */
const RETRIED_CODES = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];

/**
 * Call options that end a read-only call, retries included, within about `timeoutMs`: UNAVAILABLE and
 * DEADLINE_EXCEEDED are retried with backoff until then, each attempt is cut at the time left, and the
 * pause between attempts is at most {@link MAX_RETRY_DELAY_MS}. Measured against the fake with
 * UNAVAILABLE on every attempt: the client's defaults fail after ~26 s (20 s plus one long pause);
 * these fail after `timeoutMs` plus at most {@link MAX_RETRY_DELAY_MS}.
 */
export function boundedCallOptions(timeoutMs: number): CallOptions {
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}.`);
  return {
    timeout: timeoutMs,
    retry: createRetryOptions(
      RETRIED_CODES,
      createBackoffSettings(
        INITIAL_RETRY_DELAY_MS,
        RETRY_DELAY_MULTIPLIER,
        Math.min(MAX_RETRY_DELAY_MS, timeoutMs),
        timeoutMs,
        1,
        timeoutMs,
        timeoutMs,
      ),
    ),
  };
}

/**
 * A ClusterManager client. Given an emulator (`CONTAINER_EMULATOR_HOST`, parsed by the configuration)
 * it speaks insecure gRPC to the local fake and sends no credentials; without one, it is the real
 * client with Application Default Credentials.
 */
export function createContainerClient(options: {
  emulator: HostPort | null;
  projectId?: string;
}): ClusterManagerClient {
  const { emulator, projectId } = options;
  if (!emulator) {
    const client = new ClusterManagerClient(projectId ? { projectId } : {});
    UNRESOLVED.add(client);
    return client;
  }
  return new ClusterManagerClient({
    // The client joins apiEndpoint and port with ':', so an IPv6 host keeps its brackets.
    apiEndpoint: emulator.host,
    port: emulator.port,
    sslCreds: grpc.credentials.createInsecure(),
    projectId,
  });
}

/** Real clients whose credentials have not been resolved yet (see {@link resolveCredentials}). */
const UNRESOLVED = new WeakSet<object>();

/**
 * Resolves a real client's Application Default Credentials before its first call. google-gax builds
 * the gRPC stub on the first call; when the credentials cannot be loaded, the call's promise rejects
 * but so does one nobody handles (googleapis/google-cloud-node#9085), which the Functions Framework
 * turns into a 500 for whatever request is running. Loading them first, here, makes that one ordinary
 * error the caller catches. A no-op for clients of the local fake, for clients built elsewhere, and
 * once the credentials are loaded.
 */
export async function resolveCredentials(client: object): Promise<void> {
  if (!UNRESOLVED.has(client)) return;
  await (client as ClusterManagerClient).auth.getClient();
  UNRESOLVED.delete(client);
}

/**
 * The GKE ClusterManager client as the adapters use it: built for Google Cloud or for the local fake
 * (scripts/container-emulator, `CONTAINER_EMULATOR_HOST=host:port`), with bounded call options, and
 * the gRPC codes that say whether a failed call is worth retrying.
 */
import { ClusterManagerClient } from '@google-cloud/container';
import { type CallOptions, createBackoffSettings, createRetryOptions, grpc } from 'google-gax';

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

/** gRPC codes for which a later attempt may succeed (the service, the network or a deadline). */
const TRANSIENT_CODES = new Set<number>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.ABORTED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
]);

/** Codes retried inside one call: the read-only RPCs' own retry codes (idempotent). */
const RETRIED_CODES = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];

const EMULATOR_HOST = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/** True when a call that failed with gRPC `code` may succeed later; false for null (no code). */
export function isTransientGrpcCode(code: number | null): boolean {
  return code !== null && TRANSIENT_CODES.has(code);
}

/** The gRPC status code of a client error, or null when it has none (not a gRPC failure). */
export function grpcCodeOf(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) ? code : null;
}

/** `14 UNAVAILABLE`, for messages. */
export function grpcCodeName(code: number | null): string {
  if (code === null) return 'no gRPC code';
  return `${code} ${grpc.status[code] ?? 'UNKNOWN_CODE'}`;
}

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
 * A ClusterManager client. With `emulatorHost` (`CONTAINER_EMULATOR_HOST`, `host:port`, IPv6 as
 * `[::1]:8124`) it speaks insecure gRPC to the local fake and sends no credentials; without it, it
 * is the real client with Application Default Credentials. Throws a TypeError for a malformed host.
 */
export function createContainerClient(options: {
  emulatorHost: string | null;
  projectId: string;
}): ClusterManagerClient {
  const { emulatorHost, projectId } = options;
  if (!emulatorHost) return new ClusterManagerClient({ projectId });
  const match = EMULATOR_HOST.exec(emulatorHost.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new TypeError(
      `CONTAINER_EMULATOR_HOST must be host:port (IPv6 as [::1]:8124), got "${emulatorHost}".`,
    );
  }
  return new ClusterManagerClient({
    // The client joins apiEndpoint and port with ':', so an IPv6 host keeps its brackets.
    apiEndpoint: match[1],
    port,
    sslCreds: grpc.credentials.createInsecure(),
    projectId,
  });
}

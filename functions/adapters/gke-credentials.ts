/**
 * A KubeConfig for a GKE cluster from Application Default Credentials, for
 * `GKE_CLUSTER=projects/P/locations/L/clusters/C`: the endpoint and CA come from ClusterManager
 * GetCluster once, and the bearer token is asked of google-auth-library on *every* Kubernetes API
 * request, by an authenticator registered on the KubeConfig, never copied into it.
 *
 * Why per request: google-auth-library caches the access token and refreshes it when it expires within
 * its `eagerRefreshThresholdMillis`, 5 minutes by default (`DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS` in
 * google-auth-library 10, checked by test/integration/gke-credentials.test.ts); metadata-server tokens
 * live about an hour. Asking it each time costs nothing while the token is fresh and means a warm
 * function instance always sends a token that is valid for at least 5 more minutes. A token copied
 * once would expire under a long-lived instance.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { protos } from '@google-cloud/container';
import { KubeConfig, type User } from '@kubernetes/client-node';
import { GoogleAuth } from 'google-auth-library';
import type { CallOptions } from 'google-gax';
import type { GkeClusterRef } from '../config/gke-cluster.js';
import {
  boundedCallOptions,
  createContainerClient,
  DEFAULT_CONTAINER_CALL_TIMEOUT_MS,
} from './container-client.js';
import { grpcCodeName, grpcCodeOf, isTransientGrpcCode } from './grpc-codes.js';

/** The OAuth scope of the tokens: what `gcloud container clusters get-credentials` uses too. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * The kubeconfig auth-provider name our authenticator answers to. Not `gcp`: client-node's built-in
 * GoogleCloudPlatformAuth claims that name (and runs `gcloud`), and built-ins are tried first.
 */
export const GKE_ADC_AUTH_PROVIDER = 'kubeflow-auto-deploy-gke-adc';

/**
 * Thrown when the KubeConfig cannot be built (bad GKE_CLUSTER, GetCluster failed, no endpoint or CA,
 * no token) or when a request cannot get a token. `code` is the gRPC status of a failed GetCluster,
 * else null; `isTransient` says whether trying again as is can help.
 */
export class GkeCredentialsError extends Error {
  override name = 'GkeCredentialsError';
  constructor(
    message: string,
    readonly code: number | null,
    readonly isTransient: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What loadGkeKubeConfig needs of the ClusterManager client; a real `ClusterManagerClient` is one. */
export interface ClusterGetter {
  getCluster(
    request: { name: string },
    options?: CallOptions,
  ): Promise<[protos.google.container.v1.ICluster, ...unknown[]]>;
}

/**
 * Where the tokens come from: a `GoogleAuth` (its `getAccessToken()` resolves to the token) or any
 * google-auth-library `AuthClient` (resolves to `{token}`).
 */
export interface AccessTokenSource {
  getAccessToken(): Promise<string | null | undefined | { token?: string | null }>;
}

/** Options of {@link loadGkeKubeConfig}. */
export interface LoadGkeKubeConfigOptions {
  /** The cluster GKE_CLUSTER names, parsed by the configuration (config/gke-cluster.ts). */
  cluster: GkeClusterRef;
  /** Default: a real ClusterManagerClient with Application Default Credentials. */
  clusterManager?: ClusterGetter;
  /** Default: `new GoogleAuth({scopes: [CLOUD_PLATFORM_SCOPE]})` (Application Default Credentials). */
  auth?: AccessTokenSource;
  /** Deadline of GetCluster, retries included. Default {@link DEFAULT_CONTAINER_CALL_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * The KubeConfig of one GKE cluster: server `https://<endpoint>`, trusting only the cluster's CA
 * (TLS is always verified), and a user whose token is fetched per request (see the file comment).
 * Fetches a token once before returning, so missing credentials fail here, not at the first request.
 * Throws a {@link GkeCredentialsError} that says what to fix.
 */
export async function loadGkeKubeConfig(options: LoadGkeKubeConfigOptions): Promise<KubeConfig> {
  const ref = options.cluster;
  const auth = options.auth ?? new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
  const callOptions = boundedCallOptions(options.timeoutMs ?? DEFAULT_CONTAINER_CALL_TIMEOUT_MS);
  let cluster: protos.google.container.v1.ICluster;
  if (options.clusterManager) {
    cluster = await getCluster(options.clusterManager, ref, callOptions);
  } else {
    // Ours, used once: closed so that each load does not leave a gRPC channel open.
    const client = createContainerClient({ emulator: null, projectId: ref.project });
    try {
      // Credentials first: when they are missing this is one clear error, where the client's first call
      // would also leave an unhandled rejection behind (container-client.ts resolveCredentials).
      await fetchAccessToken(client.auth, ref);
      cluster = await getCluster(client, ref, callOptions);
    } finally {
      await client.close();
    }
  }
  const server = serverUrl(ref, cluster);
  const caData = clusterCaData(ref, cluster);
  await fetchAccessToken(auth, ref);

  const name = `gke_${ref.project}_${ref.location}_${ref.cluster}`;
  const kc = new KubeConfig();
  kc.addAuthenticator(new AdcAuthenticator(auth, ref));
  kc.loadFromOptions({
    clusters: [{ name, server, caData, skipTLSVerify: false }],
    // No `token` here: client-node would send it instead of asking the authenticator.
    users: [{ name, authProvider: { name: GKE_ADC_AUTH_PROVIDER, config: {} } }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  return kc;
}

async function getCluster(
  client: ClusterGetter,
  ref: GkeClusterRef,
  callOptions: CallOptions,
): Promise<protos.google.container.v1.ICluster> {
  try {
    const [cluster] = await client.getCluster({ name: ref.resourceName }, callOptions);
    return cluster;
  } catch (error) {
    const code = grpcCodeOf(error);
    throw new GkeCredentialsError(
      `Cannot read GKE cluster ${ref.resourceName} (GKE_CLUSTER): GetCluster failed (${grpcCodeName(code)}): ${(error as Error).message}.${getClusterHint(code)}`,
      code,
      isTransientGrpcCode(code),
      { cause: error },
    );
  }
}

function getClusterHint(code: number | null): string {
  if (code === 5) return ' Check the project, location and name in GKE_CLUSTER.';
  if (code === 7 || code === 16) {
    return ' Give the identity of Application Default Credentials container.clusters.get on the cluster (e.g. roles/container.clusterViewer).';
  }
  return '';
}

function serverUrl(ref: GkeClusterRef, cluster: protos.google.container.v1.ICluster): string {
  const endpoint = cluster.endpoint?.trim();
  if (!endpoint) {
    throw new GkeCredentialsError(
      `GKE cluster ${ref.resourceName} (GKE_CLUSTER) has no endpoint yet (status ${cluster.status ?? 'unknown'}): wait until it is RUNNING, or name another cluster.`,
      null,
      cluster.status === 'PROVISIONING',
    );
  }
  return `https://${isIP(endpoint) === 6 ? `[${endpoint}]` : endpoint}`;
}

/** The cluster CA as client-node's `caData` (base64 PEM, as GetCluster gives it), checked to parse. */
function clusterCaData(ref: GkeClusterRef, cluster: protos.google.container.v1.ICluster): string {
  const caData = cluster.masterAuth?.clusterCaCertificate?.trim();
  const problem = !caData
    ? 'has no CA certificate (masterAuth.clusterCaCertificate)'
    : certificateProblem(caData);
  if (problem) {
    throw new GkeCredentialsError(
      `GKE cluster ${ref.resourceName} (GKE_CLUSTER) ${problem}: cannot verify its API server, so it is not used.`,
      null,
      false,
    );
  }
  return caData as string;
}

function certificateProblem(caData: string): string | null {
  try {
    new X509Certificate(Buffer.from(caData, 'base64'));
    return null;
  } catch (error) {
    return `reports a CA certificate that is not a base64 PEM certificate (${(error as Error).message})`;
  }
}

async function fetchAccessToken(source: AccessTokenSource, ref: GkeClusterRef): Promise<string> {
  let token: string | null | undefined;
  try {
    const result = await source.getAccessToken();
    token = typeof result === 'object' && result !== null ? result.token : result;
  } catch (error) {
    // Usually the metadata server or token endpoint failing for a moment: a retry can help. Missing
    // credentials land here too; the library's message says so.
    throw new GkeCredentialsError(
      `Cannot get an access token from Application Default Credentials for ${ref.resourceName}: ${(error as Error).message}`,
      null,
      true,
      { cause: error },
    );
  }
  if (!token) {
    throw new GkeCredentialsError(
      `Application Default Credentials gave no access token for ${ref.resourceName}: check GOOGLE_APPLICATION_CREDENTIALS or the service account of the function.`,
      null,
      true,
    );
  }
  return token;
}

type AuthenticatorLike = Parameters<KubeConfig['addAuthenticator']>[0];
type RequestOptionsLike = Parameters<AuthenticatorLike['applyAuthentication']>[1];

/** Sets `Authorization: Bearer <fresh token>` on every request of a user of {@link GKE_ADC_AUTH_PROVIDER}. */
class AdcAuthenticator implements AuthenticatorLike {
  constructor(
    private readonly source: AccessTokenSource,
    private readonly ref: GkeClusterRef,
  ) {}

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === GKE_ADC_AUTH_PROVIDER;
  }

  async applyAuthentication(_user: User, opts: RequestOptionsLike): Promise<void> {
    const token = await fetchAccessToken(this.source, this.ref);
    opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
  }
}

/**
 * loadGkeKubeConfig: a KubeConfig from GetCluster (endpoint + CA) and per-request ADC tokens, used by
 * the real @kubernetes/client-node against a local HTTPS server that records each Authorization header.
 * GetCluster comes from a fake, or from the container emulator through the real ClusterManagerClient.
 */
import assert from 'node:assert/strict';
import type { ClusterManagerClient } from '@google-cloud/container';
import { BatchV1Api, type KubeConfig } from '@kubernetes/client-node';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import { createContainerClient } from '../../functions/adapters/container-client.js';
import {
  type AccessTokenSource,
  type ClusterGetter,
  GKE_ADC_AUTH_PROVIDER,
  GkeCredentialsError,
  loadGkeKubeConfig,
} from '../../functions/adapters/gke-credentials.js';
import type { GkeClusterRef } from '../../functions/config/gke-cluster.js';
import { startContainerEmulator } from '../../scripts/container-emulator/server.js';
import { hostOf } from '../support/host.js';
import { type HttpRecorder, startHttpRecorder } from '../support/http-recorder.js';
import { type HttpsApiRecorder, startHttpsApiRecorder } from '../support/https-api-recorder.js';
import { createTestCertificates, type TestCertificates } from '../support/tls-certificates.js';

const PROJECT = 'demo-gke-credentials';
const LOCATION = 'us-east1-c';
/** GKE_CLUSTER as the configuration parses it. */
const CLUSTER: GkeClusterRef = {
  project: PROJECT,
  location: LOCATION,
  cluster: 'deployer',
  resourceName: `projects/${PROJECT}/locations/${LOCATION}/clusters/deployer`,
};
const MINUTE_MS = 60_000;

type Cluster = Awaited<ReturnType<ClusterGetter['getCluster']>>[0];

/** A GetCluster fake that answers `cluster` (or throws `error`) and records each request. */
function fakeClusterManager(answer: { cluster?: Cluster; error?: Error }) {
  const calls: Array<{ request: { name: string }; options: unknown }> = [];
  const getter: ClusterGetter = {
    getCluster: async (request, options) => {
      calls.push({ request, options });
      if (answer.error) throw answer.error;
      return [answer.cluster as Cluster];
    },
  };
  return { getter, calls };
}

/** A token source with its own clock: each token lives an hour, then the next one is issued. */
class RotatingTokens implements AccessTokenSource {
  nowMs = 0;
  calls = 0;
  async getAccessToken() {
    this.calls += 1;
    return { token: `token-${Math.floor(this.nowMs / (60 * MINUTE_MS)) + 1}` };
  }
}

function grpcError(code: grpc.status, message: string): Error {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${message}`), { code });
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}

async function listJobs(kc: KubeConfig): Promise<void> {
  await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: 'default' });
}

describe('loadGkeKubeConfig (GKE_CLUSTER, Application Default Credentials)', () => {
  let certificates: TestCertificates;
  let otherCa: TestCertificates;
  let api: HttpsApiRecorder;

  before(async () => {
    certificates = await createTestCertificates('cluster CA');
    otherCa = await createTestCertificates('some other CA');
  });

  beforeEach(async () => {
    api = await startHttpsApiRecorder(certificates);
  });

  afterEach(async () => {
    await api.close();
  });

  function runningCluster(overrides: Partial<Cluster> = {}): Cluster {
    return {
      name: 'deployer',
      status: 'RUNNING',
      endpoint: api.endpoint,
      masterAuth: { clusterCaCertificate: base64(certificates.caPem) },
      ...overrides,
    };
  }

  it('points at https://<endpoint>, trusts the CA from GetCluster, and has no token copied in', async () => {
    const { getter, calls } = fakeClusterManager({ cluster: runningCluster() });
    const kc = await loadGkeKubeConfig({
      cluster: CLUSTER,
      clusterManager: getter,
      auth: new RotatingTokens(),
    });
    assert.deepEqual(
      calls.map((call) => call.request),
      [{ name: CLUSTER.resourceName }],
    );
    assert.equal((calls[0]?.options as { timeout?: number } | undefined)?.timeout, 20_000);
    const cluster = kc.getCurrentCluster();
    assert.equal(cluster?.server, `https://${api.endpoint}`);
    assert.equal(cluster?.caData, base64(certificates.caPem));
    assert.equal(cluster?.skipTLSVerify, false);
    assert.equal(kc.getCurrentUser()?.token, undefined);
    assert.equal(kc.getCurrentUser()?.authProvider?.name, GKE_ADC_AUTH_PROVIDER);
  });

  it('brackets an IPv6 endpoint', async () => {
    const { getter } = fakeClusterManager({ cluster: runningCluster({ endpoint: '2001:db8::10' }) });
    const kc = await loadGkeKubeConfig({
      cluster: CLUSTER,
      clusterManager: getter,
      auth: new RotatingTokens(),
    });
    assert.equal(kc.getCurrentCluster()?.server, 'https://[2001:db8::10]');
  });

  it('asks for the token on every request: token 1 first, token 2 once the token changed', async () => {
    const tokens = new RotatingTokens();
    const { getter } = fakeClusterManager({ cluster: runningCluster() });
    const kc = await loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: getter, auth: tokens });
    await listJobs(kc);
    await listJobs(kc);
    tokens.nowMs = 61 * MINUTE_MS;
    await listJobs(kc);
    assert.deepEqual(
      api.requests.map((request) => request.authorization),
      ['Bearer token-1', 'Bearer token-1', 'Bearer token-2'],
    );
  });

  it('the CA from GetCluster is what makes TLS pass: with another CA the request fails and never arrives', async () => {
    const { getter } = fakeClusterManager({
      cluster: runningCluster({ masterAuth: { clusterCaCertificate: base64(otherCa.caPem) } }),
    });
    const kc = await loadGkeKubeConfig({
      cluster: CLUSTER,
      clusterManager: getter,
      auth: new RotatingTokens(),
    });
    await assert.rejects(listJobs(kc), (error: Error) => {
      const cause = (error as { cause?: { code?: string } }).cause;
      assert.match(`${error.message} ${cause?.code ?? ''}`, /certificate|UNABLE_TO_VERIFY|SELF_SIGNED/i);
      return true;
    });
    assert.equal(api.requests.length, 0);
  });

  describe('with a real google-auth-library client', () => {
    let tokenEndpoint: HttpRecorder;
    let oauth: OAuth2Client;

    beforeEach(async () => {
      tokenEndpoint = await startHttpRecorder({
        defaultResponse: {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ access_token: 'token-2', expires_in: 3600, token_type: 'Bearer' }),
        },
      });
      oauth = new OAuth2Client({
        clientId: 'test-client',
        clientSecret: 'test-secret',
        endpoints: { oauth2TokenUrl: `${tokenEndpoint.baseUrl}/token` },
      });
    });

    afterEach(async () => {
      await tokenEndpoint.close();
    });

    function expiringIn(ms: number) {
      oauth.setCredentials({
        access_token: 'token-1',
        refresh_token: 'refresh-1',
        expiry_date: Date.now() + ms,
      });
    }

    it('sends a token valid for more than 5 minutes as is, and refreshes one expiring within 5 minutes first', async () => {
      expiringIn(60 * MINUTE_MS);
      const { getter } = fakeClusterManager({ cluster: runningCluster() });
      const kc = await loadGkeKubeConfig({
        cluster: CLUSTER,
        clusterManager: getter,
        auth: new GoogleAuth({ authClient: oauth }),
      });
      await listJobs(kc);
      // Six minutes left: outside the library's 5-minute refresh margin, still sent.
      expiringIn(6 * MINUTE_MS);
      await listJobs(kc);
      assert.equal(tokenEndpoint.requests.length, 0);
      // Four minutes left: refreshed before the request goes out.
      expiringIn(4 * MINUTE_MS);
      await listJobs(kc);
      // Already expired (a warm instance after an idle hour): refreshed too.
      expiringIn(-MINUTE_MS);
      await listJobs(kc);
      assert.deepEqual(
        api.requests.map((request) => request.authorization),
        ['Bearer token-1', 'Bearer token-1', 'Bearer token-2', 'Bearer token-2'],
      );
      assert.equal(tokenEndpoint.requests.length, 2);
      assert.match(tokenEndpoint.requests[0]?.body.toString() ?? '', /grant_type=refresh_token/);
    });
  });

  describe('errors', () => {
    it('a cluster without an endpoint (still provisioning) is a clear error', async () => {
      const { getter } = fakeClusterManager({
        cluster: runningCluster({ endpoint: '', status: 'PROVISIONING' }),
      });
      await assert.rejects(
        loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: getter, auth: new RotatingTokens() }),
        (error: GkeCredentialsError) => {
          assert.ok(error instanceof GkeCredentialsError);
          assert.match(error.message, /has no endpoint yet \(status PROVISIONING\)/);
          assert.match(error.message, new RegExp(`${CLUSTER.resourceName} \\(GKE_CLUSTER\\)`));
          return true;
        },
      );
    });

    it('a cluster without a CA, or with one that is not a certificate, is a clear error', async () => {
      for (const [masterAuth, expected] of [
        [{}, /has no CA certificate/],
        [{ clusterCaCertificate: base64('not a certificate') }, /not a base64 PEM certificate/],
      ] as const) {
        const { getter } = fakeClusterManager({ cluster: runningCluster({ masterAuth }) });
        await assert.rejects(
          loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: getter, auth: new RotatingTokens() }),
          (error: GkeCredentialsError) =>
            error instanceof GkeCredentialsError && expected.test(error.message),
        );
      }
    });

    it('a GetCluster failure names the cluster and the code, and says whether a retry can help', async () => {
      for (const [code, isTransient, hint] of [
        [grpc.status.NOT_FOUND, false, /Check the project, location and name in GKE_CLUSTER/],
        [grpc.status.PERMISSION_DENIED, false, /container\.clusters\.get/],
        [grpc.status.UNAVAILABLE, true, /UNAVAILABLE/],
      ] as const) {
        const { getter } = fakeClusterManager({ error: grpcError(code, 'from the fake') });
        await assert.rejects(
          loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: getter, auth: new RotatingTokens() }),
          (error: GkeCredentialsError) => {
            assert.ok(error instanceof GkeCredentialsError);
            assert.equal(error.code, code);
            assert.equal(error.isTransient, isTransient);
            assert.match(
              error.message,
              new RegExp(`Cannot read GKE cluster ${CLUSTER.resourceName} \\(GKE_CLUSTER\\)`),
            );
            assert.match(error.message, hint);
            return true;
          },
        );
      }
    });

    it('no token at load time fails the load; a token failure at a request fails that request, sending nothing', async () => {
      const { getter } = fakeClusterManager({ cluster: runningCluster() });
      await assert.rejects(
        loadGkeKubeConfig({
          cluster: CLUSTER,
          clusterManager: getter,
          auth: { getAccessToken: async () => null },
        }),
        (error: GkeCredentialsError) =>
          error instanceof GkeCredentialsError && /gave no access token/.test(error.message),
      );

      let isBroken = false;
      const flaky: AccessTokenSource = {
        getAccessToken: async () => {
          if (isBroken) throw new Error('metadata server unreachable');
          return 'token-1';
        },
      };
      const kc = await loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: getter, auth: flaky });
      isBroken = true;
      await assert.rejects(listJobs(kc), (error: GkeCredentialsError) => {
        assert.ok(error instanceof GkeCredentialsError);
        assert.equal(error.isTransient, true);
        assert.match(error.message, /Cannot get an access token .*: metadata server unreachable/);
        return true;
      });
      assert.equal(api.requests.length, 0);
    });
  });

  describe('through the container emulator (real ClusterManagerClient over gRPC)', () => {
    let emulator: Awaited<ReturnType<typeof startContainerEmulator>>;
    let client: ClusterManagerClient;

    before(async () => {
      emulator = await startContainerEmulator({ log: () => {}, project: PROJECT, location: LOCATION });
      client = createContainerClient({ emulator: hostOf(emulator.address), projectId: PROJECT });
    });

    after(async () => {
      await client.close();
      await emulator.stop();
    });

    afterEach(() => emulator.reset());

    it('reads the endpoint and CA with GetCluster, then reaches the API server with the token', async () => {
      emulator.addCluster({ name: 'deployer', endpoint: api.endpoint, caCertificatePem: certificates.caPem });
      const kc = await loadGkeKubeConfig({
        cluster: CLUSTER,
        clusterManager: client,
        auth: new RotatingTokens(),
      });
      await listJobs(kc);
      assert.deepEqual(
        api.requests.map((request) => [request.url, request.authorization]),
        [['/apis/batch/v1/namespaces/default/jobs', 'Bearer token-1']],
      );
    });

    it('an unknown cluster is NOT_FOUND; GetCluster failing past the deadline is a transient error', async () => {
      await assert.rejects(
        loadGkeKubeConfig({ cluster: CLUSTER, clusterManager: client, auth: new RotatingTokens() }),
        (error: GkeCredentialsError) => error.code === grpc.status.NOT_FOUND && !error.isTransient,
      );
      emulator.addCluster({ name: 'deployer', endpoint: api.endpoint, caCertificatePem: certificates.caPem });
      emulator.injectFault({ method: 'GetCluster', code: 'UNAVAILABLE', count: 1_000_000 });
      await assert.rejects(
        loadGkeKubeConfig({
          cluster: CLUSTER,
          clusterManager: client,
          auth: new RotatingTokens(),
          timeoutMs: 500,
        }),
        (error: GkeCredentialsError) => {
          assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);
          assert.equal(error.isTransient, true);
          return true;
        },
      );
    });
  });
});

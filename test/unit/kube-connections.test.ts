import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { reuseConnections } from '../../functions/adapters/kube-connections.js';

function kubeConfig(
  server: string,
  options: { proxyUrl?: string; skipTLSVerify?: boolean } = {},
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: options.skipTLSVerify ?? false, ...options }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** The agent and headers an API call of `kc` would be sent with. */
async function prepared(kc: KubeConfig): Promise<RequestContext> {
  const context = new RequestContext(`${kc.getCurrentCluster()?.server}/apis/batch/v1/jobs`, HttpMethod.GET);
  await kc.applySecurityAuthentication(context);
  return context;
}

describe('reuseConnections (one keep-alive agent per TLS identity for @kubernetes/client-node 1.x)', () => {
  it('without it, the library builds a new agent, without keep-alive, for every call', async () => {
    const kc = kubeConfig('https://127.0.0.1:6443');
    const [one, two] = [await prepared(kc), await prepared(kc)];
    assert.notEqual(one.getAgent(), two.getAgent());
  });

  it('gives every call of a KubeConfig the same keep-alive https agent, with the TLS settings kept', async () => {
    const kc = reuseConnections(kubeConfig('https://127.0.0.1:6443'));
    const [one, two] = [await prepared(kc), await prepared(kc)];
    const agent = one.getAgent() as https.Agent & { keepAlive: boolean; options: https.AgentOptions };
    assert.ok(agent instanceof https.Agent);
    assert.equal(agent, two.getAgent());
    assert.equal(agent.keepAlive, true);
    assert.equal(agent.options.rejectUnauthorized, undefined, 'verification left as configured');
    // The token still goes in each call's headers, never in the agent.
    assert.equal(two.getHeaders().Authorization, 'Bearer secret-token');
  });

  it('is idempotent: a second call changes nothing', async () => {
    const kc = reuseConnections(kubeConfig('https://127.0.0.1:6443'));
    const first = (await prepared(kc)).getAgent();
    reuseConnections(kc);
    assert.equal((await prepared(kc)).getAgent(), first);
  });

  it('keeps separate agents for TLS identities that differ (verification off is not shared)', async () => {
    const verified = reuseConnections(kubeConfig('https://127.0.0.1:6443'));
    const unverified = reuseConnections(kubeConfig('https://127.0.0.1:6443', { skipTLSVerify: true }));
    const agent = (await prepared(unverified)).getAgent() as https.Agent & { options: https.AgentOptions };
    assert.notEqual(agent, (await prepared(verified)).getAgent());
    assert.equal(agent.options.rejectUnauthorized, false);
  });

  it('reuses plain http agents too, and leaves proxy agents as the library builds them', async () => {
    const plain = reuseConnections(kubeConfig('http://127.0.0.1:8001', { skipTLSVerify: true }));
    const agent = (await prepared(plain)).getAgent();
    assert.ok(agent instanceof http.Agent && !(agent instanceof https.Agent));
    assert.equal((await prepared(plain)).getAgent(), agent);
    const proxied = reuseConnections(
      kubeConfig('https://127.0.0.1:6443', { proxyUrl: 'http://127.0.0.1:3128' }),
    );
    const viaProxy = (await prepared(proxied)).getAgent();
    assert.notEqual(Object.getPrototypeOf(viaProxy), https.Agent.prototype);
    assert.notEqual((await prepared(proxied)).getAgent(), viaProxy);
  });
});

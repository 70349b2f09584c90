/**
 * Reused connections to the Kubernetes API server. `@kubernetes/client-node` 1.x builds a new
 * `https.Agent` (without keep-alive) for every API call, so every call opens a TLS connection of its
 * own: a handshake and a new TLS context (the CA and client certificate parsed again) per Job listed,
 * created or deleted. Version 2.0 caches the agent per cluster and user
 * (kubernetes-client/javascript#2893), but it needs a newer Node than the functions' 20. Until then
 * this keeps one keep-alive agent per TLS identity (CA, client certificate, key, server name,
 * verification) and puts it on each call in place of the fresh one. Agents through a proxy are left as
 * the library builds them.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentOptions = https.AgentOptions;

/** What makes two agents interchangeable: the TLS material and settings, never the headers (tokens). */
function identityOf(options: AgentOptions): string {
  const hash = createHash('sha256');
  for (const part of [options.ca, options.cert, options.key, options.pfx]) {
    const values = Array.isArray(part) ? part : [part];
    for (const value of values) hash.update(value === undefined ? '-' : String(value)).update('\0');
  }
  hash.update(JSON.stringify([options.passphrase, options.rejectUnauthorized, options.servername]));
  return hash.digest('hex');
}

/** A plain agent of node:http or node:https (not a proxy agent, which subclasses them). */
function isPlainAgent(agent: unknown): agent is http.Agent {
  return (
    agent !== undefined &&
    agent !== null &&
    (Object.getPrototypeOf(agent) === https.Agent.prototype ||
      Object.getPrototypeOf(agent) === http.Agent.prototype)
  );
}

/** The KubeConfigs already changed: a second call changes nothing. */
const reusing = new WeakSet<KubeConfig>();

/**
 * Makes every API client of `kc` reuse its connections: one keep-alive agent per TLS identity.
 * Returns `kc` (changed in place: `applySecurityAuthentication`, which the generated clients call
 * before each request). Idle sockets do not keep the process alive (Node unrefs them).
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  if (reusing.has(kc)) return kc;
  reusing.add(kc);
  const agents = new Map<string, http.Agent>();
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    await apply(context);
    const fresh = context.getAgent();
    if (!isPlainAgent(fresh)) return;
    const options = (fresh as http.Agent & { options: AgentOptions }).options;
    const isTls = fresh instanceof https.Agent;
    const id = `${isTls ? 'https' : 'http'}:${identityOf(options)}`;
    let agent = agents.get(id);
    if (!agent) {
      const settings = { ...options, keepAlive: true };
      agent = isTls ? new https.Agent(settings) : new http.Agent(settings);
      agents.set(id, agent);
    }
    context.setAgent(agent);
  };
  return kc;
}

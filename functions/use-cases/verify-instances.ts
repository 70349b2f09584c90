/**
 * Tick step: probes the endpoint of every verifying, ready and unhealthy instance (a few at a time) and
 * records what the answer means (core/readiness.ts): verifying -> ready or failed, ready <-> unhealthy.
 */
import type { Clock, DeploymentStore, EndpointProbe } from '../core/ports.js';
import { afterProbe, PROBED_STATUSES, readinessTurnedOff, readinessUrl } from '../core/readiness.js';
import type { Deployment, DeploymentsConfig, ReadinessConfig } from '../core/types.js';
import type { Logger } from '../log.js';

/** How many probes run at once. */
const PROBE_CONCURRENCY = 8;

export interface VerifyInstancesDeps {
  config: DeploymentsConfig;
  store: DeploymentStore;
  probe: EndpointProbe;
  /** Replaces every version's readiness URL template (READINESS_URL: the local stack's simulated endpoints). */
  urlTemplate: string | null;
  clock: Clock;
  logger: Logger;
}

export interface VerifyReport {
  ok: true;
  /** How many instances were probed. */
  probed: number;
  /** Instances whose status changed, as `instance: from -> to`. */
  changed: string[];
}

function readinessOf(d: Deployment, config: DeploymentsConfig): ReadinessConfig {
  return config.versions.find((v) => v.name === d.version)?.readiness ?? config.readiness;
}

/** Probes one instance and records the result; the status change in words, or null. */
async function verifyOne(deps: VerifyInstancesDeps, d: Deployment): Promise<string | null> {
  const { config, clock } = deps;
  const readiness = readinessOf(d, config);
  let patch: Partial<Deployment> | null;
  if (!readiness.enabled) {
    patch = readinessTurnedOff(d, clock());
  } else {
    const template = deps.urlTemplate ?? readiness.url;
    const values = { instance: d.instance, version: d.version, project: config.project, zone: config.zone };
    const result = await deps.probe.probe(readinessUrl(template, values), readiness.timeoutSeconds * 1000);
    patch = afterProbe(d, result, readiness, clock());
  }
  if (!patch || (await deps.store.updateDeploymentIf(d, patch)) !== 'updated') return null;
  if (patch.status === undefined || patch.status === d.status) return null;
  deps.logger[patch.status === 'ready' ? 'info' : 'warn']('deployment status changed', {
    instance: d.instance,
    version: d.version,
    commit: d.commit,
    from: d.status,
    to: patch.status,
    probe: patch.probe ?? null,
  });
  return `${d.instance}: ${d.status} -> ${patch.status}`;
}

export async function verifyInstances(deps: VerifyInstancesDeps): Promise<VerifyReport> {
  const instances = await deps.store.listDeployments(PROBED_STATUSES);
  const changed: string[] = [];
  for (let start = 0; start < instances.length; start += PROBE_CONCURRENCY) {
    const batch = instances.slice(start, start + PROBE_CONCURRENCY);
    for (const change of await Promise.all(batch.map((d) => verifyOne(deps, d)))) {
      if (change) changed.push(change);
    }
  }
  return { ok: true, probed: instances.length, changed };
}

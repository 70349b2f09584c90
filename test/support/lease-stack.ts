/**
 * The deploymentStatus function on the Firestore emulator, served through the Functions Framework on a
 * free port, with a clock a test moves forward: what the lease suites (API, GC, client) run against.
 * Also the deployments they lease: ready instances of master under `pipelineConfig`.
 */
import type { Firestore } from '@google-cloud/firestore';
import { FirestoreLeaseStore } from '../../functions/adapters/firestore/lease-store.js';
import { FirestoreStatusReader } from '../../functions/adapters/firestore/status-reader.js';
import type { Deployment, DeploymentStatus, DeploymentsConfig } from '../../functions/core/types.js';
import { createDeploymentStatusHandler } from '../../functions/deployment-status.js';
import { silentLogger } from '../../functions/log.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { launchedFields, makeDeployment, readyTimes } from './fixtures.js';
import { PIPELINE_TARGET, pipelineConfig, putDeployment } from './pipeline-fixtures.js';

export const LEASE_CONFIG: DeploymentsConfig = pipelineConfig('lease test config');

/** Real time plus an offset a test moves forward (never back): leases expire without waiting. */
export class MovableClock {
  offsetMs = 0;
  readonly read = (): Date => new Date(Date.now() + this.offsetMs);
  advanceSeconds(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export interface LeaseStack {
  /** The status function's URL (`.../deploymentStatus`). */
  url: string;
  clock: MovableClock;
  store: FirestoreLeaseStore;
  stop(): Promise<void>;
}

let randomCount = 0;

/** Serves deploymentStatus on `db` with the real stores; lease ids without a key are numbered, not random. */
export async function startLeaseStack(db: Firestore, clock = new MovableClock()): Promise<LeaseStack> {
  const store = new FirestoreLeaseStore(db);
  const gateway: Gateway = await startGateway({
    deploymentStatus: createDeploymentStatusHandler({
      reader: new FirestoreStatusReader(db, LEASE_CONFIG.versions, clock.read),
      clock: clock.read,
      logger: silentLogger,
      project: LEASE_CONFIG.project,
      zone: LEASE_CONFIG.zone,
      leases: {
        store,
        versions: LEASE_CONFIG.versions.map((version) => version.name),
        clock: clock.read,
        randomHex: () => (++randomCount).toString(16).padStart(16, '0'),
      },
    }),
  });
  return { url: `${gateway.url}/deploymentStatus`, clock, store, stop: () => gateway.stop() };
}

/** A deployment of master under LEASE_CONFIG at `commit`, created `hoursAgo` (ready unless told). */
export function masterDeployment(
  instance: string,
  commit: string,
  hoursAgo: number,
  status: DeploymentStatus = 'ready',
): Deployment {
  const createdAt = new Date(Date.now() - hoursAgo * 3_600_000);
  return makeDeployment({
    instance,
    ...launchedFields(instance, commit, PIPELINE_TARGET),
    requestId: `deploy-master-${instance}`,
    jobName: `auto-deploy-master-${instance.slice(-3)}`,
    ...readyTimes(createdAt),
    status,
  });
}

/** Writes the deployments. */
export async function putDeployments(db: Firestore, ...deployments: Deployment[]): Promise<void> {
  for (const deployment of deployments) await putDeployment(db, deployment);
}

/** Calls the API: JSON in, status and JSON out. */
export async function callApi(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> & { leaseId?: string } }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * deploymentStatus as the app builds it (buildApp: the real Firestore stores on the emulator, the
 * operator API wired as in production), with an in-memory queue so a change is planned and queued at
 * once, served through the Functions Framework on a free port. The operator suites (API, auth, CLI)
 * run against it. `pipelineConfig`'s versions (master, v1) replace the default deployments file.
 */
import type { Firestore } from '@google-cloud/firestore';
import { buildApp } from '../../functions/app.js';
import { loadConfig } from '../../functions/config.js';
import type { IdTokenVerifier } from '../../functions/core/ports.js';
import { silentLogger } from '../../functions/log.js';
import { type Gateway, startGateway } from '../../scripts/lib/gateway.js';
import { firestoreEmulatorHost, TEST_PROJECT_ID } from './firestore.js';
import { MemoryQueue } from './memory-stores.js';
import { pipelineConfig } from './pipeline-fixtures.js';

export interface OperatorStack {
  /** The status function's URL (`.../deploymentStatus`). */
  url: string;
  queue: MemoryQueue;
  stop(): Promise<void>;
}

/** Serves deploymentStatus on `db`; `env` adds to a local environment (AUTH_MODE=off unless given). */
export async function startOperatorStack(
  db: Firestore,
  env: NodeJS.ProcessEnv = {},
  idTokenVerifier?: IdTokenVerifier,
): Promise<OperatorStack> {
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
    FIRESTORE_EMULATOR_HOST: await firestoreEmulatorHost(),
    AUTH_MODE: 'off',
    ...env,
  });
  const queue = new MemoryQueue();
  const app = buildApp(
    { ...config, deployments: pipelineConfig('operator test config') },
    { firestore: db, queue, logger: silentLogger, ...(idTokenVerifier ? { idTokenVerifier } : {}) },
  );
  const handler = app.handler('deploymentStatus');
  const gateway: Gateway = await startGateway({ deploymentStatus: handler });
  return { url: `${gateway.url}/deploymentStatus`, queue, stop: () => gateway.stop() };
}

/** Calls the API: JSON in, status and JSON out; `headers` add to the request's. */
export async function callOperatorApi(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    // A string is sent as it is, as text: the Functions Framework itself refuses bad JSON that says it is JSON.
    const isText = typeof body === 'string';
    init.body = isText ? body : JSON.stringify(body);
    init.headers = { 'Content-Type': isText ? 'text/plain' : 'application/json', ...headers };
  }
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

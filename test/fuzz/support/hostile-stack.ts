/**
 * The four functions as production builds them (AUTH_MODE=required, a webhook secret, the default
 * deployments file), served through the Functions Framework by the gateway, on the Firestore emulator,
 * with in-memory GitHub, queue and cluster, ID tokens signed by a local key, and every log line kept.
 * For the hostile-input tests: what each function answers, what it wrote, and what it logged.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Firestore } from '@google-cloud/firestore';
import { buildApp, FUNCTION_NAMES } from '../../../functions/app.js';
import { loadConfig } from '../../../functions/config.js';
import { createLogger } from '../../../functions/log.js';
import { type Gateway, startGateway } from '../../../scripts/lib/gateway.js';
import { TEST_PROJECT_ID } from '../../support/firestore.js';
import { createTokenSigner, idTokenClaims, verifierTrusting } from '../../support/id-tokens.js';
import {
  MemoryCommitSource,
  MemoryInventory,
  MemoryJobs,
  MemoryProbe,
  MemoryQueue,
} from '../../support/memory-stores.js';

export const WEBHOOK_SECRET = 'hostile-input-secret';
export const TICK_SA = 'auto-deploy-scheduler@demo.iam.gserviceaccount.com';
export const TASKS_SA = 'auto-deploy-tasks@demo.iam.gserviceaccount.com';
export const ALICE = 'alice@example.com';
const TICK_URL = 'https://schedulertick-1.us-central1.run.app';
const WORKER_URL = 'https://deployworker-1.us-central1.run.app';
const STATUS_URL = 'https://deploymentstatus-1.us-central1.run.app';
export const QUEUE = `projects/${TEST_PROJECT_ID}/locations/us-central1/queues/auto-deploy`;

export interface HostileStack {
  url: string;
  fakes: {
    commits: MemoryCommitSource;
    queue: MemoryQueue;
    jobs: MemoryJobs;
  };
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** `Authorization` headers of the right callers. */
  auth: { tick: string; worker: string; status: string };
  stop(): Promise<void>;
}

/** Starts the stack on `db` (the shared emulator, `emulator` its host:port). */
export async function startHostileStack(db: Firestore, emulator: string): Promise<HostileStack> {
  const signer = await createTokenSigner();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger({}, (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
  const fakes = {
    commits: new MemoryCommitSource(),
    queue: new MemoryQueue(),
    jobs: new MemoryJobs(() => new Date()),
  };
  const config = loadConfig({
    GOOGLE_CLOUD_PROJECT: TEST_PROJECT_ID,
    FIRESTORE_EMULATOR_HOST: emulator,
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AUTH_MODE: 'required',
    SCHEDULER_SERVICE_ACCOUNT: TICK_SA,
    SCHEDULER_TICK_URL: TICK_URL,
    TASKS_SERVICE_ACCOUNT: TASKS_SA,
    TASKS_QUEUE: QUEUE,
    DEPLOY_WORKER_URL: WORKER_URL,
    STATUS_URL,
    ALLOWED_PRINCIPALS: ALICE,
  });
  const app = buildApp(config, {
    ...fakes,
    inventory: new MemoryInventory(),
    probe: new MemoryProbe(),
    githubDeployments: null,
    firestore: db,
    idTokenVerifier: verifierTrusting(signer),
    logger,
  });
  const gateway: Gateway = await startGateway(
    Object.fromEntries(
      FUNCTION_NAMES.map((name) => [name, (req, res) => app.handler(name)(req, res)] as const),
    ),
  );
  const bearer = (email: string, audience: string) => `Bearer ${signer.sign(idTokenClaims(email, audience))}`;
  return {
    url: gateway.url,
    fakes,
    logs,
    auth: {
      tick: bearer(TICK_SA, TICK_URL),
      worker: bearer(TASKS_SA, WORKER_URL),
      status: bearer(ALICE, STATUS_URL),
    },
    stop: () => gateway.stop(),
  };
}

/** An answer: its status, content type and text. */
export interface Answer {
  status: number;
  type: string;
  text: string;
}

/** A request to send: bytes as they are. */
export interface Sent {
  method: string;
  headers: Record<string, string>;
  body?: Buffer | string | undefined;
}

/** Sends a request; never throws for a status. */
export async function send(url: string, init: Sent): Promise<Answer> {
  const body =
    typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body);
  const response = await fetch(url, { method: init.method, headers: init.headers, body });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** What no answer may hold: a stack trace, a path on the server, the framework's HTML error page. */
const LEAKS = [/node_modules/, /\n\s+at /, /<pre>/i, /<!DOCTYPE/i, /\/work\//, /SyntaxError/];

/** Asserts `answer` is our own JSON error (or success), with nothing of the server's insides. */
export function assertOwnJson(answer: Answer, context = ''): Record<string, unknown> {
  assert.match(
    answer.type,
    /^application\/json/,
    `${context}: ${answer.status} ${answer.type} ${answer.text}`,
  );
  for (const leak of LEAKS) assert.doesNotMatch(answer.text, leak, `${context}: ${answer.text}`);
  return JSON.parse(answer.text) as Record<string, unknown>;
}

/** `X-Hub-Signature-256` of `bytes`, as GitHub computes it (over the bytes, whatever they are). */
export function signBytes(bytes: Buffer | string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(bytes).digest('hex')}`;
}

/** The headers of a GitHub delivery of `event` whose body is `bytes`, signed unless `isSigned` is false. */
export function deliveryHeaders(
  bytes: Buffer | string,
  event = 'push',
  isSigned = true,
  type = 'application/json',
): Record<string, string> {
  return {
    'Content-Type': type,
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': randomUUID(),
    ...(isSigned ? { 'X-Hub-Signature-256': signBytes(bytes) } : {}),
  };
}

/**
 * Sends exactly these header lines (a name may repeat: a doubled header) and bytes, over node:http
 * (fetch merges repeated headers into one line). Resolves the answer, or `{status: 0}` when the server
 * closed the connection without one (Node's HTTP parser refusing the request itself).
 */
export function sendRaw(url: string, headers: Array<[string, string]>, body: Buffer): Promise<Answer> {
  // Repeated names become an array: node:http writes one line per value.
  const grouped: Record<string, string[]> = {};
  for (const [name, value] of headers) grouped[name] = [...(grouped[name] ?? []), value];
  const hasFraming = headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  const lines = hasFraming ? grouped : { ...grouped, 'Content-Length': [String(body.length)] };
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: lines }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code === 'EPIPE'
        ? resolve({ status: 0, type: '', text: '' })
        : reject(err),
    );
    request.end(body);
  });
}

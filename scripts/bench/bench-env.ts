/**
 * The benchmarks' world: a deployments file with N versions (each following its own branch of one
 * repository), the product environment that goes with it, and signed pushes to those branches, built
 * exactly as scripts/push-simulate.ts builds them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPushPayload, fakeSha, type SignedDelivery, signDelivery } from '../lib/push-payload.js';

export const BENCH_PROJECT_ID = 'demo-kubeflow-bench';
export const BENCH_REPO = 'kubeflow/manifests';
export const BENCH_NAMESPACE = 'auto-deploy-bench';
export const BENCH_SECRET = 'bench-webhook-secret';
export const BENCH_KFCTL_URL =
  'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0_linux.tar.gz';

/** The policy fields of the deployments file (README "Configuration"). */
export interface BenchPolicy {
  minMinutesBetweenDeployments: number;
  maxActiveDeployments: number;
  periodicRedeployHours: number;
  minLifetimeHours: number;
  gracePeriodHours: number;
}

/** The defaults of templates/deployments.yaml, except capacity, which each benchmark sets. */
export const BENCH_POLICY: BenchPolicy = {
  minMinutesBetweenDeployments: 20,
  maxActiveDeployments: 10,
  periodicRedeployHours: 12,
  minLifetimeHours: 3,
  gracePeriodHours: 3,
};

export interface BenchVersion {
  name: string;
  branch: string;
}

/** Version `index` of a benchmark world: `v0007` follows `branch-0007`. */
export function benchVersion(index: number): BenchVersion {
  const id = index.toString().padStart(4, '0');
  return { name: `v${id}`, branch: `branch-${id}` };
}

export interface BenchWorld {
  dir: string;
  versions: BenchVersion[];
  policy: BenchPolicy;
  /** The product environment for stack-host.ts (and for a cold-started function). */
  env: Record<string, string>;
  remove(): void;
}

/** Writes a deployments file with `versionCount` versions into a fresh temporary directory. */
export function createWorld(
  versionCount: number,
  policy: Partial<BenchPolicy>,
  firestoreEmulatorHost: string,
  extraLines: string[] = [],
): BenchWorld {
  const dir = mkdtempSync(join(tmpdir(), 'auto-deploy-bench-world-'));
  const versions = Array.from({ length: versionCount }, (_, index) => benchVersion(index));
  const effective = { ...BENCH_POLICY, ...policy };
  const lines = [
    'project: bench-project',
    'zone: us-east1-c',
    `namespace: ${BENCH_NAMESPACE}`,
    'policy:',
    ...Object.entries(effective).map(([key, value]) => `  ${key}: ${value}`),
    ...extraLines,
    'versions:',
    ...versions.flatMap((version) => [
      `  - name: ${version.name}`,
      `    repo: ${BENCH_REPO}`,
      `    branch: ${version.branch}`,
      '    kfDefPath: kfdef/kfctl_gcp_iap.yaml',
      `    kfctlUrl: ${BENCH_KFCTL_URL}`,
    ]),
  ];
  const configPath = join(dir, 'deployments.yaml');
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  return {
    dir,
    versions,
    policy: effective,
    env: {
      AUTO_DEPLOY_CONFIG: configPath,
      FIRESTORE_EMULATOR_HOST: firestoreEmulatorHost,
      GOOGLE_CLOUD_PROJECT: BENCH_PROJECT_ID,
      GITHUB_WEBHOOK_SECRET: BENCH_SECRET,
      GITHUB_POLL: 'false',
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A signed push of `after` (one new commit on top of `before`) to `branch`, with its delivery id. */
export async function signedPush(
  branch: string,
  after: string,
  before: string = fakeSha(`${after}-parent`),
  deliveryId: string = randomUUID(),
  pushedAt: Date = new Date(),
): Promise<SignedDelivery & { deliveryId: string; after: string }> {
  const payload = buildPushPayload({
    repo: BENCH_REPO,
    ref: branch,
    before,
    after,
    created: false,
    pushedAt,
    message: `Benchmark push to ${branch}`,
  });
  return { ...(await signDelivery('push', payload, BENCH_SECRET, deliveryId)), deliveryId, after };
}

/** Sends a delivery to the gateway's webhook; returns the status, the body and when it was sent/answered. */
export async function sendDelivery(
  url: string,
  delivery: SignedDelivery,
): Promise<{ status: number; body: Record<string, unknown> | null; sentAt: number; answeredAt: number }> {
  const sentAt = performance.timeOrigin + performance.now();
  const response = await fetch(`${url}/githubWebhook`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  const answeredAt = performance.timeOrigin + performance.now();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = null;
  }
  return { status: response.status, body, sentAt, answeredAt };
}

export { fakeSha };

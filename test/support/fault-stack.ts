/**
 * Shared pieces of the fault tests (test/fault/): deliveries sent with GitHub's own 10 s deadline, the
 * tick and the queue driven to quiet, the log lines a fault must leave, and the end-of-test checks that
 * nothing was lost or duplicated.
 */
import assert from 'node:assert/strict';
import { JOB_LABELS } from '../../functions/core/job-manifest.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { buildPushPayload, type PushSpec, signDelivery } from '../../scripts/lib/push-payload.js';
import { type DeploymentJson, getStatus, jobsOf, statusDeployments } from '../e2e/helpers.js';

/** GitHub waits this long for an answer and then records the delivery as failed (and never retries). */
export const GITHUB_DELIVERY_DEADLINE_MS = 10_000;

/** A delivery's outcome as GitHub sees it: a status, or `timeout` past GitHub's deadline. */
export interface DeliveryOutcome {
  deliveryId: string;
  branch: string;
  sha: string;
  status: number | 'timeout';
}

/** Sends one signed push and reports what GitHub would see within its deadline. */
export async function pushAsGitHub(
  stack: LocalStack,
  spec: PushSpec & { after: string },
): Promise<DeliveryOutcome> {
  const delivery = await signDelivery('push', buildPushPayload(spec), stack.webhookSecret);
  const deliveryId = delivery.headers['X-GitHub-Delivery'] ?? delivery.headers['x-github-delivery'] ?? '';
  const outcome = { deliveryId, branch: spec.ref, sha: spec.after };
  try {
    const response = await fetch(`${stack.url}/githubWebhook`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(GITHUB_DELIVERY_DEADLINE_MS),
    });
    await response.arrayBuffer();
    return { ...outcome, status: response.status };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { ...outcome, status: 'timeout' };
    throw err;
  }
}

/** One tick over HTTP, as Cloud Scheduler calls it; its status and report. */
export async function tickReport(
  stack: LocalStack,
): Promise<{ status: number; body: Record<string, { ok: boolean } & Record<string, unknown>> }> {
  const tick = await stack.tick();
  return {
    status: tick.status,
    body: tick.body as Record<string, { ok: boolean } & Record<string, unknown>>,
  };
}

/** Waits until every task in the stack's own Tasks emulator ran. */
export async function drainTasks(stack: LocalStack, timeoutMs = 30_000): Promise<void> {
  if (!stack.tasksEmulator) throw new Error('the stack did not start its own Tasks emulator');
  await stack.tasksEmulator.drain(timeoutMs);
}

/** The structured log lines (parsed JSON) whose message matches. */
export function logEntries(lines: string[], message: string | RegExp): Array<Record<string, unknown>> {
  return lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) =>
      typeof message === 'string' ? entry.message === message : message.test(String(entry.message)),
    );
}

/**
 * Nothing duplicated: at most one deploy Job per instance and per (version, commit), and every deploy
 * Job known to exactly one deployment in the status API (none orphaned, none recorded twice).
 */
export async function assertOneJobPerDeployment(stack: LocalStack): Promise<DeploymentJson[]> {
  const jobs = jobsOf(stack, 'deploy');
  const deployments = await statusDeployments(stack);
  const keys = jobs.map(
    (job) => `${job.metadata.labels?.[JOB_LABELS.version]}@${job.metadata.labels?.[JOB_LABELS.commit]}`,
  );
  assert.equal(new Set(keys).size, keys.length, `two deploy Jobs of one commit: ${keys.join(', ')}`);
  for (const job of jobs) {
    const owners = deployments.filter((deployment) => deployment.jobName === job.metadata.name);
    assert.equal(
      owners.length,
      1,
      `deploy Job ${job.metadata.name} is recorded by ${owners.length} deployments`,
    );
  }
  const recorded = deployments.filter((deployment) => deployment.jobName !== null);
  assert.equal(recorded.length, jobs.length, 'a deployment names a Job that does not exist');
  return deployments;
}

/** `api/health` (the fields the tests read). */
export interface HealthJson {
  state: 'unknown' | 'stale' | 'failing' | 'warning' | 'ok';
  summary: string;
  lastTick: {
    ranAt: string;
    ok: boolean;
    problems: Array<{ step: string; severity: 'error' | 'warning'; message: string }>;
  } | null;
}

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&amp;': '&',
};

/**
 * The pipeline's health as an operator sees it: `api/health`, and the status page's Pipeline line as
 * text (tags dropped, entities decoded) with its `data-state`.
 */
export async function pipelineHealth(
  stack: LocalStack,
): Promise<{ json: HealthJson; bannerState: string | null; bannerText: string }> {
  const answer = await getStatus<HealthJson>(stack, '/api/health');
  assert.equal(answer.status, 200, `api/health answered ${answer.status}`);
  const page = await (await fetch(`${stack.url}/deploymentStatus/`)).text();
  const start = page.indexOf('<div class="pipeline');
  assert.ok(start >= 0, 'the status page has no Pipeline line');
  const banner = page.slice(start, page.indexOf('</div>', start));
  const bannerText = banner
    .replace(/<[^>]+>/g, '')
    .replace(/&(lt|gt|quot|#39|amp);/g, (entity) => ENTITIES[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
  return { json: answer.body, bannerState: /data-state="([a-z]+)"/.exec(banner)?.[1] ?? null, bannerText };
}

/** The problems of the last tick that concern `step`. */
export function problemsOf(health: HealthJson, step: string): Array<{ severity: string; message: string }> {
  return (health.lastTick?.problems ?? []).filter((problem) => problem.step === step);
}

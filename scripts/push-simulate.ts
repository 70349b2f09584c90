/**
 * `npm run push:simulate -- <version> [sha]`: sends a correctly signed GitHub push for the branch a
 * configured version follows to the local stack (PORT, default 8080), as GitHub would: from the head
 * the stack recorded (its status API, `/deploymentStatus/api/versions`), so the push advances the
 * branch as the next real push would; from a made-up parent when none is recorded (or the status API
 * does not answer). Uses GITHUB_WEBHOOK_SECRET, or the local stack's default secret.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_CONFIG_PATH, loadDeploymentsConfig } from '../functions/config.js';
import { LOCAL_WEBHOOK_SECRET } from './lib/local-stack.js';
import { fetchLocalStack } from './lib/net.js';
import { buildPushPayload, fakeSha, signDelivery } from './lib/push-payload.js';

/** How long the status API may take to say the recorded head before the push starts without it. */
const STATUS_TIMEOUT_MS = 5_000;

/** The head the local stack recorded for `version`, or null (none, deleted, or no answer in time). */
async function recordedHead(port: string, version: string): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/deploymentStatus/api/versions`, {
      signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
    });
    if (!response.ok) return null;
    const versions = (await response.json()) as Array<{
      name?: unknown;
      head?: { sha?: unknown; deleted?: unknown };
    }>;
    const head = Array.isArray(versions) ? versions.find((entry) => entry.name === version)?.head : undefined;
    return typeof head?.sha === 'string' && head.deleted !== true ? head.sha : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const [versionName, shaArg] = process.argv.slice(2);
  const config = loadDeploymentsConfig(process.env.AUTO_DEPLOY_CONFIG?.trim() || DEFAULT_CONFIG_PATH);
  const version = config.versions.find((candidate) => candidate.name === versionName);
  if (!version) {
    const names = config.versions.map((candidate) => candidate.name).join(', ');
    throw new Error(`usage: npm run push:simulate -- <version> [sha]\n  <version> is one of: ${names}`);
  }
  if (shaArg !== undefined && !/^[0-9a-f]{40}$/.test(shaArg)) {
    throw new Error(`sha must be 40 lower-case hex characters, got "${shaArg}"`);
  }
  const sha = shaArg ?? fakeSha(randomUUID());
  const port = process.env.PORT || '8080';
  const head = await recordedHead(port, version.name);
  const payload = buildPushPayload({
    repo: version.repo,
    ref: version.branch,
    before: head ?? fakeSha(`${sha}-parent`),
    after: sha,
    created: false,
    message: `Simulated push to ${version.branch}`,
  });
  const secret = process.env.GITHUB_WEBHOOK_SECRET?.trim() || LOCAL_WEBHOOK_SECRET;
  const delivery = await signDelivery('push', payload, secret);
  const url = `http://127.0.0.1:${port}/githubWebhook`;
  const response = await fetchLocalStack(url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  process.stdout.write(`POST ${url} -> ${response.status} ${text}\n`);
  const from = head ? `, after ${head.slice(0, 7)}` : '';
  process.stdout.write(
    `pushed ${sha} to ${version.repo}@${version.branch} (version ${version.name}${from})\n`,
  );
  if (!response.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * `npm run push:simulate -- <version> [sha]`: sends a correctly signed GitHub push for the branch a
 * configured version follows to the local stack (PORT, default 8080), as GitHub would.
 * Uses GITHUB_WEBHOOK_SECRET, or the local stack's default secret.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_CONFIG_PATH, loadDeploymentsConfig } from '../functions/config.js';
import { LOCAL_WEBHOOK_SECRET } from './lib/local-stack.js';
import { fetchLocalStack } from './lib/net.js';
import { buildPushPayload, fakeSha, signDelivery } from './lib/push-payload.js';

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
  const payload = buildPushPayload({
    repo: version.repo,
    ref: version.branch,
    before: fakeSha(`${sha}-parent`),
    after: sha,
    created: false,
    message: `Simulated push to ${version.branch}`,
  });
  const secret = process.env.GITHUB_WEBHOOK_SECRET?.trim() || LOCAL_WEBHOOK_SECRET;
  const delivery = await signDelivery('push', payload, secret);
  const url = `http://127.0.0.1:${process.env.PORT || 8080}/githubWebhook`;
  const response = await fetchLocalStack(url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  process.stdout.write(`POST ${url} -> ${response.status} ${text}\n`);
  process.stdout.write(`pushed ${sha} to ${version.repo}@${version.branch} (version ${version.name})\n`);
  if (!response.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

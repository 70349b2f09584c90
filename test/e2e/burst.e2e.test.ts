/**
 * Issue 10: a burst of pushes interleaved with the worker, on the whole local stack, with no tick.
 * Every version launches within seconds of the burst; at most one launch per version in its window;
 * the newest head of each version is launched, or queued for when its window opens; every commit and
 * delivery is recorded once. Asserted on the final state (polled), never on timings.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { branchDocId } from '../../functions/core/names.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { buildPushPayload, fakeSha, signDelivery } from '../../scripts/lib/push-payload.js';
import { resetFirestore } from '../support/firestore.js';
import {
  E2E_REPO,
  type E2eVersion,
  jobsOf,
  readCollection,
  sendDelivery,
  startE2eStack,
  Teardown,
  waitFor,
} from './helpers.js';

const VERSIONS: E2eVersion[] = ['alpha', 'beta', 'gamma', 'delta'].map((name) => ({
  name,
  branch: `branch-${name}`,
  kfDefPath: 'kfdef/kfctl_gcp_iap.yaml',
}));
const PUSHES_PER_VERSION = 8;

describe('a burst of pushes, no tick (whole local stack)', function () {
  this.timeout(120_000);
  const teardown = new Teardown();
  beforeEach(() => resetFirestore());
  afterEach(() => teardown.run());

  /** Sends chained pushes to every version, interleaved, 20 at a time, a redelivery among them. */
  async function burst(stack: LocalStack): Promise<{ newest: Map<string, string>; deliveries: number }> {
    const heads = new Map(VERSIONS.map((version) => [version.name, fakeSha(`burst-base-${version.name}`)]));
    const sends: Array<{ body: string; headers: Record<string, string> }> = [];
    const base = Date.now();
    for (let round = 0; round < PUSHES_PER_VERSION; round++) {
      for (const version of VERSIONS) {
        const after = fakeSha(`burst-${version.name}-${round}-${randomUUID()}`);
        const payload = buildPushPayload({
          repo: E2E_REPO,
          ref: version.branch,
          before: heads.get(version.name) as string,
          after,
          // GitHub's pushed_at has whole seconds: one apart, so a late delivery is known to be late.
          pushedAt: new Date(base + sends.length * 1000),
        });
        sends.push(await signDelivery('push', payload, stack.webhookSecret, randomUUID()));
        heads.set(version.name, after);
      }
    }
    // A redelivery of the first push (same id, same bytes), sent along with the others.
    const all = [...sends, sends[0] as (typeof sends)[number]];
    for (let start = 0; start < all.length; start += 20) {
      const answers = await Promise.all(
        all.slice(start, start + 20).map((send) => sendDelivery(stack, send)),
      );
      for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    return { newest: heads, deliveries: sends.length };
  }

  it('launches every version within seconds, once per window; the newest heads are launched or queued for the window', async () => {
    // A window far longer than the test: a second launch of a version would break the rule.
    const stack = await startE2eStack(teardown, {
      versions: VERSIONS,
      policy: { minMinutesBetweenDeployments: 60, maxActiveDeployments: 100 },
    });
    const { newest, deliveries } = await burst(stack);

    const versionsWithJob = () =>
      new Set(jobsOf(stack, 'deploy').map((job) => job.metadata.labels?.['auto-version-name']));
    await waitFor('a deploy Job for every version', () => versionsWithJob().size === VERSIONS.length, {
      timeoutMs: 60_000,
    });
    // Every newest head is launched, or has the request queued for when the window opens.
    await waitFor(
      'every newest head launched or queued',
      async () => {
        const requests = [...(await readCollection(stack, 'deployRequests')).values()];
        const missing = VERSIONS.filter((version) => {
          const head = newest.get(version.name);
          const launched = jobsOf(stack, 'deploy').some(
            (job) =>
              job.metadata.labels?.['auto-version-name'] === version.name &&
              job.metadata.labels?.['git-manifests'] === head,
          );
          const queued = requests.some(
            (request) =>
              request.version === version.name && request.commit === head && request.status === 'enqueued',
          );
          return !launched && !queued;
        });
        return missing.length === 0 ? true : null;
      },
      { timeoutMs: 60_000 },
    );

    const perVersion = new Map<string, number>();
    for (const job of jobsOf(stack, 'deploy')) {
      const version = job.metadata.labels?.['auto-version-name'] as string;
      perVersion.set(version, (perVersion.get(version) ?? 0) + 1);
    }
    for (const version of VERSIONS)
      assert.equal(perVersion.get(version.name), 1, `launches of ${version.name}`);
    const deployments = [...(await readCollection(stack, 'deployments')).values()];
    assert.equal(
      deployments.length,
      VERSIONS.length,
      JSON.stringify(deployments.map((d) => [d.version, d.commit, d.status, d.error])),
    );

    // Every delivery and every commit recorded once.
    const claims = await readCollection(stack, 'deliveries');
    assert.equal(claims.size, deliveries);
    assert.ok([...claims.values()].every((claim) => claim.status === 'recorded'));
    for (const version of VERSIONS) {
      const branch = await stack.app.firestore.doc(`branches/${branchDocId(E2E_REPO, version.branch)}`).get();
      assert.equal(branch.data()?.sha, newest.get(version.name), `head of ${version.name}`);
      const commits = await branch.ref.collection('commits').listDocuments();
      assert.equal(commits.length, PUSHES_PER_VERSION, `commits of ${version.name}`);
    }
  });
});

/**
 * Fault: Firestore unavailable for 10 s in the middle of a burst of webhook deliveries. The emulator's
 * JVM is frozen with SIGSTOP (it keeps its sockets and answers nothing, like a hung backend) and thawed
 * with SIGCONT. GitHub gives each delivery 10 s and never retries a failed one, so: every delivery is
 * answered within 10 s; every 2xx is recorded; the others are 5xx; the tick's poll fallback then records
 * the heads whose deliveries were lost; one deploy Job per version, never two. The status page's
 * Pipeline line and `api/health` show the heads only the poll recorded (a warning naming each branch).
 */
import assert from 'node:assert/strict';
import { JOB_LABELS } from '../../functions/core/job-manifest.js';
import { branchDocId } from '../../functions/core/names.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  capturingLogger,
  E2E_REPO,
  E2E_VERSIONS,
  jobsOf,
  readDoc,
  startE2eStack,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { type PausableFirestore, startPausableFirestore } from '../support/fault-firestore.js';
import {
  assertOneJobPerDeployment,
  type DeliveryOutcome,
  logEntries,
  pipelineHealth,
  problemsOf,
  pushAsGitHub,
  tickReport,
} from '../support/fault-stack.js';

const OUTAGE_MS = 10_000;
/** One delivery every this often, 30 in all: the outage falls in the middle of the burst. */
const DELIVERY_SPACING_MS = 500;
const DELIVERIES = 30;
const OUTAGE_STARTS_AFTER = 5;

/**
 * Sends the burst: one delivery every DELIVERY_SPACING_MS, Firestore frozen from the sixth for
 * OUTAGE_MS. Resolves with every outcome (once Firestore is back) and GitHub's head of each branch.
 */
async function sendBurstAcrossOutage(
  stack: LocalStack,
  github: FakeGitHub,
  firestore: PausableFirestore,
): Promise<{ outcomes: DeliveryOutcome[]; lastSha: Map<string, string> }> {
  const [master, v1] = E2E_VERSIONS.map((version) => version.branch) as [string, string];
  const sent: Array<Promise<DeliveryOutcome>> = [];
  const lastSha = new Map<string, string>();
  let resumed: Promise<void> = Promise.resolve();
  for (let i = 0; i < DELIVERIES; i++) {
    if (i === OUTAGE_STARTS_AFTER) {
      firestore.pause();
      resumed = new Promise((resolve) =>
        setTimeout(() => {
          firestore.resume();
          resolve();
        }, OUTAGE_MS),
      );
    }
    // v1 is pushed to only while Firestore is down, so its newest head can only come from the poll.
    const isOutage = i >= OUTAGE_STARTS_AFTER && i < OUTAGE_STARTS_AFTER + OUTAGE_MS / DELIVERY_SPACING_MS;
    const branch = isOutage && i % 2 === 1 ? v1 : master;
    const sha = fakeSha(`fault-firestore-${i}`);
    const before = lastSha.get(branch);
    lastSha.set(branch, sha);
    // The branch really moved on GitHub, whatever happens to the delivery.
    github.setHead(E2E_REPO, branch, { sha, message: `Commit ${i}` });
    sent.push(
      pushAsGitHub(stack, { repo: E2E_REPO, ref: branch, after: sha, ...(before ? { before } : {}) }),
    );
    await new Promise((resolve) => setTimeout(resolve, DELIVERY_SPACING_MS));
  }
  const outcomes = await Promise.all(sent);
  await resumed;
  return { outcomes, lastSha };
}

describe('fault: Firestore unavailable for 10 s during a burst of deliveries (SIGSTOP on the emulator JVM)', function () {
  this.timeout(120_000);

  let teardown: Teardown;
  let firestore: PausableFirestore;
  let github: FakeGitHub;
  let stack: LocalStack;
  let lines: string[];

  before(async () => {
    teardown = new Teardown();
    firestore = await startPausableFirestore();
    teardown.add(() => firestore.stop());
    github = await startFakeGitHub();
    teardown.add(() => github.stop());
    const captured = capturingLogger();
    lines = captured.lines;
    stack = await startE2eStack(teardown, {
      // One launch per version in this test: a second Job would be a duplicate, not a new window.
      policy: { minMinutesBetweenDeployments: 600 },
      env: {
        FIRESTORE_EMULATOR_HOST: firestore.hostPort,
        GITHUB_POLL: 'true',
        GITHUB_API_URL: github.url,
      },
      logger: captured.logger,
    });
  });

  after(async () => {
    await teardown.run();
  });

  it('answers every delivery within 10 s, records every 2xx, and the poll recovers the heads of the 5xx ones', async () => {
    const { outcomes, lastSha } = await sendBurstAcrossOutage(stack, github, firestore);

    const late = outcomes.filter((outcome) => outcome.status === 'timeout');
    assert.deepEqual(late, [], 'a delivery was not answered within GitHub 10 s');
    const accepted = outcomes.filter((outcome) => outcome.status === 200);
    const refused = outcomes.filter((outcome) => outcome.status !== 200);
    assert.ok(
      refused.every((outcome) => outcome.status === 503),
      `non-503 failures: ${JSON.stringify(refused)}`,
    );
    assert.ok(refused.length > 0, 'no delivery felt the outage: the fault was not injected');
    assert.ok(accepted.length > 0, 'no delivery was accepted');

    // Every 2xx is recorded: its commit under its branch, its delivery claimed.
    for (const outcome of accepted) {
      const commit = await readDoc(
        stack,
        `branches/${branchDocId(E2E_REPO, outcome.branch)}/commits/${outcome.sha}`,
      );
      assert.ok(
        commit,
        `delivery ${outcome.deliveryId} answered 200 but commit ${outcome.sha} is not recorded`,
      );
      const claim = await readDoc(stack, `deliveries/${outcome.deliveryId}`);
      assert.ok(claim, `delivery ${outcome.deliveryId} answered 200 but is not claimed`);
    }

    // The failure is in the logs: one error line per refused delivery, with its delivery id.
    const failures = logEntries(lines, 'recording the push failed');
    for (const outcome of refused) {
      assert.ok(
        failures.some((entry) => entry.deliveryId === outcome.deliveryId && entry.severity === 'ERROR'),
        `no ERROR log line for refused delivery ${outcome.deliveryId}`,
      );
    }

    // The tick's poll fallback records the heads GitHub has; nothing is left behind.
    const tick = await tickReport(stack);
    assert.equal(tick.status, 200, `tick after the outage: ${JSON.stringify(tick.body)}`);
    for (const [branch, sha] of lastSha) {
      const head = await readDoc(stack, `branches/${branchDocId(E2E_REPO, branch)}`);
      assert.equal(head?.sha, sha, `the recorded head of ${branch} is not GitHub's`);
    }
    for (const version of E2E_VERSIONS) {
      const shown = await statusVersion(stack, version.name);
      assert.equal(shown.head?.sha, lastSha.get(version.branch), `the status page's head of ${version.name}`);
    }
    await assertRecoveriesShown(stack, (tick.body.poll?.recorded ?? []) as string[]);

    // Nothing duplicated: one deploy Job per version (the rate limit allows one), each recorded once.
    await waitFor('a deploy Job for each version, recorded', async () => {
      const versions = new Set(
        jobsOf(stack, 'deploy').map((job) => job.metadata.labels?.[JOB_LABELS.version]),
      );
      const recorded = (await statusDeployments(stack)).filter((d) => d.status === 'deploying');
      return versions.size === E2E_VERSIONS.length && recorded.length === E2E_VERSIONS.length;
    });
    const deployments = await assertOneJobPerDeployment(stack);
    for (const version of E2E_VERSIONS) {
      assert.equal(
        deployments.filter((d) => d.version === version.name).length,
        1,
        `deployments of ${version.name}`,
      );
    }

    // Locally a refused delivery is usually recorded once Firestore is back (the webhook keeps
    // recording after its 503), so the poll above may have had nothing to recover. A delivery lost for
    // good (never sent, or its instance stopped) always leaves a head only the poll sees: it shows.
    const v1 = E2E_VERSIONS[1]?.branch ?? '';
    github.setHead(E2E_REPO, v1, { sha: fakeSha('fault-firestore-lost'), message: 'Delivery lost' });
    const next = await tickReport(stack);
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.deepEqual(next.body.poll?.recorded, [branchDocId(E2E_REPO, v1)]);
    await assertRecoveriesShown(stack, [branchDocId(E2E_REPO, v1)]);
  });
});

/** The page and api/health show the heads the last tick's poll recorded (a warning), or no poll problem. */
async function assertRecoveriesShown(stack: LocalStack, recorded: string[]): Promise<void> {
  const health = await pipelineHealth(stack);
  const problems = problemsOf(health.json, 'poll');
  if (recorded.length === 0) {
    assert.deepEqual(problems, [], JSON.stringify(health.json));
    return;
  }
  assert.equal(problems.length, 1, JSON.stringify(health.json));
  assert.equal(problems[0]?.severity, 'warning');
  const count = `${recorded.length} ${recorded.length === 1 ? 'branch' : 'branches'}`;
  assert.match(
    problems[0]?.message ?? '',
    new RegExp(`^recorded heads of ${count} that no webhook delivery had recorded`),
  );
  for (const key of recorded) {
    const branch = E2E_VERSIONS.find((version) => branchDocId(E2E_REPO, version.branch) === key)?.branch;
    assert.ok(problems[0]?.message.includes(`${E2E_REPO}@${branch}`), problems[0]?.message);
  }
  assert.ok(health.bannerText.includes(`poll: ${problems[0]?.message}`), health.bannerText);
  assert.notEqual(health.bannerState, 'ok');
}

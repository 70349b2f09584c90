/**
 * Fault: GitHub's API down (5xx) or refusing with 403 rate-limited while the tick polls. The tick
 * reports the failure (500, the poll step's error naming each branch, one WARNING line per branch),
 * keeps the recorded heads (never reads an error as "branch deleted", never tears anything down), and
 * the first poll after GitHub is back records the head that moved meanwhile. The status page's Pipeline
 * line and `api/health` show each failed branch while GitHub is down, then the head only the poll saw
 * (a warning), then ok.
 */
import assert from 'node:assert/strict';
import { branchDocId } from '../../functions/core/names.js';
import type { LocalStack } from '../../scripts/lib/local-stack.js';
import { fakeSha } from '../../scripts/lib/push-payload.js';
import {
  capturingLogger,
  E2E_REPO,
  E2E_VERSIONS,
  jobsOf,
  readDoc,
  sendPush,
  startE2eStack,
  statusDeployments,
  statusVersion,
  Teardown,
  waitFor,
} from '../e2e/helpers.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github.js';
import { logEntries, pipelineHealth, problemsOf, tickReport } from '../support/fault-stack.js';
import { resetFirestore } from '../support/firestore.js';

const RATE_LIMITED = {
  headers: {
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
  },
  body: JSON.stringify({ message: 'API rate limit exceeded for installation ID 1.' }),
};

const FAULTS: Array<{ name: string; status: number; options?: typeof RATE_LIMITED }> = [
  { name: 'GitHub down (502 Bad Gateway)', status: 502 },
  { name: 'GitHub 403 rate-limited', status: 403, options: RATE_LIMITED },
];

describe('fault: GitHub API down or rate-limited during the poll', function () {
  this.timeout(60_000);

  let teardown: Teardown;
  let github: FakeGitHub;
  let stack: LocalStack;
  let lines: string[];

  beforeEach(async () => {
    await resetFirestore();
    teardown = new Teardown();
    github = await startFakeGitHub();
    teardown.add(() => github.stop());
    const captured = capturingLogger();
    lines = captured.lines;
    stack = await startE2eStack(teardown, {
      env: { GITHUB_POLL: 'true', GITHUB_API_URL: github.url },
      logger: captured.logger,
    });
  });

  afterEach(async () => {
    await teardown.run();
  });

  for (const fault of FAULTS) {
    it(`${fault.name}: the tick reports it, keeps the recorded heads, deletes nothing, and catches up after`, async () => {
      // Both branches recorded and master deploying, as GitHub said.
      const heads = new Map(
        E2E_VERSIONS.map((version) => [version.branch, fakeSha(`${fault.name}-${version.branch}`)]),
      );
      for (const [branch, sha] of heads) {
        github.setHead(E2E_REPO, branch, { sha });
        assert.equal((await sendPush(stack, { repo: E2E_REPO, ref: branch, after: sha })).status, 200);
      }
      await waitFor('both versions deploying', async () =>
        (await statusDeployments(stack)).filter((d) => d.status === 'deploying').length === heads.size
          ? true
          : null,
      );
      const before = await statusDeployments(stack);

      // GitHub fails every poll of this tick; master moved meanwhile.
      const moved = fakeSha(`${fault.name}-moved`);
      github.setHead(E2E_REPO, 'master', { sha: moved });
      github.failNext(heads.size, fault.status, fault.options);
      const failed = await tickReport(stack);

      assert.equal(failed.status, 500, 'the tick reports the failed poll');
      const poll = failed.body.poll as { ok: boolean; failed: string[]; error: string };
      assert.equal(poll.ok, false);
      assert.deepEqual(
        [...poll.failed].sort(),
        [...heads.keys()].map((branch) => branchDocId(E2E_REPO, branch)).sort(),
      );
      assert.match(poll.error, new RegExp(String(fault.status)));
      const warnings = logEntries(lines, 'poll failed for a branch; using what is recorded');
      assert.equal(warnings.length, heads.size);
      assert.ok(warnings.every((entry) => entry.severity === 'WARNING'));

      // The recorded heads are kept: not deleted, not moved; nothing torn down.
      for (const [branch, sha] of heads) {
        const head = await readDoc(stack, `branches/${branchDocId(E2E_REPO, branch)}`);
        assert.equal(head?.sha, sha);
        assert.notEqual(head?.deleted, true, `${branch} read as deleted`);
      }
      for (const version of E2E_VERSIONS) {
        const shown = await statusVersion(stack, version.name);
        assert.equal(shown.head?.sha, heads.get(version.branch));
        assert.equal(shown.head?.deleted, false);
      }
      assert.equal(jobsOf(stack, 'teardown').length, 0);
      assert.deepEqual(
        (await statusDeployments(stack)).map((d) => [d.instance, d.status]),
        before.map((d) => [d.instance, d.status]),
      );

      // Visible on the status page and api/health: one problem per branch, naming it and GitHub's answer.
      const down = await pipelineHealth(stack);
      assert.equal(down.json.state, 'failing');
      assert.equal(down.bannerState, 'failing');
      assert.equal(down.json.lastTick?.ok, false);
      const pollProblems = problemsOf(down.json, 'poll');
      assert.equal(pollProblems.length, heads.size, JSON.stringify(down.json));
      for (const version of E2E_VERSIONS) {
        const named = `GitHub could not tell about ${E2E_REPO}@${version.branch} (`;
        const problem = pollProblems.find((candidate) => candidate.message.startsWith(named));
        assert.ok(problem, `no problem names ${version.branch}: ${JSON.stringify(pollProblems)}`);
        assert.match(problem.message, new RegExp(`${fault.status}.*\\); the recorded heads are kept$`));
        assert.ok(down.bannerText.includes(`poll: ${problem.message}`), down.bannerText);
      }
      assert.match(down.bannerText, /^Pipeline 2 problems Last tick /);

      // GitHub answers again: the next tick records the head that moved.
      const recovered = await tickReport(stack);
      assert.equal(recovered.status, 200, JSON.stringify(recovered.body.poll));
      assert.equal((await statusVersion(stack, 'master')).head?.sha, moved);

      // The failure clears; what shows is the head only the poll saw (no delivery brought it), a warning.
      const back = await pipelineHealth(stack);
      assert.equal(back.json.state, 'warning', JSON.stringify(back.json));
      assert.deepEqual(
        problemsOf(back.json, 'poll').map((problem) => problem.severity),
        ['warning'],
      );
      assert.match(
        back.bannerText,
        new RegExp(
          `poll: recorded heads of 1 branch that no webhook delivery had recorded \\(${E2E_REPO}@master\\)`,
        ),
      );
      assert.doesNotMatch(back.bannerText, /GitHub could not tell/);

      // And the tick after that is simply ok.
      assert.equal((await tickReport(stack)).status, 200);
      const quiet = await pipelineHealth(stack);
      assert.equal(quiet.json.state, 'ok', JSON.stringify(quiet.json));
      assert.match(
        quiet.bannerText,
        /^Pipeline ok Last tick (?:[A-Z][a-z]{2} \d{1,2} )?\d\d:\d\d UTC \(just now\)\.$/,
      );
    });
  }
});

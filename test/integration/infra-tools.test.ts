/**
 * infra/ through the Terraform tools that run offline: `terraform fmt -check` and tf-check, which
 * checks every resource type, argument and nested block against the google provider's schema.
 *
 * Neither can be installed by `npm ci`: terraform is a binary on PATH, and tf-check lives beside the
 * repository (../shared/tools/tf-check, or TF_CHECK=<path of check.mjs>), which a clean clone in CI
 * may not have. When a tool is absent its test says why and is marked pending: a missing tool, not
 * a flaky test. test/unit/infra-*.test.ts check the Terraform against the app without either.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadTerraform } from '../support/terraform.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const INFRA = join(ROOT, 'infra');
const TF_CHECK = process.env.TF_CHECK?.trim() || join(ROOT, '..', 'shared', 'tools', 'tf-check', 'check.mjs');

function hasTerraform(): boolean {
  return !spawnSync('terraform', ['version'], { encoding: 'utf8' }).error;
}

/** Runs tf-check on `dir` (formatting is the other test's). */
function runTfCheck(dir: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [TF_CHECK, '--no-fmt', dir], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('infra: Terraform tools (offline)', () => {
  it('is formatted as `terraform fmt` writes it', function () {
    if (!hasTerraform()) {
      console.log('      (terraform is not on PATH: `terraform fmt -check` not run)');
      this.skip();
    }
    const result = spawnSync('terraform', ['fmt', '-check', '-recursive', '-list=true', INFRA], {
      encoding: 'utf8',
    });
    assert.equal(
      result.status,
      0,
      `unformatted (run terraform fmt -recursive infra):\n${result.stdout}${result.stderr}`,
    );
  });

  it("uses only types, arguments and blocks of the google provider's schema (tf-check)", async function () {
    if (!existsSync(TF_CHECK)) {
      console.log(`      (tf-check not found at ${TF_CHECK}; set TF_CHECK to its check.mjs)`);
      this.skip();
    }
    const { status, output } = runTfCheck(INFRA);
    const summary = /tf-check: (\d+) resources, (\d+) problems/.exec(output);
    assert.ok(summary, `no summary line:\n${output}`);
    assert.equal(summary[2], '0', output);
    assert.equal(status, 0, output);
    // It read the whole module: every resource and data source the parse tests see.
    const terraform = await loadTerraform(INFRA);
    assert.equal(Number(summary[1]), terraform.resources.size + terraform.dataSources.size);
  });

  it('would catch a misspelled nested block (tf-check)', function () {
    if (!existsSync(TF_CHECK)) {
      console.log(`      (tf-check not found at ${TF_CHECK}; set TF_CHECK to its check.mjs)`);
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'infra-tf-check-'));
    try {
      cpSync(INFRA, dir, { recursive: true, filter: (path) => !path.includes('.terraform') });
      const scheduler = join(dir, 'scheduler.tf');
      writeFileSync(scheduler, readFileSync(scheduler, 'utf8').replace('oidc_token {', 'oidc_tokens {'));
      const { status, output } = runTfCheck(dir);
      assert.equal(status, 1, output);
      assert.match(output, /google_cloud_scheduler_job\.tick\.http_target: unknown block 'oidc_tokens'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `npm run deploy`: build, unit tests, package, `terraform plan`, apply on confirmation, smoke
 * check. `--plan-only` to review, `--yes` for CI, `--rollback OBJECT` to run an earlier source again.
 * See infra/README.md; the steps are in scripts/deploy/plan.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createNodeRunner } from './deploy/node-runner.js';
import { DEPLOY_USAGE, DeployUsageError, parseDeployArgs } from './deploy/options.js';
import { planDeploy } from './deploy/plan.js';
import { DeployError, runDeploy } from './deploy/run.js';
import { readStateBucket } from './deploy/tfvars.js';

const root = resolve(import.meta.dirname, '..');

try {
  const options = parseDeployArgs(process.argv.slice(2), process.env, root);
  if (options === null) {
    console.log(DEPLOY_USAGE);
  } else {
    if (options.stateBucket === null && existsSync(options.varFile)) {
      options.stateBucket = await readStateBucket(readFileSync(options.varFile, 'utf8'), options.varFile);
    }
    const steps = planDeploy(options, { root }, { isInteractive: Boolean(process.stdin.isTTY) });
    const outcome = await runDeploy(steps, createNodeRunner(root), root);
    if (outcome.kind === 'planned') console.log('\nPlan only: nothing was changed.');
    if (outcome.kind === 'declined') process.exitCode = 1;
  }
} catch (err) {
  if (!(err instanceof DeployUsageError || err instanceof DeployError)) throw err;
  console.error(`\ndeploy: ${err.message}`);
  process.exitCode = err instanceof DeployUsageError ? 2 : 1;
}

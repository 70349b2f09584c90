/**
 * `npm run deploy`: the options, the plan of steps (pure), and running it with a recording runner
 * instead of processes, a terminal and the network.
 */
import assert from 'node:assert/strict';
import { DeployUsageError, parseDeployArgs } from '../../scripts/deploy/options.js';
import { type Command, type DeployStep, planDeploy } from '../../scripts/deploy/plan.js';
import { DeployError, type DeployRunner, runDeploy } from '../../scripts/deploy/run.js';
import { readStatusOutputs } from '../../scripts/deploy/smoke.js';
import { readStateBucket } from '../../scripts/deploy/tfvars.js';

const ROOT = '/repo';
const SHA = 'ab'.repeat(32);
const BASE = ['--state-bucket', 'tf-state'];
const INTERACTIVE = { isInteractive: true };

function options(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseDeployArgs(argv, env, ROOT);
  assert.ok(parsed, 'not --help');
  return parsed;
}

/** Each step as one line: what a reviewer would check. */
function stepLines(steps: DeployStep[]): string[] {
  const line = (command: Command) => [command.command, ...command.args].join(' ');
  return steps.map((step) => {
    switch (step.kind) {
      case 'require-tool':
        return `require ${step.tool}`;
      case 'require-file':
        return `require ${step.path}`;
      case 'run':
        return line(step.command);
      case 'package':
        return `package ${step.archivePath}`;
      case 'note-current-source':
        return `note ${line(step.command)}`;
      case 'confirm':
        return 'confirm';
      case 'smoke':
        return `smoke ${step.path}`;
    }
    return '';
  });
}

const TF = 'terraform -chdir=/repo/infra';
const INIT = `${TF} init -input=false -reconfigure -backend-config=bucket=tf-state -backend-config=prefix=kubeflow-auto-deploy`;
const PLAN = `${TF} plan -input=false -var-file=/repo/infra/terraform.tfvars -var=source_archive=/repo/.deploy/function-source.zip -out=/repo/.deploy/tfplan`;
const CHECKS = ['require terraform', 'require gcloud', 'require /repo/infra/terraform.tfvars'];
const BUILD = ['npm run build', 'npm run test:unit', 'package /repo/.deploy/function-source.zip'];
const APPLY = [`${TF} apply -input=false /repo/.deploy/tfplan`, 'smoke /api/versions'];

describe('deploy: options', () => {
  it('takes the state bucket from --state-bucket, else AUTO_DEPLOY_STATE_BUCKET, else the tfvars file', async () => {
    assert.equal(options([], { AUTO_DEPLOY_STATE_BUCKET: 'from-env' }).stateBucket, 'from-env');
    assert.equal(
      options(['--state-bucket', 'bucket-1'], { AUTO_DEPLOY_STATE_BUCKET: 'from-env' }).stateBucket,
      'bucket-1',
    );
    assert.equal(options([]).stateBucket, null);
    assert.throws(() => options(['--state-bucket', 'Not A Bucket']), /not a bucket name/);
    const tfvars = 'project_id = "p-123456"\nstate_bucket = "p-tfstate"\n';
    assert.equal(await readStateBucket(tfvars, 'terraform.tfvars'), 'p-tfstate');
    assert.equal(await readStateBucket('project_id = "p-123456"\n', 'terraform.tfvars'), null);
    await assert.rejects(
      readStateBucket('state_bucket = "UPPER"\n', 'x.tfvars'),
      /x\.tfvars: state_bucket: not a bucket name/,
    );
  });

  it('cannot plan without knowing where the state is', () => {
    assert.throws(
      () => planDeploy(options([]), { root: ROOT }, INTERACTIVE),
      /set state_bucket in infra\/terraform\.tfvars/,
    );
  });

  it('defaults the var file to infra/terraform.tfvars and resolves a relative one against the root', () => {
    assert.equal(options(BASE).varFile, '/repo/infra/terraform.tfvars');
    assert.equal(options([...BASE, '--var-file', 'prod.tfvars']).varFile, '/repo/prod.tfvars');
    assert.equal(options([...BASE, '--var-file', '/etc/x.tfvars']).varFile, '/etc/x.tfvars');
  });

  it('accepts a rollback target as an object name or its gs:// URL, and nothing else', () => {
    assert.equal(options([...BASE, '--rollback', `source/${SHA}.zip`]).rollbackObject, `source/${SHA}.zip`);
    assert.equal(
      options([...BASE, '--rollback', `gs://p-auto-deploy-source/source/${SHA}.zip`]).rollbackObject,
      `source/${SHA}.zip`,
    );
    assert.throws(() => options([...BASE, '--rollback', 'source/latest.zip']), /source\/<sha256>\.zip/);
  });

  it('rejects an unknown option with the usage, and answers --help with null', () => {
    assert.throws(
      () => options([...BASE, '--force']),
      /Unknown option '--force'[\s\S]*usage: npm run deploy/,
    );
    assert.equal(parseDeployArgs(['--help'], {}, ROOT), null);
  });
});

describe('deploy: the plan', () => {
  it('builds, tests, packages, inits, plans, asks, applies and smoke-checks', () => {
    assert.deepEqual(stepLines(planDeploy(options(BASE), { root: ROOT }, INTERACTIVE)), [
      ...CHECKS,
      ...BUILD,
      INIT,
      PLAN,
      `note ${TF} output -raw source_object`,
      'confirm',
      ...APPLY,
    ]);
  });

  it('does not ask with --yes', () => {
    const steps = stepLines(
      planDeploy(options([...BASE, '--yes']), { root: ROOT }, { isInteractive: false }),
    );
    assert.ok(!steps.includes('confirm'));
    assert.deepEqual(steps.slice(-2), APPLY);
  });

  it('stops after the plan with --plan-only, terminal or not', () => {
    for (const isInteractive of [true, false]) {
      const steps = stepLines(
        planDeploy(options([...BASE, '--plan-only']), { root: ROOT }, { isInteractive }),
      );
      assert.deepEqual(steps, [...CHECKS, ...BUILD, INIT, PLAN]);
    }
  });

  it('refuses to apply without a terminal to ask and without --yes', () => {
    assert.throws(
      () => planDeploy(options(BASE), { root: ROOT }, { isInteractive: false }),
      (err: unknown) =>
        err instanceof DeployUsageError && /--yes/.test(err.message) && /--plan-only/.test(err.message),
    );
  });

  it('rolls back by planning with the kept source object: no build, no tests, no upload', () => {
    const steps = stepLines(
      planDeploy(options([...BASE, '--rollback', `source/${SHA}.zip`]), { root: ROOT }, INTERACTIVE),
    );
    assert.deepEqual(steps, [
      ...CHECKS,
      INIT,
      `${TF} plan -input=false -var-file=/repo/infra/terraform.tfvars -var=source_object=source/${SHA}.zip -out=/repo/.deploy/tfplan`,
      `note ${TF} output -raw source_object`,
      'confirm',
      ...APPLY,
    ]);
  });
});

interface FakeWorld {
  /** Command line -> exit code for `run` (default 0). */
  exits?: Record<string, number | null>;
  /** Command line -> stdout for `capture` (null: fails; default ''). */
  outputs?: Record<string, string | null>;
  files?: string[];
  answer?: boolean;
  /** Status and body of each GET, in order (the last repeats). */
  answers?: Array<{ status: number; body: string; type?: string }>;
}

function fakeRunner(world: FakeWorld) {
  const calls: string[] = [];
  const requests: Array<{ url: string; authorization: string | null }> = [];
  let sleeps = 0;
  const line = (command: Command) => [command.command, ...command.args].join(' ');
  const answers = world.answers ?? [{ status: 200, body: '[]' }];
  const runner: DeployRunner = {
    run: async (command) => {
      calls.push(line(command));
      return world.exits?.[line(command)] ?? 0;
    },
    capture: async (command) => {
      calls.push(`capture ${line(command)}`);
      const out = world.outputs?.[line(command)];
      return out === undefined ? '' : out;
    },
    fileExists: (path) => (world.files ?? ['/repo/infra/terraform.tfvars']).includes(path),
    packageSource: (archivePath) => {
      calls.push(`package ${archivePath}`);
      return { path: archivePath, files: 3, bytes: 100, sha256: SHA };
    },
    confirm: async () => {
      calls.push('confirm');
      return world.answer ?? true;
    },
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({ url: String(input), authorization: headers.get('authorization') });
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)] ?? { status: 500, body: '' };
      return new Response(answer.body, {
        status: answer.status,
        headers: { 'content-type': answer.type ?? 'application/json; charset=utf-8' },
      });
    },
    sleep: async () => {
      sleeps++;
    },
    log: () => {},
  };
  return { runner, calls, requests, sleeps: () => sleeps };
}

const OUTPUTS = (isPublic: boolean) =>
  JSON.stringify({
    status_url: { value: 'https://deploymentstatus-abc-uc.a.run.app', type: 'string', sensitive: false },
    status_page_public: { value: isPublic, type: 'bool', sensitive: false },
  });

describe('deploy: running the plan', () => {
  const steps = () => planDeploy(options(BASE), { root: ROOT }, INTERACTIVE);

  it('stops before anything runs when terraform is missing, and says how to install it', async () => {
    const { runner, calls } = fakeRunner({ outputs: { 'terraform version': null } });
    await assert.rejects(runDeploy(steps(), runner, ROOT), (err: unknown) => {
      assert.ok(err instanceof DeployError);
      assert.match(err.message, /terraform is not available.*Install Terraform/);
      return true;
    });
    assert.deepEqual(calls, ['capture terraform version']);
  });

  it('says how to get gcloud when it is missing', async () => {
    const { runner } = fakeRunner({ outputs: { 'gcloud --version': null } });
    await assert.rejects(
      runDeploy(steps(), runner, ROOT),
      /gcloud is not available.*application-default login/,
    );
  });

  it('says how to make the tfvars file when it is missing', async () => {
    const { runner } = fakeRunner({ files: [] });
    await assert.rejects(
      runDeploy(steps(), runner, ROOT),
      /terraform\.tfvars\.example to infra\/terraform\.tfvars/,
    );
  });

  it('stops at failing unit tests: nothing is packaged or planned', async () => {
    const { runner, calls } = fakeRunner({ exits: { 'npm run test:unit': 1 } });
    await assert.rejects(runDeploy(steps(), runner, ROOT), /unit tests failed \(exit 1\)/);
    assert.equal(calls.at(-1), 'npm run test:unit');
  });

  it('applies nothing when the answer is no', async () => {
    const { runner, calls } = fakeRunner({ answer: false });
    assert.deepEqual(await runDeploy(steps(), runner, ROOT), { kind: 'declined' });
    assert.equal(calls.at(-1), 'confirm');
    assert.ok(!calls.some((call) => call.includes(' apply ')));
  });

  it('applies, then checks that /api/versions answers JSON, and names the source to roll back to', async () => {
    const { runner, calls, requests } = fakeRunner({
      outputs: {
        [`${TF} output -json`]: OUTPUTS(true),
        [`${TF} output -raw source_object`]: `source/${SHA}.zip\n`,
      },
    });
    const outcome = await runDeploy(steps(), runner, ROOT);
    assert.deepEqual(outcome, {
      kind: 'applied',
      statusUrl: 'https://deploymentstatus-abc-uc.a.run.app',
      previousSource: `source/${SHA}.zip`,
    });
    assert.ok(calls.indexOf('confirm') < calls.indexOf(`${TF} apply -input=false /repo/.deploy/tfplan`));
    assert.deepEqual(requests, [
      { url: 'https://deploymentstatus-abc-uc.a.run.app/api/versions', authorization: null },
    ]);
  });

  it('finds no previous source on a first deploy, and that is fine', async () => {
    const { runner } = fakeRunner({
      outputs: { [`${TF} output -json`]: OUTPUTS(true), [`${TF} output -raw source_object`]: null },
    });
    const outcome = await runDeploy(steps(), runner, ROOT);
    assert.equal(outcome.kind === 'applied' && outcome.previousSource, null);
  });

  it('sends an identity token to a private status page', async () => {
    const { runner, requests } = fakeRunner({
      outputs: { [`${TF} output -json`]: OUTPUTS(false), 'gcloud auth print-identity-token': 'id-token\n' },
    });
    await runDeploy(steps(), runner, ROOT);
    assert.equal(requests[0]?.authorization, 'Bearer id-token');
  });

  it('polls a cold status page until it answers, then fails with the last answer if it never does', async () => {
    const cold = fakeRunner({
      outputs: { [`${TF} output -json`]: OUTPUTS(true) },
      answers: [
        { status: 503, body: 'starting', type: 'text/plain' },
        { status: 200, body: '{"versions":[]}' },
      ],
    });
    await runDeploy(steps(), cold.runner, ROOT);
    assert.equal(cold.requests.length, 2);
    assert.equal(cold.sleeps(), 1);

    const broken = fakeRunner({
      outputs: { [`${TF} output -json`]: OUTPUTS(true) },
      answers: [{ status: 500, body: '{"error":"Invalid configuration"}' }],
    });
    await assert.rejects(
      runDeploy(steps(), broken.runner, ROOT),
      /smoke check failed.*500.*Invalid configuration/,
    );
    assert.equal(broken.requests.length, 6);
  });

  it('refuses a 200 that is not JSON (an HTML error page is not the API)', async () => {
    const { runner } = fakeRunner({
      outputs: { [`${TF} output -json`]: OUTPUTS(true) },
      answers: [{ status: 200, body: '<html>', type: 'text/html' }],
    });
    await assert.rejects(runDeploy(steps(), runner, ROOT), /text\/html/);
  });
});

describe('deploy: reading the outputs', () => {
  it('needs a status_url', () => {
    assert.throws(() => readStatusOutputs('{}'), /no status_url/);
    assert.throws(() => readStatusOutputs('not json'), /did not print JSON/);
    assert.deepEqual(readStatusOutputs(OUTPUTS(false)), {
      statusUrl: 'https://deploymentstatus-abc-uc.a.run.app',
      isPublic: false,
    });
  });
});

/**
 * What `npm run deploy` does, as data: the steps in order, each a command or an action a runner
 * carries out (scripts/deploy/run.ts). Pure, so the unit tests read the whole plan without running
 * anything.
 */
import { join } from 'node:path';
import { type DeployOptions, DeployUsageError, NO_STATE_BUCKET } from './options.js';

/** A command: what the runner spawns, with the output shown. */
export interface Command {
  command: string;
  args: string[];
}

export type DeployStep =
  /** A tool must be on PATH (`probe` starts it); `hint` says how to get it. */
  | { kind: 'require-tool'; tool: string; probe: Command; hint: string }
  /** A file must exist. */
  | { kind: 'require-file'; path: string; hint: string }
  /** Runs a command; a non-zero exit stops the deploy. */
  | { kind: 'run'; title: string; cwd: string; command: Command }
  /** Writes the functions' source archive. */
  | { kind: 'package'; title: string; archivePath: string }
  /** Notes which source the functions run now (the rollback target of this deploy); may find none. */
  | { kind: 'note-current-source'; command: Command }
  /** Asks before going on; a no stops the deploy without an error. */
  | { kind: 'confirm'; question: string }
  /** Reads the outputs and checks that the status page's JSON API answers. */
  | { kind: 'smoke'; title: string; outputs: Command; identityToken: Command; path: string };

/** Where things are. */
export interface DeployPaths {
  root: string;
}

/** What the plan may depend on besides the options. */
export interface DeployContext {
  /** Whether someone can answer a question (stdin is a terminal). */
  isInteractive: boolean;
}

/** The deploy's working files, under the repository root (git ignores .deploy/). */
export function workPaths(root: string) {
  const dir = join(root, '.deploy');
  return {
    dir,
    archive: join(dir, 'function-source.zip'),
    plan: join(dir, 'tfplan'),
    infra: join(root, 'infra'),
  };
}

const TERRAFORM_HINT =
  'Install Terraform 1.9 or later (https://developer.hashicorp.com/terraform/install) and put it on PATH.';
const GCLOUD_HINT =
  'Install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install), then run ' +
  '`gcloud auth application-default login`: the Terraform google provider uses Application Default Credentials.';

/** The steps of a deploy, a plan-only review or a rollback. Throws DeployUsageError when it cannot run. */
export function planDeploy(options: DeployOptions, paths: DeployPaths, context: DeployContext): DeployStep[] {
  if (!options.isPlanOnly && !options.isPreconfirmed && !context.isInteractive) {
    throw new DeployUsageError(
      'Refusing to apply without confirmation: there is no terminal to ask. Pass --yes to apply (CI), ' +
        'or --plan-only to review the plan.',
    );
  }
  if (options.stateBucket === null) throw new DeployUsageError(NO_STATE_BUCKET);
  const work = workPaths(paths.root);
  const terraform = (...args: string[]): Command => ({
    command: 'terraform',
    args: [`-chdir=${work.infra}`, ...args],
  });
  const source = options.rollbackObject
    ? `-var=source_object=${options.rollbackObject}`
    : `-var=source_archive=${work.archive}`;

  const steps: DeployStep[] = [
    {
      kind: 'require-tool',
      tool: 'terraform',
      probe: { command: 'terraform', args: ['version'] },
      hint: TERRAFORM_HINT,
    },
    {
      kind: 'require-tool',
      tool: 'gcloud',
      probe: { command: 'gcloud', args: ['--version'] },
      hint: GCLOUD_HINT,
    },
    {
      kind: 'require-file',
      path: options.varFile,
      hint: 'Copy infra/terraform.tfvars.example to infra/terraform.tfvars and fill it in, or pass --var-file PATH.',
    },
  ];
  if (!options.rollbackObject) {
    steps.push(
      { kind: 'run', title: 'build', cwd: paths.root, command: { command: 'npm', args: ['run', 'build'] } },
      {
        kind: 'run',
        title: 'unit tests',
        cwd: paths.root,
        command: { command: 'npm', args: ['run', 'test:unit'] },
      },
      { kind: 'package', title: 'package the functions source', archivePath: work.archive },
    );
  }
  steps.push(
    {
      kind: 'run',
      title: 'terraform init',
      cwd: paths.root,
      command: terraform(
        'init',
        '-input=false',
        '-reconfigure',
        `-backend-config=bucket=${options.stateBucket}`,
        `-backend-config=prefix=${options.statePrefix}`,
      ),
    },
    {
      kind: 'run',
      title: 'terraform plan',
      cwd: paths.root,
      command: terraform('plan', '-input=false', `-var-file=${options.varFile}`, source, `-out=${work.plan}`),
    },
  );
  if (options.isPlanOnly) return steps;

  steps.push({ kind: 'note-current-source', command: terraform('output', '-raw', 'source_object') });
  if (!options.isPreconfirmed) steps.push({ kind: 'confirm', question: 'Apply this plan?' });
  steps.push(
    {
      kind: 'run',
      title: 'terraform apply',
      cwd: paths.root,
      command: terraform('apply', '-input=false', work.plan),
    },
    {
      kind: 'smoke',
      title: 'smoke check of the status page',
      outputs: terraform('output', '-json'),
      identityToken: { command: 'gcloud', args: ['auth', 'print-identity-token'] },
      path: '/api/versions',
    },
  );
  return steps;
}

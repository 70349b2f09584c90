/**
 * Carries out a deploy plan (scripts/deploy/plan.ts) with an injected runner: the real one spawns
 * processes and asks on the terminal (scripts/deploy/node-runner.ts), the tests pass a recording one.
 */
import type { Command, DeployStep } from './plan.js';
import { readStatusOutputs, smokeCheck } from './smoke.js';
import type { SourceArchive } from './source-archive.js';

/** Thrown when a step fails; the message says which and how to go on. */
export class DeployError extends Error {
  override name = 'DeployError';
}

/** Everything the deploy does to the world. */
export interface DeployRunner {
  /** Runs a command with its output shown; resolves to the exit code (null: it could not start). */
  run(command: Command, cwd: string): Promise<number | null>;
  /** Runs a command quietly; resolves to its standard output, or null when it fails. */
  capture(command: Command, cwd: string): Promise<string | null>;
  fileExists(path: string): boolean;
  packageSource(archivePath: string): SourceArchive;
  /** Asks a yes/no question. */
  confirm(question: string): Promise<boolean>;
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  log(line: string): void;
}

/** How the deploy ended. */
export type DeployOutcome =
  | { kind: 'planned' }
  | { kind: 'declined' }
  | { kind: 'applied'; statusUrl: string; previousSource: string | null };

/** What the steps share while the deploy runs. */
interface RunState {
  runner: DeployRunner;
  cwd: string;
  /** The source the functions ran before this deploy (the rollback target), once noted. */
  previousSource: string | null;
}

/** A step's result: an outcome ends the deploy, undefined goes on to the next step. */
type StepResult = Promise<DeployOutcome | undefined>;

type StepOf<K extends DeployStep['kind']> = Extract<DeployStep, { kind: K }>;

/** Runs `steps` in order; throws DeployError at the first that fails. */
export async function runDeploy(
  steps: DeployStep[],
  runner: DeployRunner,
  cwd: string,
): Promise<DeployOutcome> {
  const state: RunState = { runner, cwd, previousSource: null };
  for (const step of steps) {
    const outcome = await runStep(step, state);
    if (outcome) return outcome;
  }
  return { kind: 'planned' };
}

function runStep(step: DeployStep, state: RunState): StepResult {
  switch (step.kind) {
    case 'require-tool':
      return requireTool(step, state);
    case 'require-file':
      return requireFile(step, state);
    case 'run':
      return runCommand(step, state);
    case 'package':
      return packageSource(step, state);
    case 'note-current-source':
      return noteCurrentSource(step, state);
    case 'confirm':
      return confirm(step, state);
    case 'smoke':
      return smoke(step, state);
  }
}

async function requireTool(step: StepOf<'require-tool'>, { runner, cwd }: RunState): StepResult {
  if ((await runner.capture(step.probe, cwd)) === null) {
    throw new DeployError(`${step.tool} is not available (\`${describe(step.probe)}\` failed). ${step.hint}`);
  }
  return undefined;
}

async function requireFile(step: StepOf<'require-file'>, { runner }: RunState): StepResult {
  if (!runner.fileExists(step.path)) throw new DeployError(`${step.path} does not exist. ${step.hint}`);
  return undefined;
}

async function runCommand(step: StepOf<'run'>, { runner }: RunState): StepResult {
  runner.log(`\n== ${step.title}: ${describe(step.command)}`);
  const code = await runner.run(step.command, step.cwd);
  if (code !== 0) {
    throw new DeployError(
      `${step.title} failed (${code === null ? 'could not start' : `exit ${code}`}): ${describe(step.command)}`,
    );
  }
  return undefined;
}

async function packageSource(step: StepOf<'package'>, { runner }: RunState): StepResult {
  runner.log(`\n== ${step.title}`);
  const archive = runner.packageSource(step.archivePath);
  runner.log(`${archive.path}: ${archive.files} files, ${archive.bytes} bytes, sha256 ${archive.sha256}`);
  return undefined;
}

async function noteCurrentSource(step: StepOf<'note-current-source'>, state: RunState): StepResult {
  // Before the first deploy there is none: that is not an error.
  state.previousSource = (await state.runner.capture(step.command, state.cwd))?.trim() || null;
  if (state.previousSource) state.runner.log(`\nThe functions run ${state.previousSource} now.`);
  return undefined;
}

async function confirm(step: StepOf<'confirm'>, { runner }: RunState): StepResult {
  if (await runner.confirm(step.question)) return undefined;
  runner.log('Not applied.');
  return { kind: 'declined' };
}

async function smoke(step: StepOf<'smoke'>, { runner, cwd, previousSource }: RunState): StepResult {
  runner.log(`\n== ${step.title}`);
  const outputs = await runner.capture(step.outputs, cwd);
  if (outputs === null) throw new DeployError(`${describe(step.outputs)} failed`);
  const { statusUrl, isPublic } = readStatusOutputs(outputs);
  const token = isPublic ? undefined : await identityToken(step.identityToken, runner, cwd);
  try {
    const url = await smokeCheck(statusUrl, step.path, { fetch: runner.fetch, sleep: runner.sleep, token });
    runner.log(`${url} answers 200 with JSON.`);
  } catch (err) {
    throw new DeployError(`The apply finished but the smoke check failed: ${(err as Error).message}`);
  }
  if (previousSource) {
    runner.log(
      `To roll back: npm run deploy -- --rollback ${previousSource} (infra/README.md "Rolling back").`,
    );
  }
  return { kind: 'applied', statusUrl, previousSource };
}

/** The token that opens a private status page. */
async function identityToken(command: Command, runner: DeployRunner, cwd: string): Promise<string> {
  const token = (await runner.capture(command, cwd))?.trim();
  if (!token) throw new DeployError(`the status page is private and ${describe(command)} failed`);
  return token;
}

function describe(command: Command): string {
  return [command.command, ...command.args].join(' ');
}

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

/** Runs `steps` in order; throws DeployError at the first that fails. */
export async function runDeploy(
  steps: DeployStep[],
  runner: DeployRunner,
  cwd: string,
): Promise<DeployOutcome> {
  let previousSource: string | null = null;
  for (const step of steps) {
    switch (step.kind) {
      case 'require-tool': {
        if ((await runner.capture(step.probe, cwd)) === null) {
          throw new DeployError(
            `${step.tool} is not available (\`${describe(step.probe)}\` failed). ${step.hint}`,
          );
        }
        break;
      }
      case 'require-file': {
        if (!runner.fileExists(step.path)) throw new DeployError(`${step.path} does not exist. ${step.hint}`);
        break;
      }
      case 'run': {
        runner.log(`\n== ${step.title}: ${describe(step.command)}`);
        const code = await runner.run(step.command, step.cwd);
        if (code !== 0) {
          throw new DeployError(
            `${step.title} failed (${code === null ? 'could not start' : `exit ${code}`}): ${describe(step.command)}`,
          );
        }
        break;
      }
      case 'package': {
        runner.log(`\n== ${step.title}`);
        const archive = runner.packageSource(step.archivePath);
        runner.log(
          `${archive.path}: ${archive.files} files, ${archive.bytes} bytes, sha256 ${archive.sha256}`,
        );
        break;
      }
      case 'note-current-source': {
        // Before the first deploy there is none: that is not an error.
        previousSource = (await runner.capture(step.command, cwd))?.trim() || null;
        if (previousSource) runner.log(`\nThe functions run ${previousSource} now.`);
        break;
      }
      case 'confirm': {
        if (!(await runner.confirm(step.question))) {
          runner.log('Not applied.');
          return { kind: 'declined' };
        }
        break;
      }
      case 'smoke': {
        runner.log(`\n== ${step.title}`);
        const outputs = await runner.capture(step.outputs, cwd);
        if (outputs === null) throw new DeployError(`${describe(step.outputs)} failed`);
        const { statusUrl, isPublic } = readStatusOutputs(outputs);
        let token: string | undefined;
        if (!isPublic) {
          token = (await runner.capture(step.identityToken, cwd))?.trim();
          if (!token)
            throw new DeployError(`the status page is private and ${describe(step.identityToken)} failed`);
        }
        try {
          const url = await smokeCheck(statusUrl, step.path, {
            fetch: runner.fetch,
            sleep: runner.sleep,
            token,
          });
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
    }
  }
  return { kind: 'planned' };
}

function describe(command: Command): string {
  return [command.command, ...command.args].join(' ');
}

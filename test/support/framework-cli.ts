/**
 * functions/index.ts served the way Cloud Functions serves it: the Functions Framework's own CLI
 * (`functions-framework --target=<name> --source=...`) in a child process whose environment is the
 * function's configuration.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../../scripts/lib/net.js';

/** The package's `functions-framework` bin, next to its main module (its exports map hides the file). */
const FRAMEWORK_CLI = join(
  dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')),
  'main.js',
);

export interface Served {
  url: string;
  /** What the child wrote so far (stdout and stderr). */
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts the framework on `target`; `started` gets it at once, so it is stopped even if it never serves. */
export async function serveWithFrameworkCli(
  target: string,
  env: NodeJS.ProcessEnv,
  started: Served[],
): Promise<Served> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', FRAMEWORK_CLI, `--target=${target}`, '--source=functions/index.ts', `--port=${port}`],
    {
      env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  // Served once the banner's last line is out (the whole banner, with the target's name, was read);
  // however long the cold start takes (the caller's timeout bounds it).
  let isServing: () => void = () => {};
  const serving = new Promise<void>((resolve, reject) => {
    isServing = resolve;
    child.once('exit', (code) => reject(new Error(`the framework exited (${code}):\n${output}`)));
  });
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (/^URL: /m.test(output)) isServing();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const served: Served = {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
  started.push(served);
  await serving;
  return served;
}

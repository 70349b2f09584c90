/**
 * The real DeployRunner: spawns processes (output shown, stdin inherited so terraform's own
 * prompts still work), asks on the terminal, fetches over the network.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from './plan.js';
import type { DeployRunner } from './run.js';
import { writeSourceArchive } from './source-archive.js';

/** A runner for the repository at `root`. */
export function createNodeRunner(root: string): DeployRunner {
  return {
    run: (command, cwd) =>
      new Promise((resolve) => {
        const child = spawn(command.command, command.args, { cwd, stdio: 'inherit' });
        child.on('error', () => resolve(null));
        child.on('close', (code) => resolve(code));
      }),
    capture: (command: Command, cwd: string) =>
      new Promise((resolve) => {
        const child = spawn(command.command, command.args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
        });
        child.on('error', () => resolve(null));
        child.on('close', (code) => resolve(code === 0 ? out : null));
      }),
    fileExists: (path) => existsSync(path),
    packageSource: (archivePath) => writeSourceArchive(root, archivePath),
    confirm: async (question) => {
      const terminal = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = await terminal.question(`\n${question} Type "yes" to apply: `);
        return answer.trim() === 'yes';
      } finally {
        terminal.close();
      }
    },
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(30_000) }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (line) => console.log(line),
  };
}

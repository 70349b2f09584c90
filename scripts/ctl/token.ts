/**
 * The identity token `npm run ctl` sends: AUTO_DEPLOY_ID_TOKEN when set; else, for a URL that is not on
 * this machine, `gcloud auth print-identity-token` (asked once, on first use); for the local stack,
 * none (its checks are off). Node's own modules only.
 */
import { execFile } from 'node:child_process';

/** No identity token could be had for a change (exit 1: fix the credentials). */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** Runs a command and resolves to its stdout (tests replace it). */
export type RunCommand = (command: string, args: readonly string[]) => Promise<string>;

const runCommand: RunCommand = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });

/** True for a URL on this machine (the local stack): 127.0.0.0/8, ::1, localhost. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The token source for `url`: a function asked before each call, null when none is to be sent. A gcloud
 * failure is thrown (with how to fix it) when the call needs a token, else left out (a public read).
 */
export function tokenSource(
  url: string,
  env: NodeJS.ProcessEnv,
  run: RunCommand = runCommand,
): (isRequired: boolean) => Promise<string | null> {
  const given = env.AUTO_DEPLOY_ID_TOKEN?.trim();
  if (given) return async () => given;
  if (isLoopbackUrl(url)) return async () => null;
  let printed: Promise<string> | null = null;
  return async (isRequired) => {
    printed ??= run('gcloud', ['auth', 'print-identity-token']).then((out) => out.trim());
    try {
      return await printed;
    } catch (err) {
      if (!isRequired) return null;
      throw new TokenError(
        `${(err as Error).message}\nlog in with gcloud, or set AUTO_DEPLOY_ID_TOKEN to an identity token`,
      );
    }
  };
}

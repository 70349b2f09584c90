/**
 * `npm run ctl -- <command>`: operate kubeflow-auto-deploy from a shell (the operator API of the
 * deploymentStatus function, README "Operator API and CLI"). Tables for people, `--json` for scripts.
 *
 *   status | plan
 *   pause <version> --reason TEXT | resume <version> | redeploy <version>
 *   teardown <instance> [--force] | drain --reason TEXT | undrain
 *   lease <lease command ...>        (npm run lease, scripts/lease/main.ts)
 *
 * `--url`, else AUTO_DEPLOY_URL, else the local stack. An identity token is sent for a URL that is not
 * on this machine: AUTO_DEPLOY_ID_TOKEN, else `gcloud auth print-identity-token`. Exit codes (the lease
 * CLI's): 0 ok, 1 usage or refused (400, 401, 403, 413; no token), 2 not found or conflict (404, 409),
 * 3 unreachable or a 5xx. Node's own modules only.
 */
import { userInfo } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LeaseApiError } from '../lease/api.js';
import { DEFAULT_URL_WORDS, defaultUrl, EXIT, exitCodeOf, isHelp, main as leaseMain } from '../lease/main.js';
import { type CtlApi, ctlApi } from './api.js';
import { changeText, drainText, planText, statusText } from './tables.js';
import { isLoopbackUrl, type RunCommand, TokenError, tokenSource } from './token.js';

export { EXIT } from '../lease/main.js';

const USAGE = `usage: npm run -s ctl -- <command> [options]
  status                                   the pipeline's health, versions and instances
  plan                                     what the next tick would do, and why (nothing is changed)
  pause <version> --reason TEXT            no new deploys of the version (GC goes on)
  resume <version> [--reason TEXT]
  redeploy <version> [--reason TEXT]       deploy its head now, rate limit aside
  teardown <instance> [--force] [--reason TEXT]   tear it down now; --force: even while leased
  drain --reason TEXT                      pause every version (each one's own pause is kept)
  undrain [--reason TEXT]
  lease <acquire|heartbeat|release|list|show> ...   the lease CLI (npm run lease)
options: --url URL (else AUTO_DEPLOY_URL, else ${DEFAULT_URL_WORDS}), --json,
         --by NAME (who asks, recorded unverified; the local stack's default: your user name)
env: AUTO_DEPLOY_ID_TOKEN, else \`gcloud auth print-identity-token\` for a URL not on this machine
exit: 0 ok, 1 usage or refused, 2 not found or conflict, 3 unreachable or a server error`;

class UsageError extends Error {
  override name = 'UsageError';
}

type Values = { [name: string]: string | boolean | undefined };

const OPTIONS = {
  url: { type: 'string' },
  reason: { type: 'string' },
  by: { type: 'string' },
  json: { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

function argument(positionals: string[], index: number, name: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing <${name}>`);
  return value;
}

/** What a change's body says: the reason and who asks, when given. */
function askBody(values: Values, isReasonRequired: boolean, command: string): Record<string, unknown> {
  const { reason, by } = values;
  if (isReasonRequired && typeof reason !== 'string') throw new UsageError(`${command} needs --reason TEXT`);
  return {
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(typeof by === 'string' ? { by } : {}),
  };
}

type Output = { json: unknown; text: string };

async function status(api: CtlApi): Promise<Output> {
  const [health, versions, deployments] = await Promise.all([
    api.health(),
    api.versions(),
    api.deployments(),
  ]);
  return { json: { health, versions, deployments }, text: statusText(versions, deployments, health) };
}

/** Runs one command; resolves to what to print. */
async function run(api: CtlApi, positionals: string[], values: Values): Promise<Output> {
  const [command] = positionals;
  switch (command) {
    case 'status':
      return status(api);
    case 'plan': {
      const plan = await api.plan();
      return { json: plan, text: planText(plan) };
    }
    case 'pause':
    case 'resume':
    case 'redeploy': {
      const version = argument(positionals, 1, 'version');
      const answer = await api.versionAction(version, command, askBody(values, command === 'pause', command));
      return { json: answer, text: changeText(version, answer) };
    }
    case 'teardown': {
      const instance = argument(positionals, 1, 'instance');
      const body = { ...askBody(values, false, command), ...(values.force ? { force: true } : {}) };
      const answer = await api.teardown(instance, body);
      return { json: answer, text: changeText(instance, answer) };
    }
    case 'drain':
    case 'undrain': {
      const answer = await api.drain(command, askBody(values, command === 'drain', command));
      return { json: answer, text: drainText(answer) };
    }
    default:
      throw new UsageError(command === undefined ? 'missing <command>' : `unknown command ${command}`);
  }
}

/** `lease ...`: the lease CLI, with the URL and the token ctl would use. */
async function lease(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: Io,
  runCommand?: RunCommand,
): Promise<number> {
  const index = argv.findIndex((arg) => arg === '--url' || arg.startsWith('--url='));
  const given =
    index < 0 ? undefined : argv[index]?.startsWith('--url=') ? argv[index]?.slice(6) : argv[index + 1];
  const url = given ?? env.AUTO_DEPLOY_URL ?? defaultUrl(env);
  const token = await tokenSource(url, env, runCommand)(false);
  const leaseEnv = { ...env, AUTO_DEPLOY_URL: url, ...(token ? { AUTO_DEPLOY_ID_TOKEN: token } : {}) };
  return leaseMain(argv, leaseEnv, io.out, io.err);
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The CLI: `argv` without node and the script; returns the exit code. `runCommand` runs gcloud (tests). */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: Io,
  runCommand?: RunCommand,
): Promise<number> {
  if (argv[0] === 'lease') return lease(argv.slice(1), env, io, runCommand);
  if (isHelp(argv)) {
    io.out(`${USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    const url =
      (typeof values.url === 'string' ? values.url : undefined) ?? env.AUTO_DEPLOY_URL ?? defaultUrl(env);
    // On the local stack nobody is verified: say who asks (recorded as unverified) unless told.
    const by = values.by ?? (isLoopbackUrl(url) ? env.USER || userInfo().username : undefined);
    const api = ctlApi({ url, token: tokenSource(url, env, runCommand) });
    const output = await run(api, positionals, { ...values, by });
    io.out(values.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints why a command failed and picks its exit code; rethrows what is not the CLI's to explain. */
function reportError(error: unknown, io: Io): number {
  if (error instanceof LeaseApiError) {
    io.err(`${error.message}\n${error.body === null ? '' : `${JSON.stringify(error.body, null, 2)}\n`}`);
    return exitCodeOf(error);
  }
  if (error instanceof TokenError) {
    io.err(`${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  throw error;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const write = (stream: NodeJS.WriteStream) => (text: string) => stream.write(text);
  main(process.argv.slice(2), process.env, { out: write(process.stdout), err: write(process.stderr) }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`ctl: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = EXIT.unavailable;
    },
  );
}

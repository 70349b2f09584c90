/**
 * `npm run -s lease -- <command>`: the lease API from a shell. Prints the answer's JSON on stdout.
 *
 *   acquire <version> --owner X [--ttl 3600] [--request-id K] [--instance I]
 *   heartbeat <leaseId> [--ttl N]
 *   release <leaseId>
 *   list [--version V] [--instance I]
 *   show <leaseId>
 *
 * `--url` or AUTO_DEPLOY_URL is the deploymentStatus function's URL (the local stack's by default);
 * AUTO_DEPLOY_ID_TOKEN, when set, is sent as a bearer token. Exit codes: 0 ok, 1 usage (or a request
 * the API refused as malformed or unauthorised), 2 not found / no ready instance / expired or released,
 * 3 unreachable or a 5xx.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type LeaseApi, LeaseApiError, leaseApi } from './api.js';

/** The local stack's status function: on PORT, as `npm start` serves it (8080 unless PORT is set). */
export function defaultUrl(env: NodeJS.ProcessEnv): string {
  return `http://127.0.0.1:${env.PORT?.trim() || 8080}/deploymentStatus`;
}

/** How the usage texts name the default URL. */
export const DEFAULT_URL_WORDS = 'http://127.0.0.1:$PORT/deploymentStatus, PORT as for npm start, 8080 unset';

const USAGE = `usage: npm run -s lease -- <command> [options]
  acquire <version> --owner X [--ttl SECONDS] [--request-id KEY] [--instance NAME]
  heartbeat <leaseId> [--ttl SECONDS]
  release <leaseId>
  list [--version V] [--instance NAME]
  show <leaseId>
options: --url URL (else AUTO_DEPLOY_URL, else ${DEFAULT_URL_WORDS})
env: AUTO_DEPLOY_ID_TOKEN sent as a bearer token when set`;

export const EXIT = { ok: 0, usage: 1, notFound: 2, unavailable: 3 } as const;

class UsageError extends Error {
  override name = 'UsageError';
}

type Values = Record<string, string | boolean | undefined>;

function option(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function seconds(values: Values): number | undefined {
  const ttl = option(values, 'ttl');
  if (ttl === undefined) return undefined;
  if (!/^\d+$/.test(ttl)) throw new UsageError(`--ttl must be a whole number of seconds, not ${ttl}`);
  return Number(ttl);
}

function argument(positionals: string[], index: number, name: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing <${name}>`);
  return value;
}

/** Runs one command; resolves to what to print. */
function run(api: LeaseApi, positionals: string[], values: Values): Promise<unknown> {
  const [command] = positionals;
  switch (command) {
    case 'acquire': {
      const owner = option(values, 'owner');
      if (owner === undefined) throw new UsageError('acquire needs --owner (who holds the lease)');
      const requestId = option(values, 'request-id');
      const instance = option(values, 'instance');
      const ttlSeconds = seconds(values);
      return api.acquire({
        version: argument(positionals, 1, 'version'),
        owner,
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
        ...(requestId === undefined ? {} : { requestId }),
        ...(instance === undefined ? {} : { instance }),
      });
    }
    case 'heartbeat':
      return api.heartbeat(argument(positionals, 1, 'leaseId'), seconds(values));
    case 'release':
      return api.release(argument(positionals, 1, 'leaseId'));
    case 'show':
      return api.show(argument(positionals, 1, 'leaseId'));
    case 'list': {
      const version = option(values, 'version');
      const instance = option(values, 'instance');
      return api.list({ ...(version ? { version } : {}), ...(instance ? { instance } : {}) });
    }
    default:
      throw new UsageError(command === undefined ? 'missing <command>' : `unknown command ${command}`);
  }
}

/** The exit code of a failed call. */
export function exitCodeOf(error: LeaseApiError): number {
  if (error.isTransient) return EXIT.unavailable;
  if (error.status === 404 || error.status === 409 || error.status === 410) return EXIT.notFound;
  return EXIT.usage;
}

/** `help`, `--help` or `-h` as the command, or a `--help`/`-h` anywhere: the usage, on stdout, exit 0. */
export function isHelp(argv: readonly string[]): boolean {
  return argv[0] === 'help' || argv.includes('--help') || argv.includes('-h');
}

/** The CLI: `argv` without node and the script; returns the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  if (isHelp(argv)) {
    out(`${USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: Object.fromEntries(
        ['url', 'owner', 'ttl', 'request-id', 'instance', 'version'].map((name) => [
          name,
          { type: 'string' },
        ]),
      ),
    });
    const url = option(values, 'url') ?? env.AUTO_DEPLOY_URL ?? defaultUrl(env);
    const idToken = env.AUTO_DEPLOY_ID_TOKEN;
    const api = leaseApi({ url, ...(idToken ? { idToken } : {}) });
    out(`${JSON.stringify(await run(api, positionals, values), null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof LeaseApiError) {
      err(`${error.message}\n${error.body === null ? '' : `${JSON.stringify(error.body, null, 2)}\n`}`);
      return exitCodeOf(error);
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`${(error as Error).message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const write = (stream: NodeJS.WriteStream) => (text: string) => stream.write(text);
  main(process.argv.slice(2), process.env, write(process.stdout), write(process.stderr)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`lease: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = EXIT.unavailable;
    },
  );
}

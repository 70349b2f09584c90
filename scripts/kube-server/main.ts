/**
 * CLI for the local Kubernetes API server (batch/v1 Jobs, with their pods and events; HTTPS with a CA
 * made at start; dev and tests):
 * `npx tsx scripts/kube-server/main.ts [--host 127.0.0.1] [--port 8124] [--token T] [--namespace NS] [--kubeconfig PATH] [--job-seconds N]`
 * Prints `kube server listening on https://host:port` once ready; with `--kubeconfig PATH` it also writes a
 * kubeconfig for it, CA included (`kubectl --kubeconfig PATH get jobs`, or `KUBECONFIG=PATH`).
 * With `--job-seconds N` (N > 0) each Job completes by itself N seconds after it is created; by default
 * (0) Jobs stay as created until completed or failed through the control API. Stops on SIGINT/SIGTERM.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePortFlag } from '../lib/net.js';
import { stopOnSignals } from '../lib/signals.js';
import { parseJobSeconds, renderLocalKubeconfig, startKubeServer } from './server.js';

const DEFAULT_PORT = 8124;

interface CliOptions {
  host: string;
  port: number;
  token: string | undefined;
  namespace: string;
  kubeconfig: string | undefined;
  jobSeconds: number;
}

/** Parses the command line; throws an error that says how to fix a bad flag. */
function parseCliArgs(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      token: { type: 'string' },
      namespace: { type: 'string', default: 'auto-deploy' },
      kubeconfig: { type: 'string' },
      'job-seconds': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const port = parsePortFlag('--port', values.port);
  if (values.token !== undefined && !/^[\x21-\x7e]+$/.test(values.token)) {
    throw new Error('--token must be non-empty printable ASCII without spaces.');
  }
  return {
    host: values.host,
    port,
    token: values.token,
    namespace: values.namespace,
    kubeconfig: values.kubeconfig,
    jobSeconds: parseJobSeconds(values['job-seconds'], '--job-seconds', 0),
  };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: kube-server [--host H] [--port P] [--token T] [--namespace NS] [--kubeconfig PATH] [--job-seconds N]\n`,
    );
    process.exitCode = 2;
    return;
  }
  const server = await startKubeServer({
    host: options.host,
    port: options.port,
    jobSeconds: options.jobSeconds,
    ...(options.token === undefined ? {} : { token: options.token }),
    log: (entry) => process.stdout.write(`${JSON.stringify({ component: 'kube-server', ...entry })}\n`),
  });
  if (options.kubeconfig) {
    try {
      writeFileSync(options.kubeconfig, renderLocalKubeconfig(server, options.namespace), {
        mode: 0o600,
      });
    } catch (error) {
      await server.stop();
      throw new Error(`Could not write --kubeconfig ${options.kubeconfig}: ${(error as Error).message}`);
    }
  }
  process.stdout.write(`kube server listening on ${server.url}\n`);
  if (options.kubeconfig) process.stdout.write(`kubeconfig written to ${options.kubeconfig}\n`);
  else process.stdout.write(`token: ${server.token}\n`);

  stopOnSignals('kube-server', () => server.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`kube server failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

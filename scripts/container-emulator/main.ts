/**
 * CLI for the ClusterManager fake:
 * `npx tsx scripts/container-emulator/main.ts --port 8124 [--host 127.0.0.1] [--control-port 0]
 *  [--project P] [--location L] [--cluster NAME ...]`
 * Prints `container emulator listening on host:port, control API on http://host:port` once ready;
 * stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { parsePortFlag } from '../lib/net.js';
import { stopOnSignals } from '../lib/signals.js';
import { DEFAULT_LOCATION, DEFAULT_PROJECT, startContainerEmulator } from './server.js';

const DEFAULT_PORT = 8124;
const USAGE =
  'usage: container-emulator [--host H] [--port P] [--control-port P] [--project P] [--location L] [--cluster NAME ...]';

interface CliOptions {
  host: string;
  port: number;
  controlPort: number;
  project: string;
  location: string;
  clusters: string[];
}

/** Parses the command line; throws an error that says how to fix a bad flag. */
function parseCliArgs(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      'control-port': { type: 'string', default: '0' },
      project: { type: 'string', default: DEFAULT_PROJECT },
      location: { type: 'string', default: DEFAULT_LOCATION },
      cluster: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  return {
    host: values.host,
    port: parsePortFlag('--port', values.port),
    controlPort: parsePortFlag('--control-port', values['control-port']),
    project: values.project,
    location: values.location,
    clusters: values.cluster,
  };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const emulator = await startContainerEmulator({
    host: options.host,
    port: options.port,
    controlPort: options.controlPort,
    project: options.project,
    location: options.location,
    clusters: options.clusters.map((name) => ({ name })),
  });
  process.stdout.write(
    `container emulator listening on ${emulator.address}, control API on ${emulator.controlUrl}\n`,
  );
  stopOnSignals('container-emulator', () => emulator.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(
    `container emulator failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

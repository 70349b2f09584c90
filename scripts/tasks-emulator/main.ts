/**
 * CLI for the Cloud Tasks emulator:
 * `npx tsx scripts/tasks-emulator/main.ts --port 8123 [--host 127.0.0.1] [--queue projects/P/locations/L/queues/Q ...]`
 * Prints `tasks emulator listening on host:port` once ready; stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { parsePortFlag } from '../lib/net.js';
import { stopOnSignals } from '../lib/signals.js';
import { startTasksEmulator } from './server.js';

const DEFAULT_PORT = 8123;

interface CliOptions {
  host: string;
  port: number;
  queues: string[];
}

/** Parses the command line; throws an error that says how to fix a bad flag. */
function parseCliArgs(args: string[]): CliOptions {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      queue: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const port = parsePortFlag('--port', values.port);
  return { host: values.host, port, queues: values.queue };
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: tasks-emulator [--host H] [--port P] [--queue projects/P/locations/L/queues/Q ...]\n`,
    );
    process.exitCode = 2;
    return;
  }
  const emulator = await startTasksEmulator({ host: options.host, port: options.port });
  try {
    for (const queue of options.queues) emulator.createQueue(queue);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  process.stdout.write(`tasks emulator listening on ${emulator.address}\n`);

  stopOnSignals('tasks-emulator', () => emulator.stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`tasks emulator failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

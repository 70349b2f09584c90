/**
 * `npm start`: runs the whole system locally (see README "Running locally").
 * Stops on Ctrl-C, taking its emulators with it.
 */
import { ConfigError } from '../functions/config.js';
import { startLocalStack } from './lib/local-stack.js';
import { PortInUseError } from './lib/net.js';
import { stopOnSignals } from './lib/signals.js';
import { startBanner } from './lib/start-banner.js';

async function main(): Promise<void> {
  const stack = await startLocalStack(process.env);
  process.stderr.write(`${startBanner(stack).join('\n')}\n`);
  stopOnSignals('local-stack', () => stack.stop());
}

/** What the user can mend (a setting, a port) is said in one line; anything else with its stack. */
function describeStartError(err: unknown): string {
  if (err instanceof ConfigError || err instanceof PortInUseError) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start failed: ${describeStartError(err)}\n`);
  process.exit(1);
});

/**
 * `npm start`: runs the whole system locally (see README "Running locally").
 * Stops on Ctrl-C, taking its emulators with it.
 */
import { ConfigError } from '../functions/config.js';
import { startLocalStack } from './lib/local-stack.js';
import { stopOnSignals } from './lib/signals.js';
import { startBanner } from './lib/start-banner.js';

async function main(): Promise<void> {
  const stack = await startLocalStack(process.env);
  process.stderr.write(`${startBanner(stack).join('\n')}\n`);
  stopOnSignals('local-stack', () => stack.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});

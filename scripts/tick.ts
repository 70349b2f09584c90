/**
 * `npm run tick`: calls the local stack's schedulerTick once (PORT, default 8080), as
 * `gcloud scheduler jobs run` does in the cloud, and prints what each step did.
 */
import { fetchLocalStack } from './lib/net.js';

const USAGE = `usage: npm run tick
  calls the local stack's schedulerTick once (http://127.0.0.1:$PORT/schedulerTick, PORT default 8080)
  and prints its JSON report; exit 1 when it fails. In the cloud: gcloud scheduler jobs run <job>`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 0) {
    const isHelp = args.every((arg) => ['help', '--help', '-h'].includes(arg));
    process[isHelp ? 'stdout' : 'stderr'].write(
      `${isHelp ? '' : `unexpected arguments: ${args.join(' ')}\n`}${USAGE}\n`,
    );
    if (!isHelp) process.exitCode = 2;
    return;
  }
  const url = `http://127.0.0.1:${process.env.PORT || 8080}/schedulerTick`;
  const response = await fetchLocalStack(url, { method: 'POST' });
  process.stdout.write(
    `POST ${url} -> ${response.status}\n${JSON.stringify(await response.json(), null, 2)}\n`,
  );
  if (!response.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`tick failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/** Shared by the command-line tools: stop cleanly on Ctrl-C or SIGTERM, then exit. */

/** On SIGINT or SIGTERM: log the signal as a JSON line, run `stop`, exit 0 (1 if stopping failed). */
export function stopOnSignals(component: string, stop: () => Promise<void>): void {
  const shutdown = (signal: NodeJS.Signals) => {
    process.stdout.write(`${JSON.stringify({ severity: 'INFO', component, message: 'stopping', signal })}\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

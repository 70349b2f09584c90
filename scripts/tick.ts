/**
 * `npm run tick`: calls the local stack's schedulerTick once (PORT, default 8080), as
 * `gcloud scheduler jobs run` does in the cloud, and prints what each step did.
 */
async function main(): Promise<void> {
  const url = `http://127.0.0.1:${process.env.PORT || 8080}/schedulerTick`;
  const response = await fetch(url, { method: 'POST' }).catch((err: unknown) => {
    // fetch says only "fetch failed"; its cause says why (ECONNREFUSED: nothing listens there).
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? String(err)}`);
  });
  process.stdout.write(
    `POST ${url} -> ${response.status}\n${JSON.stringify(await response.json(), null, 2)}\n`,
  );
  if (!response.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `tick failed: ${err instanceof Error ? err.message : String(err)} (is npm start running, with the same PORT?)\n`,
  );
  process.exit(1);
});

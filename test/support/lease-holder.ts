/**
 * A child process that holds a lease the way a test suite would (`holdLease`), for the client's tests:
 * `lease-holder.ts <statusUrl> <mode>` acquires a lease on master, prints it as one JSON line, then
 * - `wait`: keeps running until a signal ends it;
 * - `exit`: calls process.exit(0) at once (only the synchronous exit hook can release);
 * - `finish`: returns, letting the event loop run dry (beforeExit releases).
 */
import { holdLease } from '../../scripts/lease/client.js';

const [url, mode] = process.argv.slice(2);
if (!url || !mode) throw new Error('usage: lease-holder.ts <statusUrl> wait|exit|finish');

const handle = await holdLease({ url, version: 'master', owner: `lease-holder ${mode}`, ttlSeconds: 600 });
process.stdout.write(`${JSON.stringify(handle.lease)}\n`);
if (mode === 'wait') setInterval(() => {}, 60_000);
if (mode === 'exit') process.exit(0);

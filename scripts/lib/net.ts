/** Small networking helpers for the local stack and tests. */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port a server was to listen on is taken; the message says which and what to do. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** `err`, or a PortInUseError naming `host:port` with `hint` when the address is taken (EADDRINUSE). */
export function listenError(err: unknown, host: string, port: number, hint: string): unknown {
  return (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
    ? new PortInUseError(`${host}:${port} is in use: ${hint}`)
    : err;
}

/** The port a command-line `flag` names; throws an error that says what a port may be. */
export function parsePortFlag(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag} must be an integer between 0 and 65535 (0 = any free port), got "${value}".`);
  }
  return port;
}

/**
 * `fetch` to the local stack (npm start), whose failure says why and what to check: fetch itself says
 * only "fetch failed"; its cause has the reason (ECONNREFUSED: nothing listens there).
 */
export async function fetchLocalStack(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? String(err);
    throw new Error(`cannot reach ${url}: ${why} (is npm start running, with the same PORT?)`);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Polls `check` every 100 ms until it returns true; throws after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`Timed out after ${timeoutMs} ms`);
}

/**
 * Releases a held lease when the process ends: on SIGINT/SIGTERM (then ends the process as the signal
 * would have), when the event loop runs dry (`beforeExit`), and on `process.exit()` (`exit`, where only
 * synchronous work runs: the DELETE is sent by a short child process that the exit waits for).
 */
import { spawnSync } from 'node:child_process';
import type { LeaseApi } from './api.js';

/** What the hooks use of a held lease (client.ts's LeaseHandle). */
export interface ReleasableLease {
  readonly leaseId: string;
  readonly api: Pick<LeaseApi, 'url' | 'lastToken'>;
  readonly isReleased: boolean;
  release(): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** How long the exit hook waits for its DELETE. */
const EXIT_RELEASE_TIMEOUT_MS = 5_000;

/** A child that sends `DELETE url` with an optional bearer token (read from stdin) and exits. */
const RELEASE_SCRIPT = `
const { url, token } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
fetch(url, { method: 'DELETE', headers: token ? { Authorization: 'Bearer ' + token } : {}, signal: AbortSignal.timeout(${EXIT_RELEASE_TIMEOUT_MS - 500}) })
  .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
`;

/** Releases `handle` synchronously: for the `exit` event, where no promise is awaited. */
function releaseSync(handle: ReleasableLease): void {
  const url = `${handle.api.url}/api/leases/${encodeURIComponent(handle.leaseId)}`;
  spawnSync(process.execPath, ['-e', RELEASE_SCRIPT], {
    input: JSON.stringify({ url, token: handle.api.lastToken() }),
    timeout: EXIT_RELEASE_TIMEOUT_MS,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}

/** Installs the hooks; returns what removes them (the handle calls it once released). */
export function releaseOnExit(handle: ReleasableLease): () => void {
  const removeHooks = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    removeHooks();
    handle
      .release()
      .catch(() => {})
      .finally(() => {
        // Nobody else handles the signal: end the process the way it would have ended.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  const onBeforeExit = () => {
    removeHooks();
    handle.release().catch(() => {});
  };
  const onExit = () => {
    removeHooks();
    if (!handle.isReleased) releaseSync(handle);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  return removeHooks;
}

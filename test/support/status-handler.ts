/**
 * A deploymentStatus handler for suites that test what the page and the JSON API show from a reader:
 * a fixed clock, no logs, and an in-memory lease store (the leases are not what they test).
 */
import type { StatusReader } from '../../functions/core/ports.js';
import { createDeploymentStatusHandler } from '../../functions/deployment-status.js';
import { silentLogger } from '../../functions/log.js';
import { MemoryLeaseStore, MemoryState } from './memory-stores.js';

export function readOnlyStatusHandler(
  reader: StatusReader,
  options: { now: Date; project: string; zone: string; versions: string[] },
): ReturnType<typeof createDeploymentStatusHandler> {
  const clock = () => options.now;
  return createDeploymentStatusHandler({
    reader,
    clock,
    logger: silentLogger,
    project: options.project,
    zone: options.zone,
    leases: {
      store: new MemoryLeaseStore(new MemoryState()),
      versions: options.versions,
      clock,
      randomHex: () => '0123456789abcdef',
    },
  });
}

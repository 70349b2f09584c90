/** The local stack's Cloud Tasks: the project's emulator, unless CLOUD_TASKS_EMULATOR_HOST names one. */
import type { Clock } from '../../../functions/core/ports.js';
import type { Logger } from '../../../functions/log.js';
import { startTasksEmulator, type TasksEmulator } from '../../tasks-emulator/server.js';
import type { LogEntry } from '../grpc-emulator.js';
import type { Started } from './running-components.js';

/**
 * Starts the Tasks emulator unless `env` names one, on `clock`; contributes it (null: not ours) and its
 * address.
 */
export async function startLocalTasks(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  clock: Clock,
): Promise<Started & { tasksEmulator: TasksEmulator | null; tasksEmulatorHost: string }> {
  const named = env.CLOUD_TASKS_EMULATOR_HOST?.trim() ?? '';
  if (named) return { tasksEmulator: null, tasksEmulatorHost: named };
  const emulator = await startTasksEmulator({
    now: () => clock().getTime(),
    log: (entry) => forward(entry, logger),
  });
  logger.info('tasks emulator started', { tasksEmulatorHost: emulator.address });
  return { stop: () => emulator.stop(), tasksEmulator: emulator, tasksEmulatorHost: emulator.address };
}

/** Writes an emulator log entry as a line of the stack's log; entries of other severities are dropped. */
function forward(entry: LogEntry, logger: Logger): void {
  const { severity, message, ...fields } = entry;
  if (severity === 'WARNING') logger.warn(String(message), fields);
  else if (severity === 'ERROR') logger.error(String(message), fields);
  else if (severity === 'INFO') logger.info(String(message), fields);
}

/**
 * Structured logging: one JSON line per event on stdout, in the shape Cloud Logging
 * parses (`severity`, `message`, plus any context fields an operator filters on:
 * `version`, `commit`, `deliveryId`, `task`, `job`, ...).
 */

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** For failures that stop a function from working at all (invalid configuration). */
  critical(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line it writes. */
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

/** Turns an Error into plain fields (name, message, stack) that survive JSON.stringify. */
export function describeError(err: unknown): LogFields {
  if (err instanceof Error) {
    return { errorName: err.name, error: err.message, stack: err.stack };
  }
  return { error: String(err) };
}

/** JSON for a log entry; never throws (a log call must not break its caller). */
function safeStringify(entry: LogFields): string {
  const replacer = (_key: string, value: unknown) =>
    value instanceof Error ? describeError(value) : typeof value === 'bigint' ? value.toString() : value;
  try {
    return JSON.stringify(entry, replacer);
  } catch (err) {
    return JSON.stringify({
      severity: entry.severity,
      message: entry.message,
      logError: `fields could not be serialised: ${(err as Error).message}`,
    });
  }
}

/** Creates a logger writing JSON lines to `sink` (stdout by default). */
export function createLogger(
  base: LogFields = {},
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const write = (severity: Severity, message: string, fields?: LogFields) => {
    // severity and message last: context fields never overwrite them.
    const entry: LogFields = { ...base, ...fields, severity, message };
    sink(safeStringify(entry));
  };
  return {
    debug: (message, fields) => write('DEBUG', message, fields),
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARNING', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
    critical: (message, fields) => write('CRITICAL', message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}

/** A logger that drops everything: for tests that assert on other things. */
export const silentLogger: Logger = createLogger({}, () => {});

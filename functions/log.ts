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

/** Creates a logger writing JSON lines to `sink` (stdout by default). */
export function createLogger(
  base: LogFields = {},
  sink: LogSink = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const write = (severity: Severity, message: string, fields?: LogFields) => {
    const entry: LogFields = { severity, message, ...base, ...fields };
    sink(JSON.stringify(entry, (_key, value) => (value instanceof Error ? describeError(value) : value)));
  };
  return {
    debug: (message, fields) => write('DEBUG', message, fields),
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARNING', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
    child: (fields) => createLogger({ ...base, ...fields }, sink),
  };
}

/** A logger that drops everything: for tests that assert on other things. */
export const silentLogger: Logger = createLogger({}, () => {});

/** The one error type of configuration, and how a schema problem is put in words. */
import type { z } from 'zod';

/** Thrown for any invalid configuration; the message lists every problem. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** `field.path: what is wrong (got <value>)`, or the unknown keys and how to fix them. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown key(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; remove them or fix their spelling`;
  }
  const value = issue.input === undefined ? 'missing' : `got ${JSON.stringify(issue.input)}`;
  return `${field}: ${issue.message} (${value})`;
}

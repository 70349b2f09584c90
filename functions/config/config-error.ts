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

/** Longest quoted value in a problem: a problem names the value, it does not reprint the file. */
const MAX_QUOTED_VALUE_LENGTH = 200;

/** The value as JSON, cut short; one that refers to itself (a YAML alias cycle) is said so. */
function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return 'a value that contains itself (a YAML alias of an enclosing node)';
  }
  return text.length > MAX_QUOTED_VALUE_LENGTH ? `${text.slice(0, MAX_QUOTED_VALUE_LENGTH)}…` : text;
}

/** `field.path: what is wrong (got <value>)`, or the unknown keys and how to fix them. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const field = formatPath(issue.path) || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return `${field}: unknown key(s) ${issue.keys.map((key) => quote(key)).join(', ')}; remove them or fix their spelling`;
  }
  const value = issue.input === undefined ? 'missing' : `got ${quote(issue.input)}`;
  return `${field}: ${issue.message} (${value})`;
}

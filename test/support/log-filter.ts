/**
 * The subset of the Cloud Logging query language that infra/monitoring*.tf writes, evaluated against
 * log entries as Cloud Logging makes them from the functions' stdout, so a test can check that a
 * metric's filter matches the lines the code really writes.
 *
 * Entries: a 2nd gen function's stdout line that is a JSON object becomes a LogEntry whose `jsonPayload`
 * is that object with `severity` lifted out into the entry's `severity` (`message` stays in the payload
 * and is also what the Logs Explorer shows as the summary).
 *
 * Grammar (anything else is a syntax error, so a filter cannot silently use more than is checked):
 *
 *     filter     := and
 *     and        := or ("AND" or)*                -- AND is written out: no implicit AND by juxtaposition
 *     or         := unary ("OR" unary)*           -- OR binds tighter than AND, as Logging documents
 *     unary      := "NOT" unary | "(" and ")" | comparison
 *     comparison := field op value
 *     field      := severity | jsonPayload.a.b... | resource.type | resource.labels.x | logName
 *     op         := "=" | "!=" | ":" | ">=" | ">" | "<=" | "<"
 *     value      := "quoted string" (with \" and \\) | bare word | number | "*" (only after ":")
 *
 * Semantics, as Cloud Logging documents them: `=` is equality (of strings, not case-sensitive; a number
 * field with an unquoted number numerically), `:` "has" (a substring, not case-sensitive; `:*` the field
 * is present), the orderings compare numbers, or severities by level (DEBUG < INFO < ... < EMERGENCY).
 * A comparison on a field the entry does not have is false; `NOT` of it is true.
 */

/** A log entry as Cloud Logging stores it (the parts the filters read). */
export interface LogEntry {
  severity: string;
  jsonPayload: Record<string, unknown>;
  resource: { type: string; labels: Record<string, string> };
  logName: string;
}

/** The severities in order (google.logging.type.LogSeverity). */
export const SEVERITY_LEVELS = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;

/**
 * The entry Cloud Logging makes of one stdout line of a 2nd gen function (a Cloud Run service):
 * severity lifted out of the JSON, the rest kept as jsonPayload. Throws on a line that is not a JSON object.
 */
export function logEntryOf(line: string, service = 'deployworker'): LogEntry {
  const parsed = JSON.parse(line) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`not a JSON object: ${line}`);
  }
  const { severity, ...jsonPayload } = parsed as Record<string, unknown>;
  return {
    severity: typeof severity === 'string' ? severity : 'DEFAULT',
    jsonPayload,
    resource: { type: 'cloud_run_revision', labels: { service_name: service } },
    logName: 'projects/p/logs/run.googleapis.com%2Fstdout',
  };
}

export type Operator = '=' | '!=' | ':' | '>=' | '>' | '<=' | '<';

/** A parsed filter. */
export type FilterNode =
  | { kind: 'and' | 'or'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  | { kind: 'compare'; field: string; op: Operator; value: string; isQuoted: boolean };

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'op'; text: Operator }
  | { kind: 'paren'; text: '(' | ')' };

const OPERATORS: Operator[] = ['!=', '>=', '<=', '=', ':', '>', '<'];

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\') {
      value += text[i + 1] ?? '';
      i++;
    } else if (char === '"') return { value, end: i + 1 };
    else value += char;
  }
  throw new Error(`unterminated string in filter: ${text}`);
}

/** Splits a filter into tokens. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: 'paren', text: char });
      i++;
    } else if (char === '"') {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'string', text: value });
      i = end;
    } else {
      const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
      if (op) {
        tokens.push({ kind: 'op', text: op });
        i += op.length;
        continue;
      }
      const word = /^[A-Za-z0-9_.*/-]+/.exec(text.slice(i))?.[0];
      if (!word) throw new Error(`unexpected ${JSON.stringify(char)} at ${i} in filter: ${text}`);
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    }
  }
  return tokens;
}

const FIELD =
  /^(severity|logName|resource\.type|resource\.labels\.[A-Za-z_][A-Za-z0-9_]*|jsonPayload(\.[A-Za-z_][A-Za-z0-9_]*)+)$/;

/** A recursive-descent parser over the tokens of one filter. */
class Parser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  parse(): FilterNode {
    const node = this.and();
    if (this.position < this.tokens.length) this.fail('expected AND, OR or the end');
    return node;
  }

  private fail(why: string): never {
    const at = this.tokens[this.position];
    throw new Error(
      `${why} at token ${this.position} (${at ? JSON.stringify(at.text) : 'end'}) in filter: ${this.text}`,
    );
  }

  private peekWord(word: string): boolean {
    const token = this.tokens[this.position];
    return token?.kind === 'word' && token.text === word;
  }

  // Unlike most languages, the Logging query language binds OR tighter than AND:
  // `a AND b OR c` is `a AND (b OR c)`.
  private and(): FilterNode {
    const items = [this.or()];
    while (this.peekWord('AND')) {
      this.position++;
      items.push(this.or());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'and', items };
  }

  private or(): FilterNode {
    const items = [this.unary()];
    while (this.peekWord('OR')) {
      this.position++;
      items.push(this.unary());
    }
    return items.length === 1 ? (items[0] as FilterNode) : { kind: 'or', items };
  }

  private unary(): FilterNode {
    if (this.peekWord('NOT')) {
      this.position++;
      return { kind: 'not', item: this.unary() };
    }
    const token = this.tokens[this.position];
    if (token?.kind === 'paren' && token.text === '(') {
      this.position++;
      const inner = this.and();
      const close = this.tokens[this.position];
      if (close?.kind !== 'paren' || close.text !== ')') this.fail('expected )');
      this.position++;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): FilterNode {
    const field = this.tokens[this.position];
    if (field?.kind !== 'word' || !FIELD.test(field.text)) this.fail('expected a field');
    const op = this.tokens[this.position + 1];
    if (op?.kind !== 'op') {
      this.position++;
      this.fail('expected an operator');
    }
    const value = this.tokens[this.position + 2];
    if (value?.kind !== 'word' && value?.kind !== 'string') {
      this.position += 2;
      this.fail('expected a value');
    }
    if (value.kind === 'word' && value.text === '*' && op.text !== ':') this.fail('* only after :');
    this.position += 3;
    return {
      kind: 'compare',
      field: field.text,
      op: op.text,
      value: value.text,
      isQuoted: value.kind === 'string',
    };
  }
}

/** Parses a filter; throws, naming the place, on anything outside the subset. */
export function parseFilter(text: string): FilterNode {
  return new Parser(tokenize(text), text).parse();
}

/** The value of `field` in the entry, or undefined when it has none. */
export function fieldValue(entry: LogEntry, field: string): unknown {
  if (field === 'severity') return entry.severity;
  if (field === 'logName') return entry.logName;
  if (field === 'resource.type') return entry.resource.type;
  if (field.startsWith('resource.labels.'))
    return entry.resource.labels[field.slice('resource.labels.'.length)];
  let value: unknown = entry.jsonPayload;
  for (const key of field.split('.').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function severityRank(value: string): number {
  const rank = SEVERITY_LEVELS.indexOf(value.toUpperCase() as (typeof SEVERITY_LEVELS)[number]);
  if (rank < 0) throw new Error(`unknown severity ${value}`);
  return rank;
}

function ordered(op: Operator, left: number, right: number): boolean {
  switch (op) {
    case '>=':
      return left >= right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '<':
      return left < right;
    default:
      return left === right;
  }
}

function isEqual(actual: unknown, value: string, isQuoted: boolean): boolean {
  if (typeof actual === 'number') return !isQuoted && actual === Number(value);
  if (typeof actual === 'boolean') return !isQuoted && String(actual) === value;
  return typeof actual === 'string' && actual.toLowerCase() === value.toLowerCase();
}

function compare(entry: LogEntry, node: Extract<FilterNode, { kind: 'compare' }>): boolean {
  const actual = fieldValue(entry, node.field);
  if (node.op === ':' && node.value === '*') return actual !== undefined && actual !== null;
  if (actual === undefined || actual === null || typeof actual === 'object') return false;
  switch (node.op) {
    case ':':
      return String(actual).toLowerCase().includes(node.value.toLowerCase());
    case '=':
      return node.field === 'severity'
        ? severityRank(String(actual)) === severityRank(node.value)
        : isEqual(actual, node.value, node.isQuoted);
    case '!=':
      return !isEqual(actual, node.value, node.isQuoted);
    default:
      if (node.field === 'severity') {
        return ordered(node.op, severityRank(String(actual)), severityRank(node.value));
      }
      return typeof actual === 'number' && ordered(node.op, actual, Number(node.value));
  }
}

/** Whether `filter` (text or parsed) selects `entry`. */
export function matchesFilter(filter: string | FilterNode, entry: LogEntry): boolean {
  const node = typeof filter === 'string' ? parseFilter(filter) : filter;
  switch (node.kind) {
    case 'and':
      return node.items.every((item) => matchesFilter(item, entry));
    case 'or':
      return node.items.some((item) => matchesFilter(item, entry));
    case 'not':
      return !matchesFilter(node.item, entry);
    default:
      return compare(entry, node);
  }
}

/** Every field a filter names, in order, without repeats. */
export function fieldsOf(filter: string | FilterNode): string[] {
  const node = typeof filter === 'string' ? parseFilter(filter) : filter;
  switch (node.kind) {
    case 'and':
    case 'or':
      return [...new Set(node.items.flatMap((item) => fieldsOf(item)))];
    case 'not':
      return fieldsOf(node.item);
    default:
      return [node.field];
  }
}

/**
 * The field of a log-based metric's extractor, `EXTRACT(jsonPayload.x)` (the only form infra/ uses);
 * throws on any other form.
 */
export function extractorField(extractor: string): string {
  const field = /^EXTRACT\(([A-Za-z0-9_.]+)\)$/.exec(extractor)?.[1];
  if (!field || !FIELD.test(field)) throw new Error(`unsupported extractor ${extractor}`);
  return field;
}

/**
 * Label selectors, with the grammar of k8s.io/apimachinery/pkg/labels:
 * `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`, `!a`, `a>1`, `a<1`, joined by commas.
 */
import { labelValueProblems, qualifiedNameProblems } from './label-syntax.js';

/** One parsed requirement of a selector. */
export type SelectorRequirement =
  | { key: string; operator: 'exists' | 'doesNotExist' }
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] }
  | { key: string; operator: 'gt' | 'lt'; value: number };

/** A label selector that does not parse. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

const SELECTOR_SYMBOLS = ['!=', '==', '!', '=', '(', ')', ',', '>', '<'];

function tokenizeSelector(selector: string): string[] {
  const tokens: string[] = [];
  let index = 0;
  while (index < selector.length) {
    const char = selector[index] as string;
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const symbol = SELECTOR_SYMBOLS.find((candidate) => selector.startsWith(candidate, index));
    if (symbol) {
      tokens.push(symbol);
      index += symbol.length;
      continue;
    }
    let end = index;
    while (
      end < selector.length &&
      !/\s/.test(selector[end] as string) &&
      !SELECTOR_SYMBOLS.some((candidate) => selector.startsWith(candidate, end))
    )
      end++;
    tokens.push(selector.slice(index, end));
    index = end;
  }
  return tokens;
}

function isIdentifier(token: string | undefined): token is string {
  return token !== undefined && !SELECTOR_SYMBOLS.includes(token);
}

/** The tokens of a selector and how far the parser has read. */
class TokenCursor {
  private position = 0;

  constructor(private readonly tokens: string[]) {}

  /** The next token, not consumed; undefined at the end. */
  peek(): string | undefined {
    return this.tokens[this.position];
  }

  /** Consumes the next token; undefined at the end. */
  next(): string | undefined {
    return this.tokens[this.position++];
  }
}

function describe(token: string | undefined): string {
  return token === undefined ? '' : token;
}

function fail(detail: string): never {
  throw new SelectorError(`unable to parse requirement: ${detail}`);
}

function checkKey(key: string): void {
  const problems = qualifiedNameProblems(key);
  if (problems.length > 0) fail(`invalid label key "${key}": ${problems.join('; ')}`);
}

function checkValue(value: string): void {
  const problems = labelValueProblems(value);
  if (problems.length > 0) fail(`invalid label value: "${value}": at key: ${problems.join('; ')}`);
}

/** Parses a label selector (`a=b,c!=d,e in (f,g),!h,i`); an empty selector selects everything. */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  const tokens = new TokenCursor(tokenizeSelector(selector));
  const requirements: SelectorRequirement[] = [];
  if (tokens.peek() === undefined) return requirements;
  for (;;) {
    requirements.push(parseRequirement(tokens));
    const token = tokens.next();
    if (token === undefined) break;
    if (token !== ',') fail(`found '${token}', expected: ',' or 'end of string'`);
    if (tokens.peek() === undefined) fail("found '', expected: identifier after ','");
  }
  return requirements;
}

function parseRequirement(tokens: TokenCursor): SelectorRequirement {
  if (tokens.peek() === '!') return parseDoesNotExist(tokens);
  const key = tokens.next();
  if (!isIdentifier(key))
    return fail(`found '${describe(key)}', expected: !, identifier, or 'end of string'`);
  checkKey(key);
  const operator = tokens.peek();
  if (operator === undefined || operator === ',') return { key, operator: 'exists' };
  tokens.next();
  const parseOperand = OPERAND_PARSERS.get(operator);
  if (!parseOperand) return fail(`found '${operator}', expected: in, notin, =, ==, !=, gt, lt`);
  return parseOperand(key, operator, tokens);
}

/** `!key` */
function parseDoesNotExist(tokens: TokenCursor): SelectorRequirement {
  tokens.next();
  const key = tokens.next();
  if (!isIdentifier(key)) return fail(`found '${describe(key)}', expected: identifier`);
  checkKey(key);
  return { key, operator: 'doesNotExist' };
}

/** Parses what follows `key operator`, the operator already consumed. */
type OperandParser = (key: string, operator: string, tokens: TokenCursor) => SelectorRequirement;

/** `key=value`, `key==value`, `key!=value`; the value may be empty. */
function parseEquality(key: string, operator: string, tokens: TokenCursor): SelectorRequirement {
  const value = isIdentifier(tokens.peek()) ? (tokens.next() as string) : '';
  checkValue(value);
  return { key, operator: operator === '!=' ? 'notEquals' : 'equals', value };
}

/** `key>integer`, `key<integer` */
function parseComparison(key: string, operator: string, tokens: TokenCursor): SelectorRequirement {
  const raw = tokens.next();
  if (!isIdentifier(raw) || !/^-?\d+$/.test(raw))
    return fail(`for 'Gt', 'Lt' operators, the value must be an integer, got '${describe(raw)}'`);
  return { key, operator: operator === '>' ? 'gt' : 'lt', value: Number(raw) };
}

/** `key in (a,b)`, `key notin (a,b)`; an empty place between commas is the empty value. */
function parseSet(key: string, operator: string, tokens: TokenCursor): SelectorRequirement {
  const open = tokens.next();
  if (open !== '(') return fail(`found '${describe(open)}', expected: '('`);
  const values = parseSetValues(tokens);
  if (values.length === 0) return fail("for 'in', 'notin' operators, values set can't be empty");
  values.forEach(checkValue);
  return { key, operator: operator === 'in' ? 'in' : 'notIn', values };
}

/** The values up to and including the closing ')': `()` has none, `(,)` two empty ones. */
function parseSetValues(tokens: TokenCursor): string[] {
  const values: string[] = [];
  if (tokens.peek() === ')') {
    tokens.next();
    return values;
  }
  for (;;) {
    values.push(isIdentifier(tokens.peek()) ? (tokens.next() as string) : '');
    const separator = tokens.next();
    if (separator === ')') return values;
    if (separator !== ',') return fail(`found '${describe(separator)}', expected: ',', ')' or identifier`);
  }
}

/** `Map`, not an object: an operator token such as `constructor` must not find a prototype member. */
const OPERAND_PARSERS = new Map<string, OperandParser>([
  ['=', parseEquality],
  ['==', parseEquality],
  ['!=', parseEquality],
  ['>', parseComparison],
  ['<', parseComparison],
  ['in', parseSet],
  ['notin', parseSet],
]);

function matchesRequirement(
  labels: Record<string, string> | undefined,
  requirement: SelectorRequirement,
): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, requirement.key);
  const value = labels?.[requirement.key];
  switch (requirement.operator) {
    case 'exists':
      return has;
    case 'doesNotExist':
      return !has;
    case 'equals':
      return has && value === requirement.value;
    case 'notEquals':
      return !has || value !== requirement.value;
    case 'in':
      return has && requirement.values.includes(value as string);
    case 'notIn':
      return !has || !requirement.values.includes(value as string);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const number = Number(value);
      return requirement.operator === 'gt' ? number > requirement.value : number < requirement.value;
    }
  }
}

/** True when `labels` satisfy every requirement. */
export function matchesLabelSelector(
  labels: Record<string, string> | undefined,
  requirements: SelectorRequirement[],
): boolean {
  return requirements.every((requirement) => matchesRequirement(labels, requirement));
}

/**
 * Parses `selector` (a `labelSelector` query parameter) into a predicate on labels; throws a
 * SelectorError with the API server's wording when it does not parse.
 */
export function labelSelectorPredicate(
  selector: string,
): (labels: Record<string, string> | undefined) => boolean {
  const requirements = parseLabelSelector(selector);
  return (labels) => matchesLabelSelector(labels, requirements);
}

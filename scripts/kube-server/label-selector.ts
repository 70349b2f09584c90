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

/** Parses a label selector (`a=b,c!=d,e in (f,g),!h,i`); an empty selector selects everything. */
export function parseLabelSelector(selector: string): SelectorRequirement[] {
  const tokens = tokenizeSelector(selector);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const describe = (token: string | undefined) => (token === undefined ? '' : token);
  const fail = (detail: string): never => {
    throw new SelectorError(`unable to parse requirement: ${detail}`);
  };
  const checkKey = (key: string) => {
    const problems = qualifiedNameProblems(key);
    if (problems.length > 0) fail(`invalid label key "${key}": ${problems.join('; ')}`);
  };
  const checkValue = (value: string) => {
    const problems = labelValueProblems(value);
    if (problems.length > 0) fail(`invalid label value: "${value}": at key: ${problems.join('; ')}`);
  };

  const parseRequirement = (): SelectorRequirement => {
    if (peek() === '!') {
      next();
      const key = next();
      if (!isIdentifier(key)) return fail(`found '${describe(key)}', expected: identifier`);
      checkKey(key);
      return { key, operator: 'doesNotExist' };
    }
    const key = next();
    if (!isIdentifier(key))
      return fail(`found '${describe(key)}', expected: !, identifier, or 'end of string'`);
    checkKey(key);
    const operator = peek();
    if (operator === undefined || operator === ',') return { key, operator: 'exists' };
    next();
    if (operator === '=' || operator === '==' || operator === '!=') {
      const value = isIdentifier(peek()) ? (next() as string) : '';
      checkValue(value);
      return { key, operator: operator === '!=' ? 'notEquals' : 'equals', value };
    }
    if (operator === '>' || operator === '<') {
      const raw = next();
      const value = Number(raw);
      if (!isIdentifier(raw) || !/^-?\d+$/.test(raw))
        return fail(`for 'Gt', 'Lt' operators, the value must be an integer, got '${describe(raw)}'`);
      return { key, operator: operator === '>' ? 'gt' : 'lt', value };
    }
    if (operator === 'in' || operator === 'notin') {
      if (next() !== '(') return fail(`found '${describe(tokens[position - 1])}', expected: '('`);
      const values: string[] = [];
      let expectValue = true;
      for (;;) {
        const token = next();
        if (token === undefined) return fail("found '', expected: ',', ')' or identifier");
        if (token === ')') {
          if (expectValue && values.length > 0) values.push('');
          break;
        }
        if (token === ',') {
          if (expectValue) values.push('');
          expectValue = true;
          continue;
        }
        if (!isIdentifier(token) || !expectValue)
          return fail(`found '${token}', expected: ',', ')' or identifier`);
        values.push(token);
        expectValue = false;
      }
      if (values.length === 0) return fail("for 'in', 'notin' operators, values set can't be empty");
      values.forEach(checkValue);
      return { key, operator: operator === 'in' ? 'in' : 'notIn', values };
    }
    return fail(`found '${operator}', expected: in, notin, =, ==, !=, gt, lt`);
  };

  const requirements: SelectorRequirement[] = [];
  if (tokens.length === 0) return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const token = next();
    if (token === undefined) break;
    if (token !== ',') fail(`found '${token}', expected: ',' or 'end of string'`);
    if (peek() === undefined) fail("found '', expected: identifier after ','");
  }
  return requirements;
}

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

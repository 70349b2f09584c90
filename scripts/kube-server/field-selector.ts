/**
 * Field selectors (`metadata.name=x,involvedObject.kind!=Pod`): the grammar of
 * k8s.io/apimachinery/pkg/fields. Each resource says which fields it can be selected by; any other
 * field is refused with the API server's 400, never ignored (a caller relying on it would get
 * every object).
 */
import { badRequest, type StatusError } from './status-error.js';

interface FieldRequirement {
  field: string;
  value: string;
  isNegated: boolean;
}

/**
 * A predicate over an object's selectable fields (`fieldsOf` gives their values) for `selector`;
 * throws a 400 StatusError for a selector that does not parse or a field not in `supported`.
 */
export function fieldSelectorPredicate(
  selector: string,
  supported: readonly string[],
): (fields: Record<string, string>) => boolean {
  const requirements = parseFieldSelector(selector);
  for (const { field } of requirements) if (!supported.includes(field)) throw fieldNotSupported(field);
  return (fields) =>
    requirements.every(({ field, value, isNegated }) => (fields[field] === value) !== isNegated);
}

function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitUnescaped(selector, ',').map((term) => {
    const match = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/s.exec(term.trim());
    if (!match)
      throw badRequest(`invalid field selector: invalid selector: '${selector}'; can't understand '${term}'`);
    return {
      field: (match[1] as string).trim(),
      value: unescapeValue(match[3] as string),
      isNegated: match[2] === '!=',
    };
  });
}

/** Splits at `separator` where it is not escaped with a backslash. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === '\\' && index + 1 < text.length) {
      current += char + (text[index + 1] as string);
      index++;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

function fieldNotSupported(field: string): StatusError {
  return badRequest(`field label not supported: ${field}`);
}

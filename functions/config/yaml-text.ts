/**
 * YAML text to a plain value, for the deployments file and the Job templates: js-yaml with the YAML
 * 1.2 core schema (null, booleans, numbers, strings; no timestamps, no `<<` merges, no `!!binary`,
 * as the `yaml` package read them before).
 *
 * Why js-yaml: every cold start reads the deployments file, and the `yaml` package took ~26 ms to
 * import (its ES modules) and ~23 ms for its first parse of a 24-version file, measured here; js-yaml
 * (one ES module) 5 ms and 3.5 ms. The tick and the worker load js-yaml anyway, with
 * @kubernetes/client-node.
 */
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';

/** Text that is not YAML; the message says what and where (`at line L, column C`, with the line). */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
}

/**
 * The line (from 1) of the first document marker (`---`, `...`) that follows content: where a second
 * document begins. js-yaml refuses a second document without saying where it is.
 */
function secondDocumentLine(text: string): number {
  const lines = text.split(/\r?\n/);
  let hasContent = false;
  for (const [index, line] of lines.entries()) {
    if (/^(---|\.\.\.)(\s|$)/.test(line)) {
      if (hasContent) return index + 1;
      hasContent = /^---\s+\S/.test(line) && !/^---\s+#/.test(line);
    } else if (/^\s*[^\s#%]/.test(line)) {
      hasContent = true;
    }
  }
  return lines.length;
}

/** js-yaml's reason, at the position people count from 1, and its excerpt with a caret. */
function describe(err: YAMLException, text: string): string {
  const mark = err.mark;
  if (!mark) {
    const reason = err.reason || err.message;
    return `${reason}; the file must be one YAML document at line ${secondDocumentLine(text)}, column 1`;
  }
  return `${err.reason} at line ${mark.line + 1}, column ${mark.column + 1}:\n\n${mark.snippet}\n`;
}

/** Parses one YAML document; an empty one is null. Throws YamlSyntaxError when `text` is not YAML. */
export function parseYamlText(text: string): unknown {
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA });
  } catch (err) {
    if (err instanceof YAMLException) throw new YamlSyntaxError(describe(err, text));
    // A recursive descent parser: nesting thousands of levels deep overflows the stack.
    if (err instanceof RangeError) throw new YamlSyntaxError(`nested too deeply to read (${err.message})`);
    throw err;
  }
  return value === undefined ? null : value;
}

/**
 * The configuration loader under any input: a deployments file mutated anywhere (every field given
 * any YAML value, text cut or spliced, YAML aliases and tags) and any environment. Either it loads, or
 * it throws one ConfigError whose message lists every problem, each naming the field (or variable) it
 * is about; never another exception, never a secret's value.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { dump, load as parseYaml } from 'js-yaml';

const toYaml = (value: unknown) => dump(value, { skipInvalid: true });

import { DEFAULT_CONFIG_PATH } from '../../functions/config/deployments-file.js';
import { ENVIRONMENT_VARIABLES, readEnvironment } from '../../functions/config/environment.js';
import { ConfigError, parseDeploymentsConfig } from '../../functions/config.js';
import { fuzzRuns, mutateAt } from './support/fuzz.js';

const TEMPLATE_TEXT = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
const TEMPLATE = parseYaml(TEMPLATE_TEXT) as unknown;

/** A problem names a field path (`versions[0].branch`, `(top level)`) or the YAML position. */
const NAMED_PROBLEM = /^(\(top level\)|[A-Za-z_][\w]*(\[\d+\]|\.[A-Za-z_]\w*)*): \S|at line \d+, column \d+/;

/** Parses `text`; asserts that a failure is one ConfigError that lists each of its problems by field. */
function assertLoadsOrExplains(text: string): void {
  try {
    parseDeploymentsConfig(text, 'fuzz.yaml');
  } catch (err) {
    assert.ok(
      err instanceof ConfigError,
      `${(err as Error)?.name}: ${(err as Error)?.message}\n--- input:\n${text}`,
    );
    assert.ok(err.problems.length > 0, err.message);
    assert.match(err.message, /fuzz\.yaml/);
    for (const problem of err.problems) {
      assert.ok(err.message.includes(problem.split('\n')[0] ?? problem), `${problem} is not in the message`);
      assert.match(problem, NAMED_PROBLEM);
    }
  }
}

/** A value that contains itself: `yaml` writes it as an anchor and an alias of it (`&a [ *a ]`). */
function cyclic(kind: 'array' | 'object'): unknown {
  if (kind === 'array') {
    const array: unknown[] = [];
    array.push(array);
    return array;
  }
  const object: Record<string, unknown> = { name: 'x' };
  object.self = object;
  return object;
}

/** YAML values of every kind, including the ones JSON has no word for. */
const yamlValue = fc.oneof(
  fc.constantFrom('array', 'object').map((kind) => cyclic(kind as 'array' | 'object')),
  fc.jsonValue(),
  fc.constantFrom('.inf', '-.inf', '.nan', '~', 'yes', 'no', '0x1F', '1e400', '2026-11-30', '-1', '0', '1.5'),
  fc.string({ unit: 'grapheme' }),
);

describe('the configuration loader under any input', () => {
  it('a deployments file with any field set to any value: loads, or one ConfigError naming each problem', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), yamlValue, (path, value) => {
        assertLoadsOrExplains(toYaml(mutateAt(TEMPLATE, path, value)));
      }),
      fuzzRuns(400),
    );
  });

  it('several fields changed at once: every problem is reported, not just the first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 4 }), yamlValue), { minLength: 2, maxLength: 5 }),
        (edits) => {
          const mutated = edits.reduce((doc, [path, value]) => mutateAt(doc, path, value), TEMPLATE);
          assertLoadsOrExplains(toYaml(mutated));
        },
      ),
      fuzzRuns(200),
    );
  });

  it('the file cut, spliced with YAML syntax (anchors, aliases, tags, flow), or any text at all', () => {
    const syntax = fc.constantFrom(
      '&a ',
      '*a',
      '!!binary ',
      '!!str ',
      '!!timestamp ',
      '? ',
      ': ',
      '- ',
      '{',
      '}',
      '[',
      ']',
      '\t',
      '"',
      "'",
      '|',
      '>',
      '%YAML 1.1\n',
      '---\n',
      '...\n',
      '&a [*a]',
      '<<: *a\n',
    );
    const edited = fc
      .tuple(fc.nat(), fc.nat(), fc.array(syntax, { maxLength: 4 }))
      .map(([from, length, inserted]) => {
        const at = from % (TEMPLATE_TEXT.length + 1);
        return `${TEMPLATE_TEXT.slice(0, at)}${inserted.join('')}${TEMPLATE_TEXT.slice(at + (length % 40))}`;
      });
    fc.assert(
      fc.property(fc.oneof(edited, fc.string({ unit: 'binary' })), assertLoadsOrExplains),
      fuzzRuns(400),
    );
  });

  it('any environment: settings, or every problem naming its variable; secrets never quoted', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/);
    const anyValue = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom('', ' ', 'true', 'off', '127.0.0.1:1', 'https://x'),
    );
    const env = fc.tuple(fc.dictionary(fc.constantFrom(...ENVIRONMENT_VARIABLES), anyValue), secret, secret);
    fc.assert(
      fc.property(env, ([values, webhookSecret, token]) => {
        const result = readEnvironment({
          ...values,
          GITHUB_WEBHOOK_SECRET: webhookSecret,
          GITHUB_TOKEN: token,
        });
        if (result.ok) return;
        assert.ok(result.problems.length > 0);
        for (const problem of result.problems) {
          // `NAME: ...`, or `NAME, OTHER: ...` for a problem of several together.
          const variables = (problem.split(':')[0] ?? '').split(/,\s*/);
          assert.ok(
            variables.every((name) => ENVIRONMENT_VARIABLES.includes(name)),
            `${problem} names no variable`,
          );
          assert.ok(!problem.includes(webhookSecret) && !problem.includes(token), `a secret in: ${problem}`);
        }
      }),
      fuzzRuns(400),
    );
  });
});

import assert from 'node:assert/strict';
import { parseYamlText, YamlSyntaxError } from '../../functions/config/yaml-text.js';

describe('parseYamlText: YAML 1.2 core, as the deployments file and the Job templates are read', () => {
  const values: Array<[string, unknown]> = [
    ['a: 1\nb: [x, "y"]\n', { a: 1, b: ['x', 'y'] }],
    // The core schema: no timestamps, and yes/no/on/off are words (YAML 1.1 read them as booleans).
    ['day: 2026-11-30', { day: '2026-11-30' }],
    [
      'a: yes\nb: off\nc: true\nd: ~\ne: .inf\nf: 0x1F',
      { a: 'yes', b: 'off', c: true, d: null, e: Infinity, f: 31 },
    ],
    // `<<` is a plain key (no merges), so the schema's strict objects report it.
    ['base: &b {x: 1}\nuse:\n  <<: *b', { base: { x: 1 }, use: { '<<': { x: 1 } } }],
    ['---\na: 1\n...\n', { a: 1 }],
    ['', null],
    ['# only a comment\n', null],
  ];
  for (const [text, expected] of values) {
    it(`reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseYamlText(text), expected);
    });
  }

  it('keeps an alias of an enclosing node as the value that contains itself', () => {
    const value = parseYamlText('&a [*a]') as unknown[];
    assert.equal(value[0], value);
  });

  const broken: Array<[string, string, RegExp]> = [
    ['a compact nested mapping', 'a: b: c', /at line 1, column 5:/],
    ['an unclosed flow sequence', 'a: [1, 2', /at line 2, column 1:/],
    ['a duplicated key', 'a: 1\na: 2', /duplicated mapping key at line 2, column 1:/],
    ['two documents', 'a: 1\n---\nb: 2\n', /single document.* at line 2, column 1/],
    ['a document after its end marker', '---\na: 1\n...\nb: 2\n', /single document.* at line 3, column 1/],
    ['a tag the core schema has not', 'x: !!binary abc', /unknown tag .* at line 1, column \d+:/],
    ['an alias of no anchor', 'x: *nowhere', /unidentified alias .* at line 1, column \d+:/],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses ${what} with what and where`, () => {
      assert.throws(
        () => parseYamlText(text),
        (err: unknown) => err instanceof YamlSyntaxError && message.test(err.message),
      );
    });
  }

  it('refuses nesting too deep to read as a YamlSyntaxError, not a stack overflow', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    assert.throws(
      () => parseYamlText(deep),
      (err: unknown) => err instanceof YamlSyntaxError,
    );
  });
});

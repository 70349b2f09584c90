/**
 * The layering rules of docs/architecture.md, checked on the source text: the core does no I/O and
 * never reads the clock or the environment, production code never imports the development tools, and
 * no source file outside test/ grows past 400 lines.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAX_LINES = 400;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] as string,
  );
}

/** The text without comments, so a rule quoted in a doc comment is not a violation. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('architecture', () => {
  const core = sourceFiles('functions/core');

  it('finds the core', () => assert.ok(core.length >= 10, core.join(', ')));

  for (const file of core) {
    it(`${file}: imports only the core and node:crypto`, () => {
      const outside = importsOf(readFileSync(join(ROOT, file), 'utf8')).filter(
        (spec) => !(spec.startsWith('./') && !spec.includes('/', 2)) && spec !== 'node:crypto',
      );
      assert.deepEqual(outside, []);
    });

    it(`${file}: reads neither the clock nor the environment`, () => {
      const text = code(readFileSync(join(ROOT, file), 'utf8'));
      assert.doesNotMatch(text, /Date\.now\(|new Date\(\)|process\.env|performance\.now/);
    });
  }

  it('production code never imports the development tools', () => {
    const offenders = sourceFiles('functions').filter((file) =>
      importsOf(readFileSync(join(ROOT, file), 'utf8')).some((spec) => spec.includes('scripts/')),
    );
    assert.deepEqual(offenders, []);
  });

  it(`no source file outside test/ is over ${MAX_LINES} lines`, () => {
    const long = [...sourceFiles('functions'), ...sourceFiles('scripts')]
      .map((file) => ({
        file: relative(ROOT, join(ROOT, file)),
        lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length,
      }))
      .filter(({ lines }) => lines > MAX_LINES);
    assert.deepEqual(long, []);
  });
});

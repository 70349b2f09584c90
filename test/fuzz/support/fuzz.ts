/**
 * fast-check settings of the fuzz tier. Each property has a fixed number of runs, sized so that the
 * whole tier takes a minute or two; the seed is random unless FUZZ_SEED is set.
 *
 * To replay a failure, copy the seed (and path) fast-check printed:
 *   FUZZ_SEED=1234567 FUZZ_PATH="12:0:3" npm run test:fuzz -- --grep "<the test's name>"
 * FUZZ_RUNS_SCALE=10 runs each property ten times as often (a longer hunt before a release).
 */
import fc from 'fast-check';

function numberFrom(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number (got ${JSON.stringify(text)})`);
  return value;
}

/** True when FUZZ_PATH replays one counterexample: a test's checks over many runs do not apply. */
export function isReplaying(): boolean {
  return Boolean(process.env.FUZZ_PATH);
}

/** The parameters of a property checked `numRuns` times (scaled by FUZZ_RUNS_SCALE). */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  const seed = numberFrom('FUZZ_SEED');
  const path = process.env.FUZZ_PATH;
  const scale = numberFrom('FUZZ_RUNS_SCALE') ?? 1;
  return {
    numRuns: Math.max(1, Math.round(numRuns * scale)),
    ...(seed === undefined ? {} : { seed }),
    ...(path ? { path, endOnFailure: true } : {}),
  };
}

/** Any bytes, biased towards what parsers trip on: JSON-ish text, invalid UTF-8, control bytes. */
export function hostileBytes(maxLength = 2000): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes)),
    fc.json().map((text) => Buffer.from(text)),
    fc.string({ unit: 'binary', maxLength }).map((text) => Buffer.from(text)),
    fc.tuple(fc.json(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([text, at, junk]) => {
      const bytes = Buffer.from(text);
      const cut = at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, cut), Buffer.from(junk), bytes.subarray(cut)]);
    }),
  );
}

/** JSON nested `depth` levels deep: arrays, objects, or both. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A JSON value with one field somewhere replaced by `replacement` (a mutated real payload). */
export function mutateAt(value: unknown, path: number[], replacement: unknown): unknown {
  if (value === null || typeof value !== 'object') return replacement;
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  if (entries.length === 0 || path.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const [key, child] = entries[head % entries.length] ?? [0, null];
  if (Array.isArray(value)) {
    const copy: unknown[] = [...value];
    copy[key as number] = mutateAt(child, rest, replacement);
    return copy;
  }
  return { ...value, [key]: mutateAt(child, rest, replacement) };
}

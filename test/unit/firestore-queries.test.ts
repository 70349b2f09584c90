/**
 * The Firestore emulator does not enforce composite indexes, so this test reads every query the
 * functions make and checks that each filters or orders on one field only (served by Firestore's
 * automatic single-field indexes), or else is declared in firestore.indexes.json.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Each query chain in `text`: consecutive `.where(...)`/`.orderBy(...)` calls (a chain is one query),
 * with the fields it names; and each `Filter.where(...)`, a disjunct of a `Filter.or(...)`, which
 * Firestore serves on its own (one field: a single-field index).
 */
function queries(text: string): Array<{ statement: string; fields: string[] }> {
  const chain = /(?:\.(?:where|orderBy)\(\s*'[^']+'[^)]*\)\s*)+/g;
  const chains = [...text.matchAll(chain)].map((match) => ({
    statement: match[0].trim(),
    fields: [...match[0].matchAll(/\.(?:where|orderBy)\(\s*'([^']+)'/g)].map((field) => field[1] as string),
  }));
  const disjuncts = [...text.matchAll(/Filter\.where\(\s*'([^']+)'[^)]*\)/g)].map((match) => ({
    statement: match[0],
    fields: [match[1] as string],
  }));
  return [...chains, ...disjuncts];
}

describe('Firestore queries and firestore.indexes.json', () => {
  const indexes = JSON.parse(readFileSync(join(ROOT, 'firestore.indexes.json'), 'utf8')) as {
    indexes: Array<{ collectionGroup: string; fields: Array<{ fieldPath: string }> }>;
    fieldOverrides: Array<{ collectionGroup: string; fieldPath: string; ttl?: boolean }>;
  };
  const found = sourceFiles(join(ROOT, 'functions')).flatMap((file) =>
    queries(readFileSync(file, 'utf8')).map((query) => ({ file, ...query })),
  );

  it('finds the queries the pipeline makes', () => {
    const fields = new Set(found.flatMap((query) => query.fields));
    assert.deepEqual([...fields].sort(), [
      'at',
      'closedAt',
      'createdAt',
      'deletedAt',
      'github.open',
      'instance',
      'poll.failedAt',
      'recordedAt',
      'status',
      'version',
    ]);
  });

  it('finds the disjuncts of the OR queries, and no conjunction inside one (this check would not see it)', () => {
    assert.ok(found.some((query) => query.statement.startsWith('Filter.where(')));
    const conjunctions = sourceFiles(join(ROOT, 'functions')).filter((file) =>
      readFileSync(file, 'utf8').includes('Filter.and('),
    );
    assert.deepEqual(conjunctions, []);
  });

  it('filters or orders each query on a single field, or declares its composite index', () => {
    const declared = indexes.indexes.map((index) => index.fields.map((field) => field.fieldPath).join(','));
    for (const query of found) {
      const distinct = [...new Set(query.fields)];
      assert.ok(
        distinct.length === 1 || declared.includes(distinct.join(',')),
        `${query.file}: a query on ${distinct.join(' + ')} needs a composite index in firestore.indexes.json:\n${query.statement}`,
      );
    }
  });

  for (const collection of ['deliveries', 'leases']) {
    it(`declares the TTL policy that deletes old ${collection} documents (expireAt)`, () => {
      assert.ok(
        indexes.fieldOverrides.some(
          (override) =>
            override.collectionGroup === collection && override.fieldPath === 'expireAt' && override.ttl,
        ),
      );
    });
  }
});

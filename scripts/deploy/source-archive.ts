/**
 * The functions' source archive: what Cloud Functions builds from. The buildpack runs `npm ci`
 * (with devDependencies, because package.json has `gcp-build`), then `npm run gcp-build`, which
 * compiles functions/ to build/ (`main` is build/index.js); at run time the code reads templates/.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createZip } from './zip.js';

/** What the archive holds, relative to the repository root: files, and directories taken whole. */
export const SOURCE_ENTRIES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'functions',
  'templates',
] as const;

/** Every file of SOURCE_ENTRIES under `root`, as sorted relative paths with `/` separators. */
export function listSourceFiles(root: string): string[] {
  const walk = (relative: string): string[] => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true });
    return entries.flatMap((entry) => {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) return walk(path);
      return entry.isFile() ? [path] : [];
    });
  };
  const files = SOURCE_ENTRIES.flatMap((entry) =>
    statSync(join(root, entry)).isDirectory() ? walk(entry) : [entry],
  );
  // Sorted by code unit, not locale: the same order on every machine.
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** What was packaged. */
export interface SourceArchive {
  path: string;
  files: number;
  bytes: number;
  /** Hex SHA-256 of the archive: Terraform names the uploaded object source/<sha256>.zip. */
  sha256: string;
}

/** Writes the archive of `root`'s source to `archivePath` (creating its directory). */
export function writeSourceArchive(root: string, archivePath: string): SourceArchive {
  const files = listSourceFiles(root);
  const zip = createZip(files.map((name) => ({ name, data: readFileSync(join(root, name)) })));
  mkdirSync(dirname(archivePath), { recursive: true });
  writeFileSync(archivePath, zip);
  return {
    path: archivePath,
    files: files.length,
    bytes: zip.length,
    sha256: createHash('sha256').update(zip).digest('hex'),
  };
}

/**
 * The functions' source archive: the zip reads back (a reader written here from the format, with
 * zlib), the same files give the same bytes (so the same object name), and it holds what Cloud
 * Functions' build needs and nothing else.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { listSourceFiles, writeSourceArchive } from '../../scripts/deploy/source-archive.js';
import { createZip } from '../../scripts/deploy/zip.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface ReadEntry {
  name: string;
  data: Buffer;
  mode: number;
}

/** Reads a zip through its central directory, checking each local header and CRC on the way. */
function readZip(zip: Buffer): ReadEntry[] {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ReadEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central header');
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `${name}: local header`);
    assert.equal(zip.readUInt16LE(local + 26), nameLength, `${name}: local name length`);
    const start = local + 30 + nameLength + zip.readUInt16LE(local + 28);
    const stored = zip.subarray(start, start + compressedSize);
    const data = method === 8 ? inflateRawSync(stored) : Buffer.from(stored);
    assert.equal(data.length, size, `${name}: size`);
    assert.equal(crc32(data), crc, `${name}: CRC-32`);
    entries.push({ name, data, mode });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('deploy: the zip writer', () => {
  const files = [
    { name: 'package.json', data: Buffer.from('{"name":"x"}\n') },
    { name: 'functions/index.ts', data: Buffer.from('export {};\n'.repeat(200)) },
    { name: 'templates/empty.yaml', data: Buffer.alloc(0) },
    { name: 'templates/ünïcode.yaml', data: Buffer.from('a: 1\n') },
  ];

  it('writes a zip that reads back, names and contents, as regular 0644 files', () => {
    const entries = readZip(createZip(files));
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.data.toString('utf8'), entry.mode.toString(8)]),
      files.map((file) => [file.name, file.data.toString('utf8'), '100644']),
    );
  });

  it('gives the same bytes for the same files (no timestamps)', () => {
    assert.ok(
      createZip(files).equals(createZip(files.map((file) => ({ ...file, data: Buffer.from(file.data) })))),
    );
    const changed = files.map((file, i) => (i === 1 ? { ...file, data: Buffer.from('export {};\n') } : file));
    assert.ok(!createZip(files).equals(createZip(changed)));
  });

  it('gives the same bytes in every time zone (the fixed timestamp is not shifted by it)', () => {
    const hashIn = (tz: string) =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          "import { createZip } from './scripts/deploy/zip.ts'; import { createHash } from 'node:crypto';" +
            " process.stdout.write(createHash('sha256').update(createZip([{ name: 'a/b.txt', data: Buffer.from('b') }])).digest('hex'));",
        ],
        { cwd: ROOT, env: { ...process.env, TZ: tz }, encoding: 'utf8' },
      );
    const hashes = ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles'].map(hashIn);
    assert.match(hashes[0] ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(new Set(hashes).size, 1, hashes.join(' '));
  });

  it('refuses paths that would escape or collide', () => {
    for (const name of ['/etc/passwd', '../x', 'a\\b', '']) {
      assert.throws(() => createZip([{ name, data: Buffer.alloc(1) }]), /not a relative path/);
    }
    const same = { name: 'a.txt', data: Buffer.from('a') };
    assert.throws(() => createZip([same, same]), /twice/);
  });
});

describe('deploy: the source archive', () => {
  it('holds what the build needs: package files, tsconfigs, functions/ and templates/, and nothing else', () => {
    const files = listSourceFiles(ROOT);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'functions/index.ts',
      'templates/deployments.yaml',
      'templates/deploy-kubeflow.yaml',
    ]) {
      assert.ok(files.includes(needed), `missing ${needed}`);
    }
    const tops = new Set(files.map((file) => file.split('/')[0]));
    assert.deepEqual([...tops].sort(), [
      'functions',
      'package-lock.json',
      'package.json',
      'templates',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    assert.deepEqual(
      files,
      [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });

  it('compiles with tsconfig.build.json from functions/ alone (what gcp-build runs)', () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    assert.deepEqual(build.include, ['functions/**/*.ts']);
    assert.equal(build.extends, './tsconfig.json');
  });

  it('is the same archive, byte for byte, when written twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-archive-'));
    try {
      const first = writeSourceArchive(ROOT, join(dir, 'a', 'source.zip'));
      const second = writeSourceArchive(ROOT, join(dir, 'b', 'source.zip'));
      assert.equal(first.sha256, second.sha256);
      assert.equal(first.files, listSourceFiles(ROOT).length);
      const names = readZip(readFileSync(first.path)).map((entry) => entry.name);
      assert.deepEqual(names, listSourceFiles(ROOT));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

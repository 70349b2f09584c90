/**
 * A deterministic zip of the functions' source, written by fflate: the same files give the same
 * bytes (a fixed timestamp and mode, entries in the order given: source paths are never integer-like
 * keys, which an object would put first). That is what makes the archive's hash, and so the
 * functions' source object, change only when a file does.
 */
import { type ZipOptions, zipSync } from 'fflate';

/** One file of the archive: a relative path with `/` separators, and its content. */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** Unix (3), so readers take the mode from the external attributes. */
const MADE_ON_UNIX = 3;
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;
/**
 * 1980-01-01 00:00 in local time, the earliest DOS date: fflate writes the DOS date and time from the
 * local fields of this Date, so built from local fields it is the same bytes in every time zone.
 */
const FIXED_TIME = new Date(1980, 0, 1);
const ENTRY_OPTIONS: ZipOptions & { os: number; attrs: number } = {
  level: 9,
  mtime: FIXED_TIME,
  os: MADE_ON_UNIX,
  attrs: REGULAR_FILE_0644,
};

function isRelativePath(name: string): boolean {
  return Boolean(name) && !name.startsWith('/') && !name.includes('\\') && !name.split('/').includes('..');
}

/** The zip archive of `entries`, in their order; refuses paths that would escape or repeat. */
export function createZip(entries: ZipEntry[]): Buffer {
  const files: Record<string, [Uint8Array, typeof ENTRY_OPTIONS]> = {};
  for (const entry of entries) {
    if (!isRelativePath(entry.name)) {
      throw new Error(`zip: not a relative path with '/' separators: ${JSON.stringify(entry.name)}`);
    }
    if (Object.hasOwn(files, entry.name)) throw new Error(`zip: ${entry.name} twice`);
    files[entry.name] = [entry.data, ENTRY_OPTIONS];
  }
  return Buffer.from(zipSync(files));
}

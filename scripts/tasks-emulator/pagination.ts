/** page_size / page_token / next_page_token for List calls; the token is an opaque offset. */
import { invalidArgument } from '../lib/grpc-emulator.js';

function encodePageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!match)
    throw invalidArgument(`Invalid page_token "${token}": pass the next_page_token of the previous page.`);
  return Number(match[1]);
}

/** One page of `items`; page_size 0 (unset) means `maxPageSize`, as does anything larger. */
export function paginate<T>(
  items: T[],
  pageSize: number | undefined,
  pageToken: string | undefined,
  maxPageSize: number,
): { page: T[]; nextPageToken: string } {
  if (pageSize !== undefined && pageSize < 0) throw invalidArgument('page_size must not be negative.');
  const size = pageSize && pageSize > 0 ? Math.min(pageSize, maxPageSize) : maxPageSize;
  const offset = decodePageToken(pageToken);
  const page = items.slice(offset, offset + size);
  const nextOffset = offset + page.length;
  return { page, nextPageToken: nextOffset < items.length ? encodePageToken(nextOffset) : '' };
}

/**
 * Counts what Firestore bills, inside the process that runs the product: installed by the benchmark
 * only (it patches the client's prototypes: a measuring tool, never product code).
 *
 * It wraps the two funnels every RPC of `@google-cloud/firestore` goes through, `Firestore#request`
 * (unary: commit, beginTransaction, rollback, batchWrite) and `Firestore#requestStream` (streams:
 * batchGetDocuments, runQuery), so nothing is counted twice and every retry is counted:
 *
 * - a **read** is one document in a `batchGetDocuments` answer, `found` or `missing` (a get of a
 *   document that does not exist is billed as a read), plus, per `runQuery`, the documents it
 *   returned, or 1 when it returned none (Firestore's minimum charge per query);
 * - a **write** is one entry of a `commit` (or `batchWrite`) request that is not a delete: a create,
 *   set, update or transform-only write, in a batch, a transaction or alone; a **delete** is one
 *   `delete` entry. A transaction's writes are counted once per commit RPC sent, so an attempt that is
 *   aborted at commit counts (Firestore bills nothing for it, but it shows contention).
 *
 * `runTransaction` is wrapped too: attempts (how often the update function ran), duration, and the
 * product function that started it (from the stack), which is what shows contention.
 */
import { performance } from 'node:perf_hooks';
import { Firestore } from '@google-cloud/firestore';

/** One product call site's transactions. */
export interface TransactionStats {
  count: number;
  attempts: number;
  /** Transactions whose update function ran more than once. */
  retried: number;
  failed: number;
  totalMs: number;
  maxMs: number;
}

/** Round trips of one RPC method. */
export interface RpcStats {
  calls: number;
  errors: Record<string, number>;
  totalMs: number;
  maxMs: number;
}

/** Everything counted since the last reset. */
export interface FirestoreCounts {
  reads: number;
  readsMissing: number;
  /** Queries (runQuery calls) and the documents they returned. */
  queries: number;
  queryDocs: number;
  writes: number;
  deletes: number;
  rpc: Record<string, RpcStats>;
  transactions: Record<string, TransactionStats>;
}

type StreamLike = { on(event: string, listener: (chunk: Record<string, unknown>) => void): unknown };
type WriteLike = { delete?: unknown };
type FirestoreInternals = {
  request(method: string, request: Record<string, unknown>, ...rest: unknown[]): Promise<unknown>;
  requestStream(method: string, ...rest: unknown[]): Promise<StreamLike>;
  runTransaction(update: (tx: unknown) => Promise<unknown>, options?: unknown): Promise<unknown>;
};

function emptyCounts(): FirestoreCounts {
  return {
    reads: 0,
    readsMissing: 0,
    queries: 0,
    queryDocs: 0,
    writes: 0,
    deletes: 0,
    rpc: {},
    transactions: {},
  };
}

let counts = emptyCounts();
let inFlight = 0;
let lastActivityMs = 0;
let installed = false;

function rpcStats(method: string): RpcStats {
  counts.rpc[method] ??= { calls: 0, errors: {}, totalMs: 0, maxMs: 0 };
  return counts.rpc[method];
}

function finishRpc(method: string, startMs: number, error?: unknown): void {
  const stats = rpcStats(method);
  const ms = performance.now() - startMs;
  stats.calls += 1;
  stats.totalMs += ms;
  stats.maxMs = Math.max(stats.maxMs, ms);
  if (error !== undefined) {
    const code = String((error as { code?: unknown })?.code ?? 'unknown');
    stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  }
  inFlight -= 1;
  lastActivityMs = performance.now();
}

/** The product function that called runTransaction: the first stack frame under functions/. */
export function callSite(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    if (!line.includes('/functions/') || line.includes('node_modules')) continue;
    const named = /at (?:async )?([\w$.<>]+) \(/.exec(line);
    const file = /\/functions\/([^:)]+)/.exec(line)?.[1] ?? 'functions';
    return named?.[1] ? `${named[1]} (${file})` : file;
  }
  return 'outside functions/';
}

function countCommit(request: Record<string, unknown>): void {
  const writes = (request.writes as WriteLike[] | undefined) ?? [];
  for (const write of writes) {
    if (write.delete) counts.deletes += 1;
    else counts.writes += 1;
  }
}

function countStream(method: string, stream: StreamLike, startMs: number): void {
  let documents = 0;
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    if (method === 'runQuery') {
      counts.queries += 1;
      counts.queryDocs += documents;
      counts.reads += Math.max(1, documents);
    }
    finishRpc(method, startMs, error);
  };
  // The stream is handed over paused: a 'data' listener does not start it, the consumer does.
  stream.on('data', (chunk) => {
    if (method === 'batchGetDocuments') {
      if (chunk.found) counts.reads += 1;
      else if (chunk.missing) {
        counts.reads += 1;
        counts.readsMissing += 1;
      }
    } else if (method === 'runQuery' && chunk.document) {
      documents += 1;
    }
  });
  stream.on('end', () => end());
  // A consumer that stops early destroys the stream: 'close' without 'end'.
  stream.on('close', () => end());
  stream.on('error', (error) => end(error));
}

/** Patches the Firestore client's prototypes (once per process). */
export function installFirestoreCounter(): void {
  if (installed) return;
  installed = true;
  const proto = Firestore.prototype as unknown as FirestoreInternals;
  const { request, requestStream, runTransaction } = proto;
  if (typeof request !== 'function' || typeof requestStream !== 'function') {
    throw new Error(
      'firestore-counter: @google-cloud/firestore no longer has Firestore#request/requestStream; update the counter',
    );
  }
  proto.request = function countedRequest(method, body, ...rest) {
    const startMs = performance.now();
    inFlight += 1;
    if (method === 'commit' || method === 'batchWrite') countCommit(body);
    return request.call(this, method, body, ...rest).then(
      (result) => {
        finishRpc(method, startMs);
        return result;
      },
      (error: unknown) => {
        finishRpc(method, startMs, error);
        throw error;
      },
    );
  };
  proto.requestStream = function countedRequestStream(method, ...rest) {
    const startMs = performance.now();
    inFlight += 1;
    return requestStream.call(this, method, ...rest).then(
      (stream) => {
        countStream(method, stream, startMs);
        return stream;
      },
      (error: unknown) => {
        finishRpc(method, startMs, error);
        throw error;
      },
    );
  };
  proto.runTransaction = function countedTransaction(update, options) {
    const site = callSite(new Error().stack);
    const startMs = performance.now();
    let attempts = 0;
    const record = (failed: boolean) => {
      counts.transactions[site] ??= { count: 0, attempts: 0, retried: 0, failed: 0, totalMs: 0, maxMs: 0 };
      const stats = counts.transactions[site];
      const ms = performance.now() - startMs;
      stats.count += 1;
      stats.attempts += attempts;
      if (attempts > 1) stats.retried += 1;
      if (failed) stats.failed += 1;
      stats.totalMs += ms;
      stats.maxMs = Math.max(stats.maxMs, ms);
    };
    const counted = (tx: unknown) => {
      attempts += 1;
      return update(tx);
    };
    return runTransaction.call(this, counted, options).then(
      (result) => {
        record(false);
        return result;
      },
      (error: unknown) => {
        record(true);
        throw error;
      },
    );
  };
}

/** A copy of the counts since the last reset. */
export function readFirestoreCounts(): FirestoreCounts {
  return structuredClone(counts);
}

/** Starts counting from zero. */
export function resetFirestoreCounts(): void {
  counts = emptyCounts();
}

/** RPCs under way, and how long ago (ms) the last one finished: "quiet" means none for a while. */
export function firestoreActivity(): { inFlight: number; idleMs: number } {
  return { inFlight, idleMs: performance.now() - lastActivityMs };
}

/**
 * One cold start, in a fresh `node` process (plain JavaScript: no TypeScript loader in the way).
 * Started by bench-cold-start.ts with one JSON argument:
 *
 *   {"mode": "function", "entry": "<build/index.js>", "function": "githubWebhook",
 *    "request": {"method", "path", "headers", "body"}, "inventory": false}
 *     imports the entry (which registers every function with the Functions Framework), serves the one
 *     function as the framework does, sends it its first request over HTTP, and prints
 *     {"importMs", "firstResponseMs", "status", "rssMB", "packages"?}.
 *   {"mode": "libraries", "specifiers": ["@google-cloud/firestore", ...]}
 *     imports those packages one after the other and prints {"importMs", "rssMB"}.
 *   {"mode": "floor", "documents": ["versions/v0000", ...]}
 *     the least a status page can do, as a yardstick for ours: imports the Functions Framework and
 *     Firestore, registers one function that reads `documents` in one getAll and answers them as
 *     JSON (no configuration, no routes), serves it and sends it one GET; prints what "function" does.
 *   {"mode": "firestore-floor", "documents": [...]}
 *     less still: imports Firestore alone and reads `documents` in one getAll (no framework, no HTTP);
 *     prints the import and the read as "function" does.
 *
 * With "inventory": true it also lists the packages loaded (ESM loads through a module hook, CommonJS
 * ones from require's cache); the hook costs time, so that run is not a timed one.
 */

import { request as httpRequest } from 'node:http';
import { createRequire, register } from 'node:module';
import { performance } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';

const spec = JSON.parse(process.argv[2] ?? '{}');
const loadedUrls = new Set();

if (spec.inventory) {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => loadedUrls.add(url));
  port1.unref();
  const hook = `data:text/javascript,${encodeURIComponent(`
    let port;
    export function initialize(data) { port = data.port; }
    export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
  `)}`;
  register(hook, { data: { port: port2 }, transferList: [port2] });
}

/** A Firestore client of the emulator the environment names (the floor probes build theirs alike). */
function emulatorFirestore(Firestore) {
  return new Firestore({
    projectId: process.env.GOOGLE_CLOUD_PROJECT,
    host: process.env.FIRESTORE_EMULATOR_HOST,
    ssl: false,
  });
}

/** The floor probes' one read: `spec.documents` in one getAll. */
function readDocuments(db) {
  return db.getAll(...spec.documents.map((path) => db.doc(path)));
}

/** Top-level package names (`@scope/name` or `name`) of everything under node_modules that was loaded. */
function loadedPackages() {
  const files = [...loadedUrls, ...Object.keys(createRequire(import.meta.url).cache)];
  const counts = {};
  for (const file of files) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.replaceAll('\\', '/'));
    if (match) counts[match[1]] = (counts[match[1]] ?? 0) + 1;
  }
  return counts;
}

function send(port, request) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(request.body ?? undefined);
  });
}

async function probeFunction() {
  const start = performance.now();
  await import(spec.entry);
  const importMs = performance.now() - start;
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const served = performance.now();
  const server = getTestServer(spec.function);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const status = await send(server.address().port, spec.request);
  const firstResponseMs = performance.now() - served;
  server.closeAllConnections?.();
  server.close();
  return { importMs, firstResponseMs, status };
}

async function probeFloor() {
  const start = performance.now();
  const framework = await import('@google-cloud/functions-framework');
  const { Firestore } = await import('@google-cloud/firestore');
  let db;
  framework.http('floor', async (_req, res) => {
    db ??= emulatorFirestore(Firestore);
    const docs = await readDocuments(db);
    res.json(docs.map((doc) => doc.data() ?? null));
  });
  const importMs = performance.now() - start;
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const served = performance.now();
  const server = getTestServer('floor');
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const status = await send(server.address().port, { method: 'GET', path: '/', headers: {} });
  const firstResponseMs = performance.now() - served;
  server.closeAllConnections?.();
  server.close();
  return { importMs, firstResponseMs, status };
}

/** Less still: Firestore alone, imported and asked the same one getAll, with no framework and no HTTP. */
async function probeFirestoreFloor() {
  const start = performance.now();
  const { Firestore } = await import('@google-cloud/firestore');
  const importMs = performance.now() - start;
  const asked = performance.now();
  await readDocuments(emulatorFirestore(Firestore));
  return { importMs, firstResponseMs: performance.now() - asked, status: 200 };
}

async function probeLibraries() {
  const start = performance.now();
  for (const specifier of spec.specifiers) await import(specifier);
  return { importMs: performance.now() - start };
}

const probes = {
  function: probeFunction,
  floor: probeFloor,
  'firestore-floor': probeFirestoreFloor,
  libraries: probeLibraries,
};
const result = await probes[spec.mode]();
const output = { ...result, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) };
if (spec.inventory) output.packages = loadedPackages();
process.stdout.write(`${JSON.stringify(output)}\n`);
// Clients keep sockets and timers open: the measurement is done, the process may go.
process.exit(0);

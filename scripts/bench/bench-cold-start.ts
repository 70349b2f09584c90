/**
 * Cold start per function: a fresh `node` process imports the compiled entry (build/index.js, as
 * Cloud Functions runs it; rebuilt when functions/ is newer) with that function's environment,
 * serves the function through the Functions Framework and answers its first request (a followed push,
 * a tick, a deploy request, the versions API). Compared, in the same run, with fresh processes that
 * only import the client libraries the function really uses. One extra run per function lists the
 * packages it loads.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { branchDocId } from '../../functions/core/names.js';
import { BENCH_REPO, type BenchVersion, fakeSha, signedPush } from './bench-env.js';
import { type ColdStartInfra, startColdStartInfra } from './cold-start-infra.js';
import type { Benchmark } from './context.js';
import { atMost, type Figure, info, round, summarize } from './report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROBE = fileURLToPath(new URL('./cold-start-probe.mjs', import.meta.url));
const ENTRY = join(ROOT, 'build', 'index.js');
const VERSIONS = 24;

type FunctionName = 'githubWebhook' | 'deploymentStatus' | 'schedulerTick' | 'deployWorker';

/** The client libraries each function really uses (the target's yardstick). */
export const NEEDED_LIBRARIES: Record<FunctionName, string[]> = {
  githubWebhook: ['@google-cloud/firestore', '@octokit/webhooks', '@google-cloud/tasks'],
  deploymentStatus: ['@google-cloud/firestore'],
  schedulerTick: ['@google-cloud/firestore', '@google-cloud/tasks', '@kubernetes/client-node'],
  deployWorker: ['@google-cloud/firestore', '@kubernetes/client-node'],
};

/** Each measured alone too, with the Functions Framework every function needs. */
const LIBRARIES = [
  '@google-cloud/firestore',
  '@google-cloud/tasks',
  '@kubernetes/client-node',
  '@octokit/webhooks',
  '@google-cloud/container',
  '@google-cloud/functions-framework',
];

interface ProbeResult {
  importMs: number;
  firstResponseMs?: number;
  status?: number;
  rssMB: number;
  packages?: Record<string, number>;
  /** From the function's own log lines: its modules loaded while it started (part of importMs). */
  modulesAtStartMs?: number;
  /** From the function's own log lines: the configuration read and the app built (part of firstResponseMs). */
  configMs?: number;
}

/** The `durationMs` of the function's log line with `message`, if it logged one. */
function loggedDuration(lines: string[], message: string): number | undefined {
  const line = lines.find((text) => text.includes(`"message":"${message}"`));
  if (!line) return undefined;
  const duration = (JSON.parse(line) as { durationMs?: unknown }).durationMs;
  return typeof duration === 'number' ? duration : undefined;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function ensureBuild(force: boolean, progress: (message: string) => void): void {
  const isCurrent = existsSync(ENTRY) && statSync(ENTRY).mtimeMs >= newestMtime(join(ROOT, 'functions'));
  if (isCurrent && !force) return;
  progress('cold-start: compiling functions/ to build/ (npm run build)');
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

function probe(spec: Record<string, unknown>, env: Record<string, string>): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, JSON.stringify(spec)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const lines = stdout.trim().split('\n');
      const line = lines.filter((text) => text.startsWith('{"importMs"')).at(-1);
      if (code !== 0 || !line) reject(new Error(`cold-start probe failed (${code}): ${stderr}`));
      else
        resolve({
          ...(JSON.parse(line) as ProbeResult),
          modulesAtStartMs: loggedDuration(lines, 'modules loaded at start'),
          configMs: loggedDuration(lines, 'configuration loaded'),
        });
    });
  });
}

/** The first request of `name`, sample `index` (each sample uses its own version, so nothing is rate-limited). */
async function firstRequest(infra: ColdStartInfra, name: FunctionName, index: number) {
  const version = infra.world.versions[index % VERSIONS] as BenchVersion;
  switch (name) {
    case 'githubWebhook': {
      const delivery = await signedPush(version.branch, fakeSha(`cold-${index}-${Date.now()}`));
      return { method: 'POST', path: '/', headers: delivery.headers, body: delivery.body };
    }
    case 'deploymentStatus':
      return { method: 'GET', path: '/api/versions', headers: {} };
    case 'schedulerTick':
      return { method: 'POST', path: '/', headers: {} };
    case 'deployWorker': {
      // A request the worker launches: its commit is the branch head.
      const commit = fakeSha(`cold-worker-${index}-${Date.now()}`);
      const id = `deploy-${version.name}-${commit.slice(0, 12)}-c`;
      const now = new Date();
      await infra.db
        .doc(`branches/${branchDocId(BENCH_REPO, version.branch)}`)
        .set({ sha: commit }, { merge: true });
      await infra.db.doc(`deployRequests/${id}`).set({
        action: 'deploy',
        version: version.name,
        commit,
        reason: 'new-commit',
        instance: null,
        notBefore: now,
        status: 'enqueued',
        enqueueCount: 1,
        taskName: `cold-${index}`,
        createdAt: now,
        updatedAt: now,
        error: null,
      });
      const body = JSON.stringify({ requestId: id });
      return { method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' }, body };
    }
  }
}

/**
 * A function instance's environment: the infrastructure's, and FUNCTION_TARGET, which Cloud Functions
 * sets to the function an instance serves (its buildpack; the entry loads that function's modules
 * while it starts). The library-only processes get the infrastructure's alone.
 */
function functionEnv(infra: ColdStartInfra, name: FunctionName): Record<string, string> {
  return { ...infra.env, FUNCTION_TARGET: name };
}

/** One function's figure: its cold start (p50) against 1.3 x its libraries' import in the same run. */
function functionFigure(
  name: FunctionName,
  results: ProbeResult[],
  libraryImports: number[],
  loaded: Record<string, number>,
  aloneP50: Record<string, number>,
): Figure {
  const total = summarize(results.map((r) => r.importMs + (r.firstResponseMs ?? 0)));
  const imports = summarize(results.map((r) => r.importMs));
  const first = summarize(results.map((r) => r.firstResponseMs ?? 0));
  const libraries = summarize(libraryImports);
  const unneeded = LIBRARIES.filter(
    (lib) =>
      lib in loaded && !NEEDED_LIBRARIES[name].includes(lib) && lib !== '@google-cloud/functions-framework',
  );
  return atMost(
    {
      bench: 'cold-start',
      id: `cold-start.${name}`,
      label: `${name}: import ${imports.p50} + first response ${first.p50} ms, p50 (${summarize(results.map((r) => r.rssMB)).p50} MB; its libraries ${libraries.p50} ms)`,
      value: total.p50,
      unit: 'ms',
      detail: {
        samples: results.length,
        total,
        import: imports,
        firstResponse: first,
        // Parts of the two, from the function's log lines: its modules loaded at start (in the
        // import), the configuration read and the app built (in the first response).
        modulesAtStart: summarize(results.map((r) => r.modulesAtStartMs ?? 0)),
        configLoad: summarize(results.map((r) => r.configMs ?? 0)),
        rssMB: results.map((r) => r.rssMB),
        neededLibraries: NEEDED_LIBRARIES[name],
        neededLibrariesImport: libraries,
        loadedButNotNeeded: unneeded.map((lib) => ({ lib, aloneMs: aloneP50[lib] })),
        packagesLoaded: Object.keys(loaded).length,
        modulesLoaded: Object.values(loaded).reduce((sum, count) => sum + count, 0),
        entry: relative(ROOT, ENTRY),
      },
    },
    1.3 * libraries.p50,
    `<= 1.3 x its libraries' import = ${round(1.3 * libraries.p50)} ms; now ${round(total.p50 / libraries.p50, 2)} x`,
  );
}

/** The floor probe: the documents the status page's `/api/versions` reads, each version's and its branch's. */
function floorSpec(infra: ColdStartInfra, mode: FloorMode): Record<string, unknown> {
  const documents = infra.world.versions.flatMap((version) => [
    `versions/${version.name}`,
    `branches/${branchDocId(BENCH_REPO, version.branch)}`,
  ]);
  return { mode, documents };
}

type FloorMode = 'floor' | 'firestore-floor';

const FLOORS: Record<FloorMode, { id: string; what: string }> = {
  floor: {
    id: 'cold-start.floor.deploymentStatus',
    what: 'the least a status page can do (framework + Firestore + one getAll, no configuration)',
  },
  'firestore-floor': {
    id: 'cold-start.floor.firestore',
    what: 'Firestore alone: import + the same one getAll (no framework, no HTTP)',
  },
};

/**
 * Context for the status page's figure, against the same base (Firestore's import in the same round):
 * the least a Firestore-backed function can do cold (the framework, Firestore, the same one getAll;
 * no configuration, no routes), and Firestore alone making that read.
 */
function floorFigure(mode: FloorMode, results: ProbeResult[], libraryImports: number[]): Figure {
  const total = summarize(results.map((r) => r.importMs + (r.firstResponseMs ?? 0)));
  const libraries = summarize(libraryImports);
  return info({
    bench: 'cold-start',
    id: FLOORS[mode].id,
    label: `${FLOORS[mode].what}, p50 = ${round(total.p50 / libraries.p50, 2)} x its libraries' import`,
    value: total.p50,
    unit: 'ms',
    detail: {
      samples: results.length,
      total,
      import: summarize(results.map((r) => r.importMs)),
      firstResponse: summarize(results.map((r) => r.firstResponseMs ?? 0)),
      librariesImport: libraries,
    },
  });
}

const FUNCTIONS: FunctionName[] = ['githubWebhook', 'deploymentStatus', 'schedulerTick', 'deployWorker'];

/**
 * `samples` rounds, each: every function's cold start, each followed by a fresh import of the
 * libraries it uses (and, after the status page, the floor probes), so that all share the machine's load.
 */
async function sampleColdStarts(infra: ColdStartInfra, samples: number) {
  const runs = new Map<FunctionName, ProbeResult[]>(FUNCTIONS.map((name) => [name, []]));
  const libraryRuns = new Map<FunctionName, number[]>(FUNCTIONS.map((name) => [name, []]));
  const floorRuns: Record<FloorMode, ProbeResult[]> = { floor: [], 'firestore-floor': [] };
  for (let s = 0; s < samples; s++) {
    for (const name of FUNCTIONS) {
      const request = await firstRequest(infra, name, s * FUNCTIONS.length + FUNCTIONS.indexOf(name));
      const result = await probe(
        { mode: 'function', entry: ENTRY, function: name, request },
        functionEnv(infra, name),
      );
      if (result.status !== 200)
        throw new Error(`cold-start: ${name} answered ${result.status} to its first request`);
      runs.get(name)?.push(result);
      const libraries = await probe({ mode: 'libraries', specifiers: NEEDED_LIBRARIES[name] }, infra.env);
      libraryRuns.get(name)?.push(libraries.importMs);
      if (name !== 'deploymentStatus') continue;
      for (const mode of Object.keys(FLOORS) as FloorMode[])
        floorRuns[mode].push(await probe(floorSpec(infra, mode), infra.env));
    }
  }
  return { runs, libraryRuns, floorRuns };
}

export const runColdStartBench: Benchmark = async (context) => {
  const { options, progress } = context;
  ensureBuild(options.isRebuildForced, progress);
  const infra = await startColdStartInfra(context, VERSIONS);
  try {
    const samples = Math.max(1, options.coldSamples);
    progress(`cold-start: ${samples} cold starts per function, and as many imports of its libraries`);
    const { runs, libraryRuns, floorRuns } = await sampleColdStarts(infra, samples);
    progress('cold-start: each library alone, and what each function loads');
    const alone: Record<string, number[]> = Object.fromEntries(LIBRARIES.map((lib) => [lib, []]));
    for (let s = 0; s < Math.min(samples, 3); s++) {
      for (const lib of LIBRARIES)
        alone[lib]?.push((await probe({ mode: 'libraries', specifiers: [lib] }, infra.env)).importMs);
    }
    const inventory = new Map<FunctionName, Record<string, number>>();
    for (const name of FUNCTIONS) {
      const request = await firstRequest(infra, name, 1000 + FUNCTIONS.indexOf(name));
      const result = await probe(
        { mode: 'function', entry: ENTRY, function: name, request, inventory: true },
        functionEnv(infra, name),
      );
      inventory.set(name, result.packages ?? {});
    }

    const aloneP50: Record<string, number> = Object.fromEntries(
      Object.entries(alone).map(([lib, times]) => [lib, summarize(times).p50]),
    );
    const figures: Figure[] = FUNCTIONS.map((name) =>
      functionFigure(
        name,
        runs.get(name) ?? [],
        libraryRuns.get(name) ?? [],
        inventory.get(name) ?? {},
        aloneP50,
      ),
    );
    for (const mode of Object.keys(FLOORS) as FloorMode[])
      figures.push(floorFigure(mode, floorRuns[mode], libraryRuns.get('deploymentStatus') ?? []));
    for (const lib of LIBRARIES) {
      figures.push(
        info({
          bench: 'cold-start',
          id: `cold-start.import.${lib}`,
          label: `importing ${lib} alone in a fresh node, p50`,
          value: aloneP50[lib] ?? Number.NaN,
          unit: 'ms',
          detail: { samples: alone[lib] },
        }),
      );
    }
    return figures;
  } finally {
    await infra.stop();
  }
};

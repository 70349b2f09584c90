/**
 * The product under measurement, in a process of its own (started by stack-client.ts over IPC): the
 * local stack of `npm start` (scripts/lib/local-stack.ts) with the Firestore counter installed, its own
 * Tasks emulator and local Kubernetes API server (so their events are observed as they happen), and
 * the product's log lines kept with a timestamp. The benchmark's load comes from the parent process,
 * over HTTP, as GitHub's would; nothing the parent does (seeding, checking) is counted.
 *
 * Timestamps are `performance.timeOrigin + performance.now()` (epoch ms, sub-ms), comparable with the
 * parent's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderLocalKubeconfig, startKubeServer } from '../kube-server/server.js';
import { startLocalStack } from '../lib/local-stack.js';
import { startTasksEmulator } from '../tasks-emulator/server.js';
import {
  firestoreActivity,
  installFirestoreCounter,
  readFirestoreCounts,
  resetFirestoreCounts,
} from './firestore-counter.js';
import type { HostCommand, HostCpu, HostMessage, HostOptions, TimelineEvent } from './host-protocol.js';

type LogFields = Record<string, unknown>;
type Logger = NonNullable<NonNullable<Parameters<typeof startLocalStack>[1]>['logger']>;

const wallNow = () => performance.timeOrigin + performance.now();
const TASK_MESSAGES = new Set([
  'task created',
  'dispatching task',
  'task completed',
  'attempt failed, will retry',
]);

function send(message: HostMessage): void {
  process.send?.(message);
}

const timeline: TimelineEvent[] = [];

function record(source: TimelineEvent['source'], message: string, fields: LogFields): void {
  timeline.push({ at: wallNow(), source, message, fields });
}

/** A Logger (functions/log.ts's interface) that keeps every line on the timeline instead of printing it. */
function timelineLogger(base: LogFields = {}): Logger {
  const write = (severity: string) => (message: string, fields?: LogFields) =>
    record('product', message, { ...base, ...fields, severity });
  return {
    debug: write('DEBUG'),
    info: write('INFO'),
    warn: write('WARNING'),
    error: write('ERROR'),
    critical: write('CRITICAL'),
    child: (fields) => timelineLogger({ ...base, ...fields }),
  };
}

async function waitForFirestoreIdle(quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { inFlight, idleMs } = firestoreActivity();
    if (inFlight === 0 && idleMs >= quietMs) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function main(): Promise<void> {
  // tsx turns source maps on, so every `Error().stack` (the Firestore client takes one per call) maps
  // its frames back to TypeScript: ~5 % of this process's CPU under the webhook benchmark. Cloud
  // Functions runs the compiled JavaScript without source maps (npm run build, no
  // --enable-source-maps), so the measured process does without them too.
  process.setSourceMapsEnabled(false);
  const options = JSON.parse(process.argv[2] ?? '{}') as HostOptions;
  installFirestoreCounter();
  const dir = mkdtempSync(join(tmpdir(), 'auto-deploy-bench-'));

  const kube = await startKubeServer({
    log: (entry) => {
      if (entry.message !== 'job created') return;
      const at = wallNow();
      const job = kube.getJob(String(entry.namespace), String(entry.job));
      const labels = job?.metadata.labels ?? {};
      record('kube', 'job created', { namespace: entry.namespace, job: entry.job, labels });
      send({ type: 'job', at, namespace: String(entry.namespace), name: String(entry.job), labels });
    },
  });
  const tasks = await startTasksEmulator({
    log: (entry) => {
      const message = String(entry.message);
      if (TASK_MESSAGES.has(message)) record('tasks', message, entry);
    },
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, renderLocalKubeconfig(kube, options.namespace));

  const stack = await startLocalStack(
    {
      ...options.env,
      KUBECONFIG: kubeconfig,
      CLOUD_TASKS_EMULATOR_HOST: tasks.address,
      TICK_INTERVAL_SECONDS: '0',
      METADATA_SERVER_DETECTION: 'none',
    },
    { port: 0, logger: timelineLogger({ component: 'local-stack' }), stateDir: dir },
  );
  resetFirestoreCounts();

  const stop = async () => {
    await stack.stop();
    await tasks.stop();
    await kube.stop();
    rmSync(dir, { recursive: true, force: true });
  };

  const handle = async (command: HostCommand): Promise<unknown> => {
    switch (command.cmd) {
      case 'counts':
        return readFirestoreCounts();
      case 'reset':
        resetFirestoreCounts();
        return null;
      case 'settle': {
        const drained = await tasks.drain(command.timeoutMs).then(
          () => true,
          () => false,
        );
        const idle = await waitForFirestoreIdle(command.quietMs, command.timeoutMs);
        return { drained, idle };
      }
      case 'timeline':
        return timeline.slice(command.since);
      case 'tasks':
        return tasks.stats();
      case 'cpu': {
        const usage = process.cpuUsage();
        const loop = performance.eventLoopUtilization();
        const cpu: HostCpu = {
          userMs: usage.user / 1000,
          systemMs: usage.system / 1000,
          loopActiveMs: loop.active,
          loopIdleMs: loop.idle,
        };
        return cpu;
      }
      case 'stop':
        await stop();
        return null;
    }
  };

  process.on('message', (message: HostCommand & { id: number }) => {
    handle(message).then(
      (result) => {
        send({ type: 'reply', id: message.id, result });
        if (message.cmd === 'stop') process.disconnect?.();
      },
      (error: unknown) =>
        send({ type: 'reply', id: message.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => {
    stop().finally(() => process.exit(0));
  });
  send({
    type: 'ready',
    url: stack.url,
    kubeUrl: kube.url,
    kubeToken: kube.token,
    tasksAddress: tasks.address,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench stack host failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});

/**
 * Starts the product under measurement in its own process (stack-host.ts) and talks to it over IPC:
 * Firestore counts, the timeline of what happened, and Jobs as the Kubernetes server creates them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FirestoreCounts } from './firestore-counter.js';
import type { HostCommand, HostCpu, HostMessage, HostOptions, TimelineEvent } from './host-protocol.js';

const HOST_SCRIPT = fileURLToPath(new URL('./stack-host.ts', import.meta.url));
const START_TIMEOUT_MS = 120_000;

/** A Job the Kubernetes server created, with the time it did (epoch ms). */
export interface JobEvent {
  at: number;
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

export interface BenchStack {
  /** The gateway: `${url}/githubWebhook`, `/schedulerTick`, `/deployWorker`, `/deploymentStatus`. */
  url: string;
  kubeUrl: string;
  kubeToken: string;
  tasksAddress: string;
  /** Every Job created so far, oldest first. */
  jobs: JobEvent[];
  counts(): Promise<FirestoreCounts>;
  cpu(): Promise<HostCpu>;
  resetCounts(): Promise<void>;
  /** Waits until the queue is drained and Firestore has been idle `quietMs`; false parts timed out. */
  settle(timeoutMs?: number, quietMs?: number): Promise<{ drained: boolean; idle: boolean }>;
  /** Timeline events from index `since` on. */
  timeline(since?: number): Promise<TimelineEvent[]>;
  /** Resolves with the first Job (already created or to come) that `matches`, or null after `timeoutMs`. */
  waitForJob(matches: (job: JobEvent) => boolean, timeoutMs: number): Promise<JobEvent | null>;
  stop(): Promise<void>;
}

/** Starts the host process and waits until its stack is up. */
export async function startBenchStack(options: HostOptions): Promise<BenchStack> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', HOST_SCRIPT, JSON.stringify(options)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    },
  );
  const jobs: JobEvent[] = [];
  const jobWaiters = new Set<{ matches: (job: JobEvent) => boolean; resolve: (job: JobEvent) => void }>();
  const replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;

  const ready = new Promise<Extract<HostMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bench stack host did not start in time')),
      START_TIMEOUT_MS,
    );
    child.on('message', (message: HostMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'reply') {
        const waiter = replies.get(message.id);
        replies.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      } else if (message.type === 'job') {
        const job: JobEvent = {
          at: message.at,
          namespace: message.namespace,
          name: message.name,
          labels: message.labels,
        };
        jobs.push(job);
        for (const waiter of jobWaiters) {
          if (waiter.matches(job)) {
            jobWaiters.delete(waiter);
            waiter.resolve(job);
          }
        }
      }
    });
    child.once('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`bench stack host exited with code ${code}`));
      for (const waiter of replies.values()) waiter.reject(new Error('bench stack host exited'));
      replies.clear();
    });
  });
  const info = await ready;

  const call = <T>(command: HostCommand): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('bench stack host is not running'));
      const id = nextId++;
      replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...command, id });
    });

  return {
    url: info.url,
    kubeUrl: info.kubeUrl,
    kubeToken: info.kubeToken,
    tasksAddress: info.tasksAddress,
    jobs,
    counts: () => call<FirestoreCounts>({ cmd: 'counts' }),
    cpu: () => call<HostCpu>({ cmd: 'cpu' }),
    resetCounts: () => call<void>({ cmd: 'reset' }),
    settle: (timeoutMs = 30_000, quietMs = 100) => call({ cmd: 'settle', timeoutMs, quietMs }),
    timeline: (since = 0) => call<TimelineEvent[]>({ cmd: 'timeline', since }),
    waitForJob: (matches, timeoutMs) => {
      const found = jobs.find(matches);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        const waiter = {
          matches,
          resolve: (job: JobEvent) => {
            clearTimeout(timer);
            resolve(job);
          },
        };
        const timer = setTimeout(() => {
          jobWaiters.delete(waiter);
          resolve(null);
        }, timeoutMs);
        jobWaiters.add(waiter);
      });
    },
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ cmd: 'stop' }).catch(() => undefined);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

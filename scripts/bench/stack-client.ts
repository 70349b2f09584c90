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

interface JobWaiter {
  matches: (job: JobEvent) => boolean;
  resolve: (job: JobEvent) => void;
}

interface ReplyWaiter {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The benchmark's side of the IPC channel: Jobs seen so far and who waits for what. */
interface HostLink {
  child: ChildProcess;
  jobs: JobEvent[];
  jobWaiters: Set<JobWaiter>;
  replies: Map<number, ReplyWaiter>;
  nextId: number;
  exited: boolean;
}

function spawnHost(options: HostOptions): ChildProcess {
  // BENCH_HOST_NODE_OPTIONS: extra node flags for the measured process only (e.g. --cpu-prof).
  const flags = (process.env.BENCH_HOST_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  return spawn(process.execPath, [...flags, '--import', 'tsx', HOST_SCRIPT, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
  });
}

function settleReply(link: HostLink, message: Extract<HostMessage, { type: 'reply' }>): void {
  const waiter = link.replies.get(message.id);
  link.replies.delete(message.id);
  if (message.error !== undefined) waiter?.reject(new Error(message.error));
  else waiter?.resolve(message.result);
}

/** Records a Job the Kubernetes server created and resolves everyone waiting for one like it. */
function recordJob(link: HostLink, message: Extract<HostMessage, { type: 'job' }>): void {
  const job: JobEvent = {
    at: message.at,
    namespace: message.namespace,
    name: message.name,
    labels: message.labels,
  };
  link.jobs.push(job);
  for (const waiter of link.jobWaiters) {
    if (waiter.matches(job)) {
      link.jobWaiters.delete(waiter);
      waiter.resolve(job);
    }
  }
}

/** Listens to the host for good; resolves when it reports its stack up, rejects if it exits first. */
function waitUntilReady(link: HostLink): Promise<Extract<HostMessage, { type: 'ready' }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bench stack host did not start in time')),
      START_TIMEOUT_MS,
    );
    link.child.on('message', (message: HostMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'reply') settleReply(link, message);
      else if (message.type === 'job') recordJob(link, message);
    });
    link.child.once('exit', (code) => {
      link.exited = true;
      clearTimeout(timer);
      reject(new Error(`bench stack host exited with code ${code}`));
      for (const waiter of link.replies.values()) waiter.reject(new Error('bench stack host exited'));
      link.replies.clear();
    });
  });
}

/** Sends a command to the host and resolves with its reply. */
function callHost<T>(link: HostLink, command: HostCommand): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (link.exited) return reject(new Error('bench stack host is not running'));
    const id = link.nextId++;
    link.replies.set(id, { resolve: resolve as (value: unknown) => void, reject });
    link.child.send({ ...command, id });
  });
}

function waitForJob(
  link: HostLink,
  matches: (job: JobEvent) => boolean,
  timeoutMs: number,
): Promise<JobEvent | null> {
  const found = link.jobs.find(matches);
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
      link.jobWaiters.delete(waiter);
      resolve(null);
    }, timeoutMs);
    link.jobWaiters.add(waiter);
  });
}

/** Asks the host to stop, and kills it if it has not exited 10 s later. */
async function stopHost(link: HostLink): Promise<void> {
  if (link.exited) return;
  const gone = new Promise<void>((resolve) => link.child.once('exit', () => resolve()));
  await callHost(link, { cmd: 'stop' }).catch(() => undefined);
  const killer = setTimeout(() => link.child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(killer);
}

/** Starts the host process and waits until its stack is up. */
export async function startBenchStack(options: HostOptions): Promise<BenchStack> {
  const link: HostLink = {
    child: spawnHost(options),
    jobs: [],
    jobWaiters: new Set(),
    replies: new Map(),
    nextId: 1,
    exited: false,
  };
  const info = await waitUntilReady(link);
  return {
    url: info.url,
    kubeUrl: info.kubeUrl,
    kubeToken: info.kubeToken,
    tasksAddress: info.tasksAddress,
    jobs: link.jobs,
    counts: () => callHost<FirestoreCounts>(link, { cmd: 'counts' }),
    cpu: () => callHost<HostCpu>(link, { cmd: 'cpu' }),
    resetCounts: () => callHost<void>(link, { cmd: 'reset' }),
    settle: (timeoutMs = 30_000, quietMs = 100) => callHost(link, { cmd: 'settle', timeoutMs, quietMs }),
    timeline: (since = 0) => callHost<TimelineEvent[]>(link, { cmd: 'timeline', since }),
    waitForJob: (matches, timeoutMs) => waitForJob(link, matches, timeoutMs),
    stop: () => stopHost(link),
  };
}

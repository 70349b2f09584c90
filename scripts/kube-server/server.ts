/**
 * A local Kubernetes API server for batch/v1 Jobs, for development and tests (no real
 * kube-apiserver can run here). It serves HTTPS with a CA it makes at start (`caPem`; the kubeconfigs
 * of local-kubeconfig.ts carry it) and speaks the wire protocol of the real `@kubernetes/client-node`
 * and of `kubectl`: bearer-token auth, discovery (`/version`, `/api`, `/apis`, ...), Job create (with
 * `generateName`) / get / list (label and field selectors) / delete, Tables for `kubectl get`, a
 * made-up pod and events per Job (so `kubectl get pods`, `kubectl describe` and `kubectl logs` show what
 * a cluster would; the log says what would run), and errors as `Status` objects with the reasons and codes a real API server returns
 * (401 Unauthorized, 404 NotFound, 409 AlreadyExists, 422 Invalid, ...).
 *
 * Jobs run only if asked to: with `jobSeconds` > 0 (what `npm start` uses) each Job starts when
 * created and completes by itself that many seconds later (job-runner.ts). With 0 (the default)
 * tests drive their status through the control API (`POST /_control/namespaces/NS/jobs/NAME/
 * complete|fail|start`, or `completeJob()` / `failJob()` in-process). Either way, `onJobFinished`
 * listeners hear of every Job that ends. Fault injection makes API calls fail on purpose
 * (`POST /_control/faults {status, count, method?}`, or `injectFaults()`).
 *
 * Watches (`?watch=true`, watch.ts) stream the changes of Jobs and their pods, from a recent
 * resourceVersion (job-changes.ts keeps the last 1,000 changes) or from now.
 *
 * Deliberate gaps: namespaces always exist (one is answered when asked for, none is listed), pods, their logs and events are read-only views of the Jobs, no
 * watch of events, no paging (`limit` / `continue`), no aggregated discovery (kubectl falls back to the legacy
 * documents), and validation covers names, labels, annotation keys and the parts of the pod template
 * a Job needs (containers, images, restartPolicy), not the full schema.
 *
 * The parts: job-store.ts (+ job-validation.ts, label-syntax.ts), label-selector.ts and
 * field-selector.ts, job-lifecycle.ts and job-control.ts (Job status), faults.ts, request-log.ts,
 * job-runner.ts and job-seconds.ts (Jobs that finish by themselves), status-error.ts, route.ts and handlers/ (one route per file), resources/ (each served kind:
 * discovery entry, fields, Table columns; the pods and events of Jobs), resource-reply.ts (lists,
 * selectors, Tables), discovery.ts, request-listener.ts (auth, faults, routing), certificates.ts
 * (TLS), local-kubeconfig.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalCertificates } from './certificates.js';
import { FaultQueue, type FaultSpec } from './faults.js';
import { JobControl, type JobFinishedListener } from './job-control.js';
import { JobRunner, type JobTimers } from './job-runner.js';
import { JobStore } from './job-store.js';
import { KubeServerError } from './kube-server-error.js';
import { createRequestListener } from './request-listener.js';
import { type RecordedRequest, RequestLog } from './request-log.js';
import type { ServerContext } from './route.js';
import { StatusError } from './status-error.js';
import type { JsonObject, KubeJob } from './types.js';

export type { FaultSpec } from './faults.js';
export type { JobFinishedListener, JobOutcome } from './job-control.js';
export type { JobTimers } from './job-runner.js';
export { DEFAULT_LOCAL_JOB_SECONDS, parseJobSeconds } from './job-seconds.js';
export { KubeServerError } from './kube-server-error.js';
export {
  matchesLabelSelector,
  parseLabelSelector,
  SelectorError,
  type SelectorRequirement,
} from './label-selector.js';
export { labelValueProblems, qualifiedNameProblems } from './label-syntax.js';
export { kubeConfigForLocalServer, renderLocalKubeconfig } from './local-kubeconfig.js';
export type { RecordedRequest } from './request-log.js';
export type { KubeJob, KubeJobCondition, KubeJobStatus, KubeStatus, StatusCause } from './types.js';

export interface KubeServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The bearer token every request must carry. Default: random. */
  token?: string;
  /** Receives one object per notable event (start, stop, request); default: silent. */
  log?: (entry: JsonObject) => void;
  /** The clock for timestamps. */
  now?: () => Date;
  /**
   * Seconds after which each new Job (unless suspended) completes by itself; it is started at
   * creation. Default 0: Jobs stay as created until driven through the control API.
   */
  jobSeconds?: number;
  /** The timers behind jobSeconds (Node's by default); tests pass fakes to drive time. */
  timers?: JobTimers;
}

export interface KubeServer {
  /** `https://host:port`, the cluster `server` of a kubeconfig. */
  url: string;
  host: string;
  port: number;
  token: string;
  /** The PEM of the CA that signed the server's certificate: what clients must trust. */
  caPem: string;
  /** Seconds after which Jobs complete by themselves; 0 = never. */
  jobSeconds: number;
  stop(): Promise<void>;
  /** Copies of the Jobs of `namespace` (every namespace when omitted), oldest first. */
  jobs(namespace?: string): KubeJob[];
  /** A copy of one Job, or null. */
  getJob(namespace: string, name: string): KubeJob | null;
  /** Marks the Job started (startTime, active: 1). */
  startJob(namespace: string, name: string): KubeJob;
  /** Marks the Job complete: condition Complete "True", completionTime, succeeded: 1. */
  completeJob(namespace: string, name: string): KubeJob;
  /** Marks the Job failed: condition Failed "True" with `reason` and `message`, failed: backoffLimit + 1. */
  failJob(namespace: string, name: string, message?: string, reason?: string): KubeJob;
  /** Queues a fault; see FaultSpec. */
  injectFaults(fault: FaultSpec): void;
  clearFaults(): void;
  /** Deletes every Job and fault and forgets the request log. */
  reset(): void;
  /** The API requests served so far (the last 1000). */
  requests(): RecordedRequest[];
  /** TLS connections accepted since the start (a client that reuses its connections opens few). */
  connections(): number;
  /** The watches and followed logs open now (each ends when its client leaves). */
  streams(): number;
  /**
   * Calls `listener` with a copy of each Job that finishes from now on (Complete or Failed), whether
   * by itself (jobSeconds), through the control API or in-process; returns the function that removes it.
   */
  onJobFinished(listener: JobFinishedListener): () => void;
}

/** Runs an in-process control call, turning a missing Job (a 404 StatusError) into a KubeServerError. */
function control<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof StatusError) throw new KubeServerError(error.message);
    throw error;
  }
}

/**
 * Starts the server on `host:port` (127.0.0.1 and a free port by default).
 * Point a kubeconfig at `url` with `token` (see local-kubeconfig.ts); call `stop()` when done.
 */
export async function startKubeServer(options: KubeServerOptions = {}): Promise<KubeServer> {
  const jobSeconds = options.jobSeconds ?? 0;
  if (!Number.isFinite(jobSeconds) || jobSeconds < 0)
    throw new KubeServerError(`jobSeconds must be a number of seconds >= 0 (0 = never), got ${jobSeconds}.`);
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(16).toString('hex');
  const log = options.log ?? (() => {});
  const now = options.now ?? (() => new Date());
  const store = new JobStore(now);
  const faults = new FaultQueue();
  const requests = new RequestLog();
  const jobs = new JobControl(store, log);
  const runner = new JobRunner(store, jobs, jobSeconds, options.timers);
  const reset = () => {
    runner.cancelAll();
    store.clear();
    faults.clear();
    requests.clear();
  };
  const context: ServerContext = { store, jobs, runner, faults, requests, log, now, reset };

  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const tls = await createLocalCertificates([host]);
  const server = createServer(
    { key: tls.keyPem, cert: tls.certPem },
    createRequestListener({ token, context, delay }),
  );
  let connections = 0;
  server.on('secureConnection', () => {
    connections += 1;
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  log({ severity: 'INFO', message: 'kube server started', url, jobSeconds });

  let stopping: Promise<void> | undefined;
  return {
    url,
    host,
    port,
    token,
    caPem: tls.caPem,
    jobSeconds,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        runner.cancelAll();
        server.close(() => {
          log({ severity: 'INFO', message: 'kube server stopped', url });
          resolve();
        });
        server.closeAllConnections();
      });
      return stopping;
    },
    jobs: (namespace) => structuredClone(store.list(namespace)),
    getJob: (namespace, name) => {
      const job = store.get(namespace, name);
      return job ? structuredClone(job) : null;
    },
    startJob: (namespace, name) => control(() => jobs.start(namespace, name)),
    completeJob: (namespace, name) => control(() => jobs.complete(namespace, name)),
    failJob: (namespace, name, message, reason) => control(() => jobs.fail(namespace, name, message, reason)),
    injectFaults: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    reset,
    requests: () => requests.list(),
    connections: () => connections,
    streams: () => store.changes.listening,
    onJobFinished: (listener) => jobs.onJobFinished(listener),
  };
}

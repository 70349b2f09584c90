/**
 * A local fake of the GKE ClusterManager service for development and tests: a gRPC server implementing
 * part of `google.container.v1.ClusterManager` (from the protos `@google-cloud/container` ships), holding
 * clusters that are added and removed by hand (in process or over a small HTTP control API).
 *
 * The real `ClusterManagerClient` talks to it with
 * `{apiEndpoint: host, port, sslCreds: grpc.credentials.createInsecure()}` (`grpc` from google-gax);
 * `address` is the value for `CONTAINER_EMULATOR_HOST`.
 *
 * RPCs served: ListClusters (the inventory of Kubeflow instances; `parent` or the deprecated
 * `project_id` + `zone`, location `-` for all), GetCluster (endpoint and CA of one cluster),
 * DeleteCluster (removes it at once; the Operation it returns is already DONE). Everything else
 * answers UNIMPLEMENTED. Any served RPC can be made to fail on purpose (see `injectFault`).
 *
 * Parts: cluster-store.ts (the clusters), cluster-names.ts (reading request names), rpc-clusters.ts
 * (handlers), cluster-message.ts (Cluster/Operation messages), faults.ts, controls.ts (the manual
 * controls), control-api.ts (those controls over HTTP), placeholder-ca.ts.
 */
import {
  buildServiceImplementation,
  type LogEntry,
  shutdownGrpcServer,
  startGrpcServer,
  writeJsonLine,
} from '../lib/grpc-emulator.js';
import { loadGrpcService } from '../lib/grpc-protos.js';
import { type ClusterSpec, ClusterStore } from './cluster-store.js';
import { startControlServer } from './control-api.js';
import { type ContainerControls, createControls } from './controls.js';
import { FaultQueue } from './faults.js';
import { clusterHandlers } from './rpc-clusters.js';

export type { LogEntry } from '../lib/grpc-emulator.js';
export { CLUSTER_STATUSES, type ClusterSpec, ClusterSpecError, type ClusterStatus } from './cluster-store.js';
export type { ClusterView, ContainerControls } from './controls.js';
export { FAULTABLE_METHODS, type FaultableMethod, type FaultSpec } from './faults.js';
export { PLACEHOLDER_CA_PEM } from './placeholder-ca.js';

/** The project of clusters added without one. */
export const DEFAULT_PROJECT = 'demo-kubeflow-auto-deploy';
/** The location of clusters added without one (the zone of templates/deployments.yaml). */
export const DEFAULT_LOCATION = 'us-east1-c';

export interface ContainerEmulatorOptions {
  /** Interface to listen on (gRPC and control). Default `127.0.0.1`. */
  host?: string;
  /** gRPC port; 0 (the default) picks a free one. */
  port?: number;
  /** HTTP control API port; 0 (the default) picks a free one. */
  controlPort?: number;
  /** Project of clusters added without one. Default {@link DEFAULT_PROJECT}. */
  project?: string;
  /** Zone or region of clusters added without one. Default {@link DEFAULT_LOCATION}. */
  location?: string;
  /** Clusters that exist from the start. */
  clusters?: ClusterSpec[];
  /** Receives every log entry; default: one JSON line per entry on stdout. */
  log?: (entry: LogEntry) => void;
  /** Clock in epoch milliseconds (create and operation times). Default `Date.now`. */
  now?: () => number;
}

/** A running fake: its addresses, its controls, and `stop()`. */
export interface ContainerEmulator extends ContainerControls {
  host: string;
  /** The gRPC port. */
  port: number;
  /** gRPC `host:port` (IPv6 in brackets), the value for `CONTAINER_EMULATOR_HOST`. */
  address: string;
  /** `http://host:port` of the control API. */
  controlUrl: string;
  /** The defaults for clusters added without a project or location. */
  project: string;
  location: string;
  /** Stops the gRPC and control servers. */
  stop(): Promise<void>;
}

/**
 * Starts the fake: a gRPC ClusterManager on `host:port` and its HTTP control API on `host:controlPort`.
 * Throws a `ClusterSpecError` for a bad initial cluster, before anything listens.
 */
export async function startContainerEmulator(
  options: ContainerEmulatorOptions = {},
): Promise<ContainerEmulator> {
  const host = options.host ?? '127.0.0.1';
  const sink = options.log ?? writeJsonLine;
  const log = (entry: LogEntry) => sink({ component: 'container-emulator', ...entry });
  const now = options.now ?? Date.now;
  const defaults = {
    project: options.project ?? DEFAULT_PROJECT,
    location: options.location ?? DEFAULT_LOCATION,
  };
  const store = new ClusterStore(defaults, now);
  const faults = new FaultQueue();
  const controls = createControls(store, faults, defaults, log);
  for (const spec of options.clusters ?? []) controls.addCluster(spec);

  const service = loadGrpcService({
    packageName: '@google-cloud/container',
    protoFile: 'google/container/v1/cluster_service.proto',
    serviceName: 'google.container.v1.ClusterManager',
  });
  const implementation = buildServiceImplementation({
    service,
    serviceLabel: 'ClusterManager',
    emulatorName: 'container emulator',
    handlers: clusterHandlers(store, faults, now, log),
    log,
  });
  const grpcServer = await startGrpcServer({ host, port: options.port ?? 0, service, implementation });
  let control: Awaited<ReturnType<typeof startControlServer>>;
  try {
    control = await startControlServer(controls, host, options.controlPort ?? 0);
  } catch (error) {
    await shutdownGrpcServer(grpcServer.server);
    throw error;
  }
  const { port, address } = grpcServer;
  log({ severity: 'INFO', message: 'container emulator started', address, controlUrl: control.url });

  let stopping: Promise<void> | undefined;
  return {
    ...controls,
    host,
    port,
    address,
    controlUrl: control.url,
    ...defaults,
    stop() {
      stopping ??= (async () => {
        await Promise.all([control.close(), shutdownGrpcServer(grpcServer.server)]);
        log({ severity: 'INFO', message: 'container emulator stopped', address });
      })();
      return stopping;
    },
  };
}

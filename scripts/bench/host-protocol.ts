/** The messages between the benchmark (stack-client.ts) and the process running the product (stack-host.ts). */

/** What the host starts: the local stack with this environment (plus its own Tasks and Kubernetes fakes). */
export interface HostOptions {
  /** Product environment: AUTO_DEPLOY_CONFIG, FIRESTORE_EMULATOR_HOST, GOOGLE_CLOUD_PROJECT, ... */
  env: Record<string, string>;
  /** The namespace of the deployments file (the kubeconfig's default). */
  namespace: string;
}

/** One thing that happened in the host, with its time (epoch ms, sub-ms resolution). */
export interface TimelineEvent {
  at: number;
  /** `product`: a log line of the functions; `tasks`: the Tasks emulator; `kube`: the Kubernetes server. */
  source: 'product' | 'tasks' | 'kube';
  message: string;
  fields: Record<string, unknown>;
}

export type HostCommand =
  | { cmd: 'counts' }
  | { cmd: 'reset' }
  /** Waits until the queue is empty (nothing due or in flight) and Firestore has been idle `quietMs`. */
  | { cmd: 'settle'; timeoutMs: number; quietMs: number }
  | { cmd: 'timeline'; since: number }
  | { cmd: 'tasks' }
  /** CPU time and event-loop use of the host process so far (see HostCpu). */
  | { cmd: 'cpu' }
  | { cmd: 'stop' };

export type HostMessage =
  | { type: 'ready'; url: string; kubeUrl: string; kubeToken: string; tasksAddress: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string }
  | { type: 'job'; at: number; namespace: string; name: string; labels: Record<string, string> };

/** CPU used by the host process (the functions, the Tasks emulator, the Kubernetes server) so far. */
export interface HostCpu {
  userMs: number;
  systemMs: number;
  /** Event loop: time busy and idle (performance.eventLoopUtilization). */
  loopActiveMs: number;
  loopIdleMs: number;
}

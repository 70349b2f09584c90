/**
 * What `npm start` prints once the local stack runs: where everything is, and the commands to try,
 * on the stack's own port (the scripts call PORT's, 8080 when unset).
 */
import { LOCAL_WEBHOOK_SECRET, type LocalStack, localPortPrefix, localTickCommand } from './local-stack.js';

/** The local default is shown (npm run push:simulate uses it); a secret the user set never is. */
function describeSecret(secret: string): string {
  return secret === LOCAL_WEBHOOK_SECRET
    ? `${secret} (the local default)`
    : 'from GITHUB_WEBHOOK_SECRET (not shown)';
}

/** The parts of a running stack the banner names. */
export type BannerStack = Pick<
  LocalStack,
  | 'url'
  | 'kubeServer'
  | 'kubeconfigPath'
  | 'firestoreEmulatorHost'
  | 'config'
  | 'tasksEmulatorHost'
  | 'containerEmulatorHost'
  | 'containerEmulator'
  | 'readinessUrl'
  | 'webhookSecret'
>;

/** The banner's lines. */
export function startBanner(stack: BannerStack): string[] {
  const kube = stack.kubeServer
    ? `local API server ${stack.kubeServer.url} (kubeconfig: ${stack.kubeconfigPath})`
    : `KUBECONFIG=${stack.kubeconfigPath}`;
  const onPort = localPortPrefix(stack.url);
  const clusters = stack.containerEmulator
    ? ` (add or delete clusters by hand: ${stack.containerEmulator.controlUrl}/_control/clusters)`
    : '';
  return [
    '',
    'kubeflow-auto-deploy is running locally',
    `  status page:        ${stack.url}/deploymentStatus/`,
    `  functions:          ${stack.url}/{githubWebhook,schedulerTick,deployWorker,deploymentStatus}`,
    `  firestore emulator: ${stack.firestoreEmulatorHost} (project ${stack.config.projectId})`,
    `  tasks emulator:     ${stack.tasksEmulatorHost}`,
    `  GKE (fake):         ${stack.containerEmulatorHost}${clusters}`,
    `  readiness probes:   ${stack.readinessUrl ?? 'each version’s readiness.url'}`,
    `  kubernetes:         ${kube}`,
    `  webhook secret:     ${describeSecret(stack.webhookSecret)}`,
    `  versions:           ${stack.config.deployments.versions.map((v) => `${v.name} (${v.repo}@${v.branch})`).join(', ')}`,
    '',
    `  simulate a push:    ${onPort}npm run push:simulate -- <version> [sha]`,
    `  run a tick now:     ${localTickCommand(stack.url)}`,
    `  status in a shell:  ${onPort}npm run -s ctl -- status`,
    ...(stack.kubeServer
      ? [
          `  watch the Jobs:     kubectl --kubeconfig ${stack.kubeconfigPath} get jobs -w`,
          `  follow a Job's log: kubectl --kubeconfig ${stack.kubeconfigPath} logs -f job/<name>`,
        ]
      : []),
    '  Ctrl-C stops everything.',
    '',
  ];
}

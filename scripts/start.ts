/**
 * `npm start`: runs the whole system locally (see README "Running locally").
 * Stops on Ctrl-C, taking its emulators with it.
 */
import { ConfigError } from '../functions/config.js';
import { LOCAL_WEBHOOK_SECRET, startLocalStack } from './lib/local-stack.js';
import { stopOnSignals } from './lib/signals.js';

/** The local default is shown (npm run push:simulate uses it); a secret the user set never is. */
function describeSecret(secret: string): string {
  return secret === LOCAL_WEBHOOK_SECRET
    ? `${secret} (the local default)`
    : 'from GITHUB_WEBHOOK_SECRET (not shown)';
}

async function main(): Promise<void> {
  const stack = await startLocalStack(process.env);
  const kube = stack.kubeServer
    ? `local API server ${stack.kubeServer.url} (kubeconfig: ${stack.kubeconfigPath})`
    : `KUBECONFIG=${stack.kubeconfigPath}`;
  const lines = [
    '',
    'kubeflow-auto-deploy is running locally',
    `  status page:        ${stack.url}/deploymentStatus/`,
    `  functions:          ${stack.url}/{githubWebhook,schedulerTick,deployWorker,deploymentStatus}`,
    `  firestore emulator: ${stack.firestoreEmulatorHost} (project ${stack.config.projectId})`,
    `  tasks emulator:     ${stack.tasksEmulatorHost}`,
    `  GKE (fake):         ${stack.containerEmulatorHost}${stack.containerEmulator ? ` (add or delete clusters by hand: ${stack.containerEmulator.controlUrl}/_control/clusters)` : ''}`,
    `  readiness probes:   ${stack.readinessUrl ?? 'each version’s readiness.url'}`,
    `  kubernetes:         ${kube}`,
    `  webhook secret:     ${describeSecret(stack.webhookSecret)}`,
    `  versions:           ${stack.config.deployments.versions.map((v) => `${v.name} (${v.repo}@${v.branch})`).join(', ')}`,
    '',
    '  simulate a push:    npm run push:simulate -- <version> [sha]',
    '  run a tick now:     npm run tick',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  stopOnSignals('local-stack', () => stack.stop());
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? err.stack : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * The modules each function imports for its first request (app.ts, wiring.ts), and loading them
 * before the Functions Framework serves when the instance serves one known function.
 *
 * Why before: the framework runs every request inside a `domain` (its function_wrappers.js), and the
 * first domain turns on an async hook for the rest of the process. ES modules imported from inside
 * a request create their promises under that hook and load 1.5 to 2 times slower: measured here,
 * `import('@kubernetes/client-node')` takes ~370 ms in a plain process and ~550 ms inside a domain;
 * zod's 95 modules 50 -> 95 ms. Cloud Functions names the one function an instance serves in
 * FUNCTION_TARGET (its buildpack sets it, the framework reads it), so the entry (index.ts) loads that
 * function's modules while it starts, and its first request finds them loaded. Without it (the local
 * stack serves every function from one process, tests) each function still loads its modules on its
 * first request, so no function loads another's.
 */
/** The functions this project deploys, by their Cloud Functions name (= `--entry-point`). */
export const FUNCTION_NAMES = ['githubWebhook', 'schedulerTick', 'deployWorker', 'deploymentStatus'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The githubWebhook handler, the payload verifier (@octokit/webhooks) and the plan-task hand-off. */
export const webhookModules = () =>
  Promise.all([
    import('./github-webhook.js'),
    import('./adapters/github-payload.js'),
    import('./use-cases/plan-tasks.js'),
  ]);

/** The tick (also run by `npm run tick` and the local scheduler, without the handler). */
export const tickUseCase = () => import('./use-cases/tick.js');

/** The schedulerTick handler and the tick. */
export const tickModules = () => Promise.all([import('./scheduler-tick.js'), tickUseCase()]);

/** The deployWorker handler, the deploy request and the plan and poll tasks. */
export const workerModules = () =>
  Promise.all([
    import('./deploy-worker.js'),
    import('./use-cases/run-deploy-request.js'),
    import('./use-cases/plan-tasks.js'),
  ]);

/** The deploymentStatus handler and its routes. */
export const statusModules = () => import('./deployment-status.js');

/** The Kubernetes Jobs adapter and its client library (@kubernetes/client-node, ~1,000 ES modules). */
export const kubeJobsModule = () => import('./adapters/kube-jobs.js');

/**
 * What each function imports whatever its configuration says: the tick and the worker build their
 * Job launcher on their first request. The Cloud Tasks, GKE and ID-token clients are left to first
 * use (CommonJS, which the domain hardly slows, and not needed by every request or setting).
 */
export const FUNCTION_MODULES: Record<FunctionName, () => Promise<unknown>> = {
  githubWebhook: webhookModules,
  schedulerTick: () => Promise.all([tickModules(), kubeJobsModule()]),
  deployWorker: () => Promise.all([workerModules(), kubeJobsModule()]),
  deploymentStatus: statusModules,
};

/** The function FUNCTION_TARGET names, if it is one of ours (the framework reports any other). */
export function servedFunction(env: NodeJS.ProcessEnv): FunctionName | null {
  const target = env.FUNCTION_TARGET?.trim();
  return target !== undefined && Object.hasOwn(FUNCTION_MODULES, target) ? (target as FunctionName) : null;
}

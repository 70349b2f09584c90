import assert from 'node:assert/strict';
import { FUNCTION_NAMES } from '../../functions/app.js';
import { FUNCTION_MODULES, servedFunction } from '../../functions/function-modules.js';

describe('function-modules: what each function loads, and the function an instance serves', () => {
  const cases: Array<{ target: string | undefined; expected: string | null }> = [
    { target: 'deployWorker', expected: 'deployWorker' },
    { target: ' schedulerTick ', expected: 'schedulerTick' },
    { target: 'githubWebhook', expected: 'githubWebhook' },
    { target: 'deploymentStatus', expected: 'deploymentStatus' },
    { target: undefined, expected: null },
    { target: '', expected: null },
    { target: 'helloWorld', expected: null },
    // Names every object has must not pass for a function.
    { target: 'toString', expected: null },
    { target: 'constructor', expected: null },
  ];
  for (const { target, expected } of cases) {
    it(`FUNCTION_TARGET=${JSON.stringify(target)} serves ${expected}`, () => {
      const env = target === undefined ? {} : { FUNCTION_TARGET: target };
      assert.equal(servedFunction(env), expected);
    });
  }

  it('has modules for exactly the functions the entry registers', () => {
    assert.deepEqual(Object.keys(FUNCTION_MODULES).sort(), [...FUNCTION_NAMES].sort());
  });

  /** The export each function's build uses, and (tick, worker) the Job launcher's. */
  const expectedExports: Record<string, string[]> = {
    githubWebhook: ['createGithubWebhookHandler', 'WebhookVerifier', 'createPlanTaskEvaluator'],
    schedulerTick: ['createSchedulerTickHandler', 'runTick', 'createKubeJobLauncher'],
    deployWorker: ['createDeployWorkerHandler', 'runDeployRequest', 'runWorkTask', 'createKubeJobLauncher'],
    deploymentStatus: ['createDeploymentStatusHandler'],
  };
  for (const name of FUNCTION_NAMES) {
    it(`${name}: its modules load, with what its build uses`, async () => {
      const loaded = [(await FUNCTION_MODULES[name]()) as unknown].flat(2) as Array<Record<string, unknown>>;
      const exported = new Set(loaded.flatMap((module) => Object.keys(module)));
      for (const symbol of expectedExports[name] ?? []) {
        assert.ok(exported.has(symbol), `${name} does not load ${symbol}: ${[...exported].join(', ')}`);
      }
    });
  }
});

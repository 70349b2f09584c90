/** What `npm start` prints (scripts/lib/start-banner.ts): where things are, and commands on the stack's port. */
import assert from 'node:assert/strict';
import { type BannerStack, startBanner } from '../../scripts/lib/start-banner.js';

function stack(url: string, overrides: Partial<BannerStack> = {}): BannerStack {
  return {
    url,
    kubeServer: { url: 'https://127.0.0.1:6443' } as BannerStack['kubeServer'],
    kubeconfigPath: '/repo/.emulators/kubeconfig',
    firestoreEmulatorHost: '127.0.0.1:8181',
    config: {
      projectId: 'demo-kubeflow-auto-deploy',
      deployments: { versions: [{ name: 'master', repo: 'kubeflow/manifests', branch: 'master' }] },
    } as unknown as BannerStack['config'],
    tasksEmulatorHost: '127.0.0.1:8123',
    containerEmulatorHost: '127.0.0.1:8124',
    containerEmulator: null,
    readinessUrl: null,
    webhookSecret: 'local-dev-secret',
    ...overrides,
  };
}

describe('npm start: its banner', () => {
  it('on the default port: the commands as the README gives them, and how to watch the Jobs', () => {
    const lines = startBanner(stack('http://127.0.0.1:8080'));
    assert.ok(lines.includes('  simulate a push:    npm run push:simulate -- <version> [sha]'));
    assert.ok(lines.includes('  run a tick now:     npm run tick'));
    assert.ok(lines.includes('  status in a shell:  npm run -s ctl -- status'));
    assert.ok(
      lines.includes('  watch the Jobs:     kubectl --kubeconfig /repo/.emulators/kubeconfig get jobs -w'),
    );
    assert.ok(
      lines.includes(
        "  follow a Job's log: kubectl --kubeconfig /repo/.emulators/kubeconfig logs -f job/<name>",
      ),
    );
    assert.ok(lines.includes('  webhook secret:     local-dev-secret (the local default)'));
  });

  it('on another port: every command says PORT; a secret the user set is not shown', () => {
    const lines = startBanner(
      stack('http://127.0.0.1:8093', { webhookSecret: 's3cret-9f8e', kubeServer: null }),
    );
    const text = lines.join('\n');
    assert.match(text, /^ {2}simulate a push: {4}PORT=8093 npm run push:simulate -- <version> \[sha\]$/m);
    assert.match(text, /^ {2}run a tick now: {5}PORT=8093 npm run tick$/m);
    assert.match(text, /^ {2}status in a shell: {2}PORT=8093 npm run -s ctl -- status$/m);
    assert.ok(!text.includes('s3cret-9f8e'));
    assert.ok(!text.includes('get jobs -w'), 'no local API server (a real cluster): no watch line');
    assert.ok(!text.includes('logs -f'), 'no local API server (a real cluster): no log line');
  });
});

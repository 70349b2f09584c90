import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';

const toYaml = (value: unknown) => dump(value, { skipInvalid: true });

import {
  type AppConfig,
  ConfigError,
  DEFAULT_CONFIG_PATH,
  DEFAULT_POLICY,
  DEFAULT_READINESS,
  describeConfig,
  LOCAL_PROJECT_ID,
  loadConfig,
  parseDeploymentsConfig,
} from '../../functions/config.js';
import type { Policy } from '../../functions/core/types.js';

const SOURCE = 'test/deployments.yaml';
const KFCTL_URL =
  'https://github.com/kubeflow/kfctl/releases/download/v1.0/kfctl_v1.0-0-g94c35cf_linux.tar.gz';

type RawConfig = Record<string, unknown> & { versions: Array<Record<string, unknown>> };

/** A valid deployments file as plain data; each case breaks a copy of it. */
function validRaw(): RawConfig {
  return {
    project: 'kubeflow-ci-deployment',
    zone: 'us-east1-c',
    namespace: 'auto-deploy',
    policy: {
      minMinutesBetweenDeployments: 20,
      maxActiveDeployments: 10,
      periodicRedeployHours: 12,
      minLifetimeHours: 3,
      gracePeriodHours: 3,
    },
    versions: [
      {
        name: 'master',
        repo: 'kubeflow/manifests',
        branch: 'master',
        kfDefPath: 'kfdef/kfctl_gcp_iap.yaml',
        kfctlUrl: KFCTL_URL,
      },
      {
        name: 'v1',
        repo: 'kubeflow/manifests',
        branch: 'v1.0-branch',
        kfDefPath: 'kfdef/kfctl_gcp_iap.v1.0.0.yaml',
        kfctlUrl: KFCTL_URL,
      },
      {
        name: 'stacks',
        repo: 'kubeflow/manifests',
        branch: 'master',
        kfDefPath: 'stacks/examples/kfctl_gcp_stacks.experimental.yaml',
        kfctlUrl: KFCTL_URL,
      },
    ],
  };
}

/** validRaw() with `change` applied, as YAML text. */
function yamlWith(change: (raw: RawConfig) => void): string {
  const raw = validRaw();
  change(raw);
  return toYaml(raw);
}

function version(raw: RawConfig, index: number): Record<string, unknown> {
  const found = raw.versions[index];
  assert.ok(found, `fixture has no version ${index}`);
  return found;
}

function catchConfigError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    return err;
  }
  assert.fail('expected a ConfigError, but nothing was thrown');
}

/** One expected problem: the line names `field` and contains `value`. */
interface Problem {
  field: string;
  value: string;
}

function assertProblems(err: ConfigError, source: string, expected: Problem[]): void {
  assert.ok(err.message.includes(source), `message does not name ${source}:\n${err.message}`);
  assert.equal(err.problems.length, expected.length, `problems:\n${err.problems.join('\n')}`);
  for (const { field, value } of expected) {
    const line = err.problems.find((problem) => problem.startsWith(`${field}: `));
    assert.ok(line, `no problem for ${field} in:\n${err.problems.join('\n')}`);
    assert.ok(line.includes(value), `problem for ${field} does not show ${value}: ${line}`);
    assert.ok(err.message.includes(line), `message does not list: ${line}`);
  }
}

/** The retry, timeout and retention defaults (issue 7), the same for every case below. */
const NEW_POLICY_DEFAULTS = {
  maxDeployAttempts: 3,
  retryBackoffMinutes: 20,
  deployTimeoutMinutes: 120,
  jobRetentionHours: 72,
  failedRetentionHours: 1,
  maxTeardownAttempts: 3,
};

describe('parseDeploymentsConfig', () => {
  it('keeps a branch name exactly as written, non-ASCII white space included (git allows it)', () => {
    for (const branch of ['\u00a0', 'release\u3000x']) {
      const config = parseDeploymentsConfig(
        yamlWith((raw) => {
          version(raw, 1).branch = branch;
        }),
        SOURCE,
      );
      assert.equal(config.versions[1]?.branch, branch);
    }
  });

  it('loads the shipped default templates/deployments.yaml', () => {
    const config = parseDeploymentsConfig(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'), DEFAULT_CONFIG_PATH);

    const expectedPolicy: Policy = {
      minMinutesBetweenDeployments: 20,
      maxActiveDeployments: 10,
      periodicRedeployHours: 12,
      minLifetimeHours: 3,
      gracePeriodHours: 3,
      ...NEW_POLICY_DEFAULTS,
    };
    assert.equal(config.project, 'kubeflow-ci-deployment');
    assert.equal(config.zone, 'us-east1-c');
    assert.equal(config.namespace, 'auto-deploy');
    assert.deepEqual(config.policy, expectedPolicy);
    assert.deepEqual(
      config.versions.map((v) => [v.name, v.repo, v.branch, v.paused]),
      [
        ['master', 'kubeflow/manifests', 'master', false],
        ['v1', 'kubeflow/manifests', 'v1.0-branch', false],
        ['stacks', 'kubeflow/manifests', 'master', false],
      ],
    );
    for (const v of config.versions) {
      assert.deepEqual(v.policy, expectedPolicy, `policy of ${v.name}`);
      assert.match(v.kfctlUrl, /^https:\/\//);
    }
  });

  interface ValidCase {
    name: string;
    text: string;
    expectedPolicy: Policy;
    expectedVersionPolicies: Record<string, Policy>;
    expectedPaused?: Record<string, boolean>;
  }

  const globalPolicy: Policy = {
    minMinutesBetweenDeployments: 20,
    maxActiveDeployments: 10,
    periodicRedeployHours: 12,
    minLifetimeHours: 3,
    gracePeriodHours: 3,
    ...NEW_POLICY_DEFAULTS,
  };

  const validCases: ValidCase[] = [
    {
      name: 'no policy at all takes the default policy',
      text: yamlWith((raw) => {
        delete raw.policy;
      }),
      expectedPolicy: DEFAULT_POLICY,
      expectedVersionPolicies: { master: DEFAULT_POLICY, v1: DEFAULT_POLICY, stacks: DEFAULT_POLICY },
    },
    {
      name: 'a partial global policy merges over the default policy',
      text: yamlWith((raw) => {
        raw.policy = { maxActiveDeployments: 4, gracePeriodHours: 1.5 };
      }),
      expectedPolicy: { ...DEFAULT_POLICY, maxActiveDeployments: 4, gracePeriodHours: 1.5 },
      expectedVersionPolicies: {
        master: { ...DEFAULT_POLICY, maxActiveDeployments: 4, gracePeriodHours: 1.5 },
        v1: { ...DEFAULT_POLICY, maxActiveDeployments: 4, gracePeriodHours: 1.5 },
        stacks: { ...DEFAULT_POLICY, maxActiveDeployments: 4, gracePeriodHours: 1.5 },
      },
    },
    {
      name: 'a per-version override merges over the global policy, not over the default',
      text: yamlWith((raw) => {
        raw.policy = { ...globalPolicy, minLifetimeHours: 5, maxActiveDeployments: 6 };
        version(raw, 1).policy = { periodicRedeployHours: 48, minMinutesBetweenDeployments: 0.5 };
      }),
      expectedPolicy: { ...globalPolicy, minLifetimeHours: 5, maxActiveDeployments: 6 },
      expectedVersionPolicies: {
        master: { ...globalPolicy, minLifetimeHours: 5, maxActiveDeployments: 6 },
        v1: {
          ...globalPolicy,
          minLifetimeHours: 5,
          maxActiveDeployments: 6,
          periodicRedeployHours: 48,
          minMinutesBetweenDeployments: 0.5,
        },
        stacks: { ...globalPolicy, minLifetimeHours: 5, maxActiveDeployments: 6 },
      },
    },
    {
      name: 'an empty per-version policy changes nothing; paused is read, false by default',
      text: yamlWith((raw) => {
        version(raw, 0).policy = {};
        version(raw, 2).paused = true;
      }),
      expectedPolicy: globalPolicy,
      expectedVersionPolicies: { master: globalPolicy, v1: globalPolicy, stacks: globalPolicy },
      expectedPaused: { master: false, v1: false, stacks: true },
    },
    {
      name: 'a version name of exactly 24 characters is accepted',
      text: yamlWith((raw) => {
        version(raw, 0).name = `a${'b'.repeat(22)}9`;
      }),
      expectedPolicy: globalPolicy,
      expectedVersionPolicies: {
        [`a${'b'.repeat(22)}9`]: globalPolicy,
        v1: globalPolicy,
        stacks: globalPolicy,
      },
    },
  ];

  for (const testCase of validCases) {
    it(`accepts: ${testCase.name}`, () => {
      const config = parseDeploymentsConfig(testCase.text, SOURCE);
      assert.deepEqual(config.policy, testCase.expectedPolicy);
      assert.deepEqual(
        Object.fromEntries(config.versions.map((v) => [v.name, v.policy])),
        testCase.expectedVersionPolicies,
      );
      if (testCase.expectedPaused) {
        assert.deepEqual(
          Object.fromEntries(config.versions.map((v) => [v.name, v.paused])),
          testCase.expectedPaused,
        );
      }
    });
  }

  interface InvalidCase {
    name: string;
    text: string;
    expected: Problem[];
  }

  const invalidCases: InvalidCase[] = [
    {
      name: 'an unknown key at the top level',
      text: yamlWith((raw) => {
        raw.projects = 'typo';
      }),
      expected: [{ field: '(top level)', value: '"projects"' }],
    },
    {
      name: 'an unknown key in a version',
      text: yamlWith((raw) => {
        version(raw, 1).brnch = 'master';
      }),
      expected: [{ field: 'versions[1]', value: '"brnch"' }],
    },
    {
      name: 'an unknown key in the global policy',
      text: yamlWith((raw) => {
        raw.policy = { minLifetimeHour: 3 };
      }),
      expected: [{ field: 'policy', value: '"minLifetimeHour"' }],
    },
    {
      name: 'a missing top-level field',
      text: yamlWith((raw) => {
        delete raw.zone;
      }),
      expected: [{ field: 'zone', value: 'missing' }],
    },
    {
      name: 'a missing version field',
      text: yamlWith((raw) => {
        delete version(raw, 2).kfDefPath;
      }),
      expected: [{ field: 'versions[2].kfDefPath', value: 'missing' }],
    },
    {
      name: 'an empty string field',
      text: yamlWith((raw) => {
        raw.project = '   ';
      }),
      expected: [{ field: 'project', value: 'must not be empty' }],
    },
    {
      name: 'a number where a string is expected',
      text: yamlWith((raw) => {
        raw.zone = 42;
      }),
      expected: [{ field: 'zone', value: 'got 42' }],
    },
    {
      name: 'a string where a number is expected',
      text: yamlWith((raw) => {
        raw.policy = { minLifetimeHours: '3' };
      }),
      expected: [{ field: 'policy.minLifetimeHours', value: 'got "3"' }],
    },
    {
      name: 'a string where a boolean is expected',
      text: yamlWith((raw) => {
        version(raw, 0).paused = 'yes';
      }),
      expected: [{ field: 'versions[0].paused', value: 'got "yes"' }],
    },
    {
      name: 'versions is a mapping, not a list',
      text: yamlWith((raw) => {
        (raw as Record<string, unknown>).versions = { master: {} };
      }),
      expected: [{ field: 'versions', value: 'got {"master":{}}' }],
    },
    {
      name: 'a zero duration in the global policy',
      text: yamlWith((raw) => {
        raw.policy = { periodicRedeployHours: 0 };
      }),
      expected: [{ field: 'policy.periodicRedeployHours', value: 'got 0' }],
    },
    {
      name: 'a negative duration in a version policy',
      text: yamlWith((raw) => {
        version(raw, 1).policy = { gracePeriodHours: -1 };
      }),
      expected: [{ field: 'versions[1].policy.gracePeriodHours', value: 'got -1' }],
    },
    {
      name: 'a fractional maxActiveDeployments',
      text: yamlWith((raw) => {
        raw.policy = { maxActiveDeployments: 2.5 };
      }),
      expected: [{ field: 'policy.maxActiveDeployments', value: 'got 2.5' }],
    },
    {
      name: 'a zero maxActiveDeployments',
      text: yamlWith((raw) => {
        raw.policy = { maxActiveDeployments: 0 };
      }),
      expected: [{ field: 'policy.maxActiveDeployments', value: 'got 0' }],
    },
    {
      name: 'maxActiveDeployments overridden per version',
      text: yamlWith((raw) => {
        version(raw, 0).policy = { maxActiveDeployments: 3 };
      }),
      expected: [{ field: 'versions[0].policy', value: '"maxActiveDeployments"' }],
    },
    {
      name: 'a duplicate version name',
      text: yamlWith((raw) => {
        version(raw, 2).name = 'master';
      }),
      expected: [{ field: 'versions[2].name', value: 'got "master"' }],
    },
    {
      name: 'a repository without an owner',
      text: yamlWith((raw) => {
        version(raw, 0).repo = 'manifests';
      }),
      expected: [{ field: 'versions[0].repo', value: 'got "manifests"' }],
    },
    {
      name: 'a repository given as a URL',
      text: yamlWith((raw) => {
        version(raw, 0).repo = 'https://github.com/kubeflow/manifests';
      }),
      expected: [{ field: 'versions[0].repo', value: 'got "https://github.com/kubeflow/manifests"' }],
    },
    {
      name: 'a repository with three segments',
      text: yamlWith((raw) => {
        version(raw, 1).repo = 'kubeflow/manifests/kfdef';
      }),
      expected: [{ field: 'versions[1].repo', value: 'got "kubeflow/manifests/kfdef"' }],
    },
    // ' master' was trimmed to 'master' once: a branch name is taken exactly as written.
    ...['a..b', '-x', 'x.lock', 'has space', 'feature/', 'a@{1}', ' master', 'master\t'].map(
      (branch): InvalidCase => ({
        name: `an invalid branch ${JSON.stringify(branch)}`,
        text: yamlWith((raw) => {
          version(raw, 1).branch = branch;
        }),
        expected: [{ field: 'versions[1].branch', value: `got ${JSON.stringify(branch)}` }],
      }),
    ),
    ...['Master', 'a'.repeat(25), 'trailing-', '1st', 'v1.0', 'with_underscore'].map(
      (name): InvalidCase => ({
        name: `a version name that cannot form a label or instance name ${JSON.stringify(name)}`,
        text: yamlWith((raw) => {
          version(raw, 0).name = name;
        }),
        expected: [{ field: 'versions[0].name', value: `got ${JSON.stringify(name)}` }],
      }),
    ),
    ...['../secrets.yaml', 'kfdef/../../etc/passwd', '/kfdef/kfctl_gcp_iap.yaml'].map(
      (kfDefPath): InvalidCase => ({
        name: `a kfDefPath outside the repository ${JSON.stringify(kfDefPath)}`,
        text: yamlWith((raw) => {
          version(raw, 2).kfDefPath = kfDefPath;
        }),
        expected: [{ field: 'versions[2].kfDefPath', value: `got ${JSON.stringify(kfDefPath)}` }],
      }),
    ),
    ...[
      'ftp://example.com/kfctl.tar.gz',
      'file:///usr/local/bin/kfctl',
      'javascript:alert(1)',
      'kfctl.tar.gz',
    ].map(
      (kfctlUrl): InvalidCase => ({
        name: `a non-http kfctlUrl ${JSON.stringify(kfctlUrl)}`,
        text: yamlWith((raw) => {
          version(raw, 0).kfctlUrl = kfctlUrl;
        }),
        expected: [{ field: 'versions[0].kfctlUrl', value: `got ${JSON.stringify(kfctlUrl)}` }],
      }),
    ),
    {
      name: 'a namespace that is not a valid name',
      text: yamlWith((raw) => {
        raw.namespace = 'auto deploy';
      }),
      expected: [{ field: 'namespace', value: 'got "auto deploy"' }],
    },
    {
      name: 'an empty versions list',
      text: yamlWith((raw) => {
        raw.versions = [];
      }),
      expected: [{ field: 'versions', value: 'got []' }],
    },
    {
      name: 'a file that is empty',
      text: '',
      expected: [{ field: '(top level)', value: 'got null' }],
    },
    {
      name: 'a file that is a list, not a mapping',
      text: '- master\n- v1\n',
      expected: [{ field: '(top level)', value: 'got ["master","v1"]' }],
    },
    {
      name: 'several problems at once, all reported',
      text: yamlWith((raw) => {
        raw.colour = 'blue';
        delete raw.project;
        raw.policy = { maxActiveDeployments: 1.5, minLifetimeHours: -2 };
        version(raw, 0).branch = 'a..b';
        version(raw, 1).name = 'V1';
        version(raw, 1).kfctlUrl = 'ftp://example.com/kfctl';
        version(raw, 2).name = 'master';
        version(raw, 2).policy = { maxActiveDeployments: 2 };
      }),
      expected: [
        { field: '(top level)', value: '"colour"' },
        { field: 'project', value: 'missing' },
        { field: 'policy.maxActiveDeployments', value: 'got 1.5' },
        { field: 'policy.minLifetimeHours', value: 'got -2' },
        { field: 'versions[0].branch', value: 'got "a..b"' },
        { field: 'versions[1].name', value: 'got "V1"' },
        { field: 'versions[1].kfctlUrl', value: 'got "ftp://example.com/kfctl"' },
        { field: 'versions[2].policy', value: '"maxActiveDeployments"' },
        { field: 'versions[2].name', value: 'got "master"' },
      ],
    },
  ];

  for (const testCase of invalidCases) {
    it(`rejects ${testCase.name}`, () => {
      const err = catchConfigError(() => parseDeploymentsConfig(testCase.text, SOURCE));
      assertProblems(err, SOURCE, testCase.expected);
    });
  }

  it('says how many problems there are in the message', () => {
    const err = catchConfigError(() =>
      parseDeploymentsConfig(
        yamlWith((raw) => {
          raw.zone = 1;
          raw.namespace = 2;
        }),
        SOURCE,
      ),
    );
    assert.match(err.message, /\(2 problems;/);
  });

  interface YamlCase {
    name: string;
    text: string;
  }

  const invalidYamlCases: YamlCase[] = [
    { name: 'an unclosed flow sequence', text: 'project: [kubeflow\nzone: us-east1-c\n' },
    { name: 'a duplicate key', text: 'project: a\nproject: b\n' },
    { name: 'a tab-indented block', text: 'versions:\n\t- name: master\n' },
  ];

  for (const testCase of invalidYamlCases) {
    it(`rejects invalid YAML: ${testCase.name}`, () => {
      const err = catchConfigError(() => parseDeploymentsConfig(testCase.text, SOURCE));
      assert.ok(err.message.startsWith(`Invalid deployments config ${SOURCE}: not valid YAML`), err.message);
      assert.equal(err.problems.length, 1);
    });
  }
});

describe('loadConfig', () => {
  let dir: string;
  let validPath: string;
  let invalidPath: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'auto-deploy-config-'));
    validPath = join(dir, 'valid.yaml');
    writeFileSync(
      validPath,
      yamlWith((raw) => {
        raw.project = 'from-temp-file';
        raw.versions = raw.versions.slice(0, 1);
      }),
    );
    invalidPath = join(dir, 'invalid.yaml');
    writeFileSync(
      invalidPath,
      yamlWith((raw) => {
        version(raw, 1).branch = 'has space';
      }),
    );
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  interface LoadCase {
    name: string;
    env: () => NodeJS.ProcessEnv;
    expected: () => Partial<Omit<AppConfig, 'deployments'>> & { deploymentsProject?: string };
  }

  const loadCases: LoadCase[] = [
    {
      name: 'the default file when AUTO_DEPLOY_CONFIG is unset',
      env: () => ({ GOOGLE_CLOUD_PROJECT: 'my-project' }),
      expected: () => ({
        configPath: DEFAULT_CONFIG_PATH,
        deploymentsProject: 'kubeflow-ci-deployment',
        projectId: 'my-project',
        firestoreEmulatorHost: null,
        webhookSecrets: [],
      }),
    },
    {
      name: 'the default file when AUTO_DEPLOY_CONFIG is blank',
      env: () => ({ AUTO_DEPLOY_CONFIG: '  ', GOOGLE_CLOUD_PROJECT: 'my-project' }),
      expected: () => ({ configPath: DEFAULT_CONFIG_PATH, deploymentsProject: 'kubeflow-ci-deployment' }),
    },
    {
      name: 'the file AUTO_DEPLOY_CONFIG names',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, GOOGLE_CLOUD_PROJECT: 'my-project' }),
      expected: () => ({
        configPath: validPath,
        deploymentsProject: 'from-temp-file',
        projectId: 'my-project',
      }),
    },
    {
      name: 'GCLOUD_PROJECT when GOOGLE_CLOUD_PROJECT is unset',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, GCLOUD_PROJECT: 'legacy-project' }),
      expected: () => ({ projectId: 'legacy-project' }),
    },
    {
      name: 'the demo project with an emulator and no project',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, FIRESTORE_EMULATOR_HOST: 'localhost:8080' }),
      expected: () => ({ projectId: LOCAL_PROJECT_ID, firestoreEmulatorHost: 'localhost:8080' }),
    },
    {
      name: 'the given project with an emulator',
      env: () => ({
        AUTO_DEPLOY_CONFIG: validPath,
        FIRESTORE_EMULATOR_HOST: '127.0.0.1:8081',
        GOOGLE_CLOUD_PROJECT: 'demo-given',
      }),
      expected: () => ({ projectId: 'demo-given', firestoreEmulatorHost: '127.0.0.1:8081' }),
    },
    {
      name: 'an IPv6 emulator host',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, FIRESTORE_EMULATOR_HOST: '[::1]:8080' }),
      expected: () => ({ firestoreEmulatorHost: '[::1]:8080' }),
    },
    {
      name: 'the current webhook secret',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, GOOGLE_CLOUD_PROJECT: 'p', GITHUB_WEBHOOK_SECRET: 'cur' }),
      expected: () => ({ webhookSecrets: ['cur'] }),
    },
    {
      name: 'the current and the previous webhook secret, current first',
      env: () => ({
        AUTO_DEPLOY_CONFIG: validPath,
        GOOGLE_CLOUD_PROJECT: 'p',
        GITHUB_WEBHOOK_SECRET_PREVIOUS: 'prev',
        GITHUB_WEBHOOK_SECRET: 'cur',
      }),
      expected: () => ({ webhookSecrets: ['cur', 'prev'] }),
    },
    {
      name: 'only the previous webhook secret, a blank current one ignored',
      env: () => ({
        AUTO_DEPLOY_CONFIG: validPath,
        GOOGLE_CLOUD_PROJECT: 'p',
        GITHUB_WEBHOOK_SECRET: ' ',
        GITHUB_WEBHOOK_SECRET_PREVIOUS: 'prev',
      }),
      expected: () => ({ webhookSecrets: ['prev'] }),
    },
  ];

  for (const testCase of loadCases) {
    it(`loads ${testCase.name}`, () => {
      const config = loadConfig(testCase.env());
      const { deploymentsProject, ...fields } = testCase.expected();
      for (const [key, value] of Object.entries(fields)) {
        assert.deepEqual(config[key as keyof AppConfig], value, key);
      }
      if (deploymentsProject !== undefined) assert.equal(config.deployments.project, deploymentsProject);
    });
  }

  interface FailCase {
    name: string;
    env: () => NodeJS.ProcessEnv;
    /** Each problem must contain every string of its entry. */
    expectedProblems: () => string[][];
  }

  const failCases: FailCase[] = [
    {
      name: 'a missing deployments file',
      env: () => ({ AUTO_DEPLOY_CONFIG: join(dir, 'absent.yaml'), GOOGLE_CLOUD_PROJECT: 'p' }),
      expectedProblems: () => [['AUTO_DEPLOY_CONFIG', join(dir, 'absent.yaml')]],
    },
    {
      name: 'an invalid deployments file',
      env: () => ({ AUTO_DEPLOY_CONFIG: invalidPath, GOOGLE_CLOUD_PROJECT: 'p' }),
      expectedProblems: () => [[invalidPath, 'versions[1].branch', '"has space"']],
    },
    {
      name: 'no project and no emulator',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath }),
      expectedProblems: () => [['GOOGLE_CLOUD_PROJECT']],
    },
    {
      name: 'a blank project and no emulator',
      env: () => ({ AUTO_DEPLOY_CONFIG: validPath, GOOGLE_CLOUD_PROJECT: '  ' }),
      expectedProblems: () => [['GOOGLE_CLOUD_PROJECT']],
    },
    ...['localhost', 'http://localhost:8080', 'localhost:port', 'local host:8080'].map(
      (host): FailCase => ({
        name: `a bad FIRESTORE_EMULATOR_HOST ${JSON.stringify(host)}`,
        env: () => ({ AUTO_DEPLOY_CONFIG: validPath, FIRESTORE_EMULATOR_HOST: host }),
        expectedProblems: () => [['FIRESTORE_EMULATOR_HOST', JSON.stringify(host)]],
      }),
    ),
    {
      name: 'a missing file and no project, both reported',
      env: () => ({ AUTO_DEPLOY_CONFIG: join(dir, 'absent.yaml'), GOOGLE_CLOUD_PROJECT: '' }),
      expectedProblems: () => [['AUTO_DEPLOY_CONFIG'], ['GOOGLE_CLOUD_PROJECT']],
    },
    {
      name: 'an invalid file and a bad emulator host at once',
      env: () => ({ AUTO_DEPLOY_CONFIG: invalidPath, FIRESTORE_EMULATOR_HOST: 'emulator' }),
      expectedProblems: () => [['versions[1].branch'], ['FIRESTORE_EMULATOR_HOST', '"emulator"']],
    },
  ];

  for (const testCase of failCases) {
    it(`rejects ${testCase.name}`, () => {
      const err = catchConfigError(() => loadConfig(testCase.env()));
      const expectedProblems = testCase.expectedProblems();
      assert.equal(err.problems.length, expectedProblems.length, err.problems.join('\n'));
      expectedProblems.forEach((parts, index) => {
        const problem = err.problems[index] ?? '';
        for (const part of parts) {
          assert.ok(problem.includes(part), `problem ${index} does not contain ${part}: ${problem}`);
          assert.ok(err.message.includes(part), `message does not contain ${part}`);
        }
      });
    });
  }

  it('never reads process.env when given an env object', () => {
    // A child process whose process.env holds other values than the object given to loadConfig: code
    // that read process.env would pick those up. (Tests never reassign this process's own env.)
    const script = `
      import { loadConfig } from './functions/config.ts';
      const config = loadConfig({ AUTO_DEPLOY_CONFIG: ${JSON.stringify(validPath)}, GOOGLE_CLOUD_PROJECT: 'only-from-the-object' });
      console.log(JSON.stringify({ projectId: config.projectId, secrets: config.webhookSecrets, tasks: config.tasks, api: config.github.apiUrl }));
    `;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        GOOGLE_CLOUD_PROJECT: 'from-process-env',
        GITHUB_WEBHOOK_SECRET: 'from-process-env',
        TASKS_QUEUE: 'projects/p/locations/l/queues/from-process-env',
        DEPLOY_WORKER_URL: 'https://from-process-env.example/run',
        GITHUB_API_URL: 'https://from-process-env.example/api',
      },
    });
    const read = JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
    assert.equal(read.projectId, 'only-from-the-object');
    assert.deepEqual(read.secrets, []);
    assert.match(read.tasks.problem, /TASKS_QUEUE: must name the deploy queue/);
    assert.equal(read.api, 'https://api.github.com');
  });

  const envProblems: Array<[string, NodeJS.ProcessEnv, string[]]> = [
    ...['localhost', 'localhost:', ':8123', 'http://localhost:8123', 'localhost:99999', '::1:8123'].map(
      (host): [string, NodeJS.ProcessEnv, string[]] => [
        `a bad CLOUD_TASKS_EMULATOR_HOST ${JSON.stringify(host)}`,
        { CLOUD_TASKS_EMULATOR_HOST: host },
        ['CLOUD_TASKS_EMULATOR_HOST', 'must be host:port', JSON.stringify(host)],
      ],
    ),
    [
      'a DEPLOY_WORKER_URL that is no URL',
      { DEPLOY_WORKER_URL: 'worker' },
      ['DEPLOY_WORKER_URL', '"worker"'],
    ],
    [
      'a DEPLOY_WORKER_URL that is not http(s)',
      { DEPLOY_WORKER_URL: 'ftp://x/y' },
      ['DEPLOY_WORKER_URL', 'ftp://x/y'],
    ],
    [
      'a dispatch deadline under 15 s',
      { TASKS_DISPATCH_DEADLINE_SECONDS: '5' },
      ['TASKS_DISPATCH_DEADLINE_SECONDS', '15 to 1800', '"5"'],
    ],
    [
      'a dispatch deadline over 1800 s',
      { TASKS_DISPATCH_DEADLINE_SECONDS: '3600' },
      ['TASKS_DISPATCH_DEADLINE_SECONDS', '"3600"'],
    ],
    [
      'a dispatch deadline that is not whole',
      { TASKS_DISPATCH_DEADLINE_SECONDS: '60.5' },
      ['TASKS_DISPATCH_DEADLINE_SECONDS', '"60.5"'],
    ],
    [
      'a GITHUB_POLL that is not a boolean',
      { GITHUB_POLL: 'yes' },
      ['GITHUB_POLL', 'true or false', '"yes"'],
    ],
    [
      'a GITHUB_DEPLOYMENTS that is not a boolean',
      { GITHUB_DEPLOYMENTS: 'on', GITHUB_TOKEN: 't' },
      ['GITHUB_DEPLOYMENTS', 'true or false', '"on"'],
    ],
    [
      'GITHUB_DEPLOYMENTS=true without a GITHUB_TOKEN',
      { GITHUB_DEPLOYMENTS: 'True' },
      ['GITHUB_DEPLOYMENTS', 'needs GITHUB_TOKEN', 'deployments: write', 'repo_deployment'],
    ],
    [
      'a GITHUB_API_URL that is no URL',
      { GITHUB_API_URL: 'api.github.com' },
      ['GITHUB_API_URL', '"api.github.com"'],
    ],
    ['a queue path that is a bare id', { TASKS_QUEUE: 'deploys' }, ['TASKS_QUEUE', 'bare queue id']],
    [
      'a READINESS_URL with an unknown placeholder',
      { READINESS_URL: 'http://x/{cluster}' },
      ['READINESS_URL', 'placeholders'],
    ],
    [
      'a GKE_CLUSTER that is not a cluster resource name',
      { GKE_CLUSTER: 'projects/p/zones/us-east1-c/clusters/deployer' },
      [
        'GKE_CLUSTER',
        'projects/PROJECT/locations/LOCATION/clusters/CLUSTER',
        '"projects/p/zones/us-east1-c/clusters/deployer"',
      ],
    ],
    [
      'a bad CONTAINER_EMULATOR_HOST',
      { CONTAINER_EMULATOR_HOST: 'container' },
      ['CONTAINER_EMULATOR_HOST', '"container"'],
    ],
  ];
  for (const [name, env, parts] of envProblems) {
    it(`rejects ${name}`, () => {
      const err = catchConfigError(() =>
        loadConfig({ AUTO_DEPLOY_CONFIG: validPath, GOOGLE_CLOUD_PROJECT: 'p', ...env }),
      );
      assert.equal(err.problems.length, 1, err.problems.join('\n'));
      for (const part of parts)
        assert.ok(err.problems[0]?.includes(part), `${part} not in ${err.problems[0]}`);
    });
  }

  it('reports every environment problem at once, the file problem first', () => {
    const err = catchConfigError(() =>
      loadConfig({
        AUTO_DEPLOY_CONFIG: invalidPath,
        CLOUD_TASKS_EMULATOR_HOST: 'nope',
        DEPLOY_WORKER_URL: 'worker',
        TASKS_DISPATCH_DEADLINE_SECONDS: '5',
        TASKS_QUEUE: 'deploys',
      }),
    );
    assert.deepEqual(
      err.problems.map((problem) => problem.split(':')[0]),
      [
        `Invalid deployments config ${invalidPath} (1 problem; fix them and redeploy, see README "Configuration")`.split(
          ':',
        )[0],
        'DEPLOY_WORKER_URL',
        'TASKS_DISPATCH_DEADLINE_SECONDS',
        'CLOUD_TASKS_EMULATOR_HOST',
        'GOOGLE_CLOUD_PROJECT',
        'TASKS_QUEUE',
      ],
    );
  });

  it('accepts the largest dispatch deadline, and hands the adapters parsed settings', () => {
    const config = loadConfig({
      AUTO_DEPLOY_CONFIG: validPath,
      GOOGLE_CLOUD_PROJECT: 'p',
      TASKS_QUEUE: 'projects/p/locations/l/queues/q',
      DEPLOY_WORKER_URL: 'https://worker.example/run',
      TASKS_DISPATCH_DEADLINE_SECONDS: '1800',
      CLOUD_TASKS_EMULATOR_HOST: '[::1]:8123',
      GITHUB_API_URL: 'https://ghe.example/api/v3/',
      GITHUB_POLL: 'FALSE',
    });
    assert.deepEqual(config.tasks, {
      queuePath: 'projects/p/locations/l/queues/q',
      emulator: { host: '[::1]', port: 8123 },
      workerUrl: 'https://worker.example/run',
      serviceAccountEmail: null,
      dispatchDeadlineSeconds: 1800,
    });
    assert.deepEqual(config.github, {
      apiUrl: 'https://ghe.example/api/v3',
      token: null,
      isPollEnabled: false,
      isDeploymentsEnabled: false,
    });
  });

  it('turns the GitHub deployments on with GITHUB_DEPLOYMENTS=true and a token', () => {
    const config = loadConfig({
      AUTO_DEPLOY_CONFIG: validPath,
      GOOGLE_CLOUD_PROJECT: 'p',
      GITHUB_DEPLOYMENTS: ' TRUE ',
      GITHUB_TOKEN: 'github_pat_x',
    });
    assert.equal(config.github.isDeploymentsEnabled, true);
    assert.equal(config.github.token, 'github_pat_x');
    const off = loadConfig({
      AUTO_DEPLOY_CONFIG: validPath,
      GOOGLE_CLOUD_PROJECT: 'p',
      GITHUB_DEPLOYMENTS: 'false',
    });
    assert.equal(off.github.isDeploymentsEnabled, false);
  });

  it('TICK_COMMAND: the command the status page shows to run a tick, trimmed; blank or unset is null', () => {
    const base = { AUTO_DEPLOY_CONFIG: validPath, GOOGLE_CLOUD_PROJECT: 'p' };
    const command = 'gcloud scheduler jobs run auto-deploy-tick --location=us-central1 --project=p';
    assert.equal(loadConfig({ ...base, TICK_COMMAND: ` ${command} ` }).tickCommand, command);
    assert.equal(loadConfig({ ...base, TICK_COMMAND: '  ' }).tickCommand, null);
    assert.equal(loadConfig(base).tickCommand, null);
  });
});

describe('describeConfig', () => {
  const secrets = ['s3cret-current-9f8e7d', 's3cret-previous-1a2b3c'];

  function appConfig(webhookSecrets: string[]): AppConfig {
    return {
      configPath: '/etc/auto-deploy/deployments.yaml',
      deployments: parseDeploymentsConfig(toYaml(validRaw()), SOURCE),
      projectId: 'my-project',
      firestoreEmulatorHost: null,
      webhookSecrets,
      tasks: { problem: 'not configured' },
      github: {
        apiUrl: 'https://api.github.com',
        token: 'ghp_token-must-not-leak',
        isPollEnabled: true,
        isDeploymentsEnabled: true,
      },
      kube: { gkeCluster: null, env: {} },
      containerEmulator: null,
      readinessUrl: null,
      tickCommand: null,
      auth: { mode: 'off' },
    };
  }

  const cases: Array<{ name: string; secrets: string[]; expectedMask: string }> = [
    { name: 'no secret', secrets: [], expectedMask: '0 set' },
    { name: 'one secret', secrets: secrets.slice(0, 1), expectedMask: '1 set' },
    { name: 'two secrets', secrets, expectedMask: '2 set' },
  ];

  for (const testCase of cases) {
    it(`masks ${testCase.name}`, () => {
      const described = describeConfig(appConfig(testCase.secrets));
      const json = JSON.stringify(described);
      for (const secret of secrets) assert.ok(!json.includes(secret), `${secret} leaked: ${json}`);
      assert.ok(!json.includes('ghp_token-must-not-leak'), 'the GitHub token leaked');
      assert.equal(described.webhookSecrets, testCase.expectedMask);
      assert.equal(described.projectId, 'my-project');
      assert.equal(described.configPath, '/etc/auto-deploy/deployments.yaml');
      assert.ok(json.includes('kubeflow-ci-deployment'), 'the deployments config is described');
    });
  }
});

describe('parseDeploymentsConfig: problems that used to hide each other', () => {
  it('reports a duplicate version name together with a type error in another version', () => {
    const err = catchConfigError(() =>
      parseDeploymentsConfig(
        yamlWith((raw) => {
          const versions = raw.versions as Array<Record<string, unknown>>;
          const first = versions[0] ?? {};
          versions.push({ ...first }, { ...first, name: 'other', kfctlUrl: 3 });
        }),
        SOURCE,
      ),
    );
    assert.ok(
      err.problems.some((problem) => /duplicates the name/.test(problem)),
      err.message,
    );
    assert.ok(
      err.problems.some((problem) => /kfctlUrl/.test(problem)),
      err.message,
    );
  });

  for (const namespace of ['Auto_Deploy', 'auto.deploy', 'UPPER']) {
    it(`rejects namespace ${JSON.stringify(namespace)}, which Kubernetes would refuse`, () => {
      const err = catchConfigError(() =>
        parseDeploymentsConfig(
          yamlWith((raw) => {
            raw.namespace = namespace;
          }),
          SOURCE,
        ),
      );
      assert.ok(
        err.problems.some((problem) => problem.startsWith('namespace:')),
        err.message,
      );
    });
  }
});

describe('parseDeploymentsConfig: readiness and inventory (issue 7)', () => {
  it('defaults: readiness on with the IAP endpoint, the inventory on and adopting', () => {
    const config = parseDeploymentsConfig(toYaml(validRaw()), SOURCE);
    assert.deepEqual(config.readiness, DEFAULT_READINESS);
    assert.equal(config.readiness.enabled, true);
    assert.deepEqual(config.inventory, { enabled: true, adopt: true });
    for (const version of config.versions) assert.deepEqual(version.readiness, DEFAULT_READINESS);
  });

  it('merges the top-level readiness, then each version override', () => {
    const config = parseDeploymentsConfig(
      yamlWith((raw) => {
        raw.readiness = { url: 'http://{instance}.{zone}.example/{version}', timeoutSeconds: 5 };
        raw.inventory = { adopt: false };
        version(raw, 1).readiness = { enabled: false };
      }),
      SOURCE,
    );
    assert.equal(config.readiness.url, 'http://{instance}.{zone}.example/{version}');
    assert.equal(config.readiness.timeoutSeconds, 5);
    assert.deepEqual(config.inventory, { enabled: true, adopt: false });
    assert.equal(config.versions[0]?.readiness.enabled, true);
    assert.equal(config.versions[1]?.readiness.enabled, false);
    assert.equal(config.versions[1]?.readiness.timeoutSeconds, 5);
  });

  const bad: Array<[string, (raw: RawConfig) => void, string]> = [
    [
      'an unknown placeholder',
      (raw) => {
        raw.readiness = { url: 'https://{cluster}.example/' };
      },
      'readiness.url',
    ],
    [
      'a URL that is not http(s)',
      (raw) => {
        raw.readiness = { url: 'ftp://{instance}/' };
      },
      'readiness.url',
    ],
    [
      'an empty expectStatus',
      (raw) => {
        raw.readiness = { expectStatus: [] };
      },
      'readiness.expectStatus',
    ],
    [
      'a status out of range',
      (raw) => {
        raw.readiness = { expectStatus: [200, 700] };
      },
      'readiness.expectStatus',
    ],
    [
      'failuresToUnhealthy 0',
      (raw) => {
        raw.readiness = { failuresToUnhealthy: 0 };
      },
      'readiness.failuresToUnhealthy',
    ],
    [
      'an unknown inventory key',
      (raw) => {
        raw.inventory = { adoptAll: true };
      },
      'inventory',
    ],
    [
      'maxDeployAttempts 1.5',
      (raw) => {
        raw.policy = { maxDeployAttempts: 1.5 };
      },
      'policy.maxDeployAttempts',
    ],
    [
      'a negative failedRetentionHours',
      (raw) => {
        raw.policy = { failedRetentionHours: -1 };
      },
      'policy.failedRetentionHours',
    ],
  ];
  for (const [name, change, field] of bad) {
    it(`rejects ${name}, naming ${field}`, () => {
      const err = catchConfigError(() => parseDeploymentsConfig(yamlWith(change), SOURCE));
      assert.ok(
        err.problems.some((problem) => problem.startsWith(field)),
        err.message,
      );
    });
  }
});

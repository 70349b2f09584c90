// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions are strings with ${...} in them.
/**
 * infra/ against the app: the functions Terraform deploys are the app's functions, with the
 * environment and the secrets the app reads. Parsed offline (test/support/terraform.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/app.js';
import { ENVIRONMENT_VARIABLES, readEnvironment } from '../../functions/config/environment.js';
import { loadConfig } from '../../functions/config.js';
import {
  defaultOf,
  type Hcl,
  loadTerraform,
  localsReferenced,
  resourceOf,
  type Terraform,
} from '../support/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Environment variables Terraform passes that the app does not read yet, and why. */
const READ_LATER: Record<string, string> = {};

/** What each function must get: plain variables and secrets (by variable name). */
const EXPECTED: Record<FunctionName, { env: string[]; secrets: string[] }> = {
  githubWebhook: {
    env: [
      'DEPLOY_WORKER_URL',
      'GOOGLE_CLOUD_PROJECT',
      'TASKS_DISPATCH_DEADLINE_SECONDS',
      'TASKS_QUEUE',
      'TASKS_SERVICE_ACCOUNT',
    ],
    secrets: ['GITHUB_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET_PREVIOUS'],
  },
  schedulerTick: {
    env: [
      'AUTH_MODE',
      'DEPLOY_WORKER_URL',
      'GITHUB_API_URL',
      'GITHUB_DEPLOYMENTS',
      'GITHUB_POLL',
      'GKE_CLUSTER',
      'GOOGLE_CLOUD_PROJECT',
      'KUBECONFIG',
      'SCHEDULER_SERVICE_ACCOUNT',
      'SCHEDULER_TICK_URL',
      'TASKS_DISPATCH_DEADLINE_SECONDS',
      'TASKS_QUEUE',
      'TASKS_SERVICE_ACCOUNT',
    ],
    secrets: ['GITHUB_TOKEN'],
  },
  deployWorker: {
    env: [
      'AUTH_MODE',
      'DEPLOY_WORKER_URL',
      'GITHUB_API_URL',
      'GITHUB_DEPLOYMENTS',
      'GKE_CLUSTER',
      'GOOGLE_CLOUD_PROJECT',
      'KUBECONFIG',
      // The worker runs the plan tasks, which queue deploy requests.
      'TASKS_DISPATCH_DEADLINE_SECONDS',
      'TASKS_QUEUE',
      'TASKS_SERVICE_ACCOUNT',
    ],
    secrets: ['GITHUB_TOKEN'],
  },
  deploymentStatus: {
    env: [
      'ALLOWED_PRINCIPALS',
      'AUTH_MODE',
      'DEPLOY_WORKER_URL',
      'GOOGLE_CLOUD_PROJECT',
      'STATUS_EXTRA_AUDIENCES',
      'STATUS_PRIVATE',
      'STATUS_URL',
      'TASKS_DISPATCH_DEADLINE_SECONDS',
      'TASKS_QUEUE',
      'TASKS_SERVICE_ACCOUNT',
      'TICK_COMMAND',
    ],
    secrets: [],
  },
};

/** A plausible production value of each variable Terraform passes, as the app would get it. */
const SAMPLE: Record<string, string> = {
  GOOGLE_CLOUD_PROJECT: 'demo-infra-test',
  AUTH_MODE: 'required',
  GKE_CLUSTER: 'projects/demo-infra-test/locations/us-east1-d/clusters/deployer',
  KUBECONFIG: '/secrets/kube/config',
  TASKS_QUEUE: 'projects/demo-infra-test/locations/us-central1/queues/auto-deploy',
  DEPLOY_WORKER_URL: 'https://deployworker-123.us-central1.run.app',
  TASKS_SERVICE_ACCOUNT: 'auto-deploy-tasks@demo-infra-test.iam.gserviceaccount.com',
  TASKS_DISPATCH_DEADLINE_SECONDS: '600',
  GITHUB_API_URL: 'https://api.github.com',
  GITHUB_POLL: 'true',
  GITHUB_DEPLOYMENTS: 'true',
  SCHEDULER_SERVICE_ACCOUNT: 'auto-deploy-scheduler@demo-infra-test.iam.gserviceaccount.com',
  SCHEDULER_TICK_URL: 'https://schedulertick-123.us-central1.run.app',
  STATUS_URL: 'https://deploymentstatus-123.us-central1.run.app',
  ALLOWED_PRINCIPALS: 'alice@example.com,domain:kubeflow.org',
  STATUS_PRIVATE: 'false',
  STATUS_EXTRA_AUDIENCES: '32555940559.apps.googleusercontent.com',
  TICK_COMMAND: 'gcloud scheduler jobs run auto-deploy-tick --location=us-central1 --project=demo-infra-test',
};

/** Every variable the app reads: declared once, in the environment schema. */
function envReadByApp(): Set<string> {
  return new Set(ENVIRONMENT_VARIABLES);
}

/** The names of the plain environment variables a function gets: the keys of the groups it merges. */
function envNamesOf(terraform: Terraform, name: FunctionName): string[] {
  const expression: string =
    name === 'deployWorker' ? terraform.locals.worker_env : terraform.locals.caller_env[name];
  const groups = localsReferenced(expression);
  assert.ok(groups.length > 0, `${name}: its environment merges no group (${expression})`);
  return groups.flatMap((group) => Object.keys(terraform.locals[group] ?? {})).sort();
}

function serviceConfigOf(terraform: Terraform, name: FunctionName): Hcl {
  const key =
    name === 'deployWorker'
      ? 'google_cloudfunctions2_function.worker'
      : 'google_cloudfunctions2_function.function';
  return resourceOf(terraform, key).service_config[0];
}

describe('infra: the functions', () => {
  let terraform: Terraform;
  before(async () => {
    terraform = await loadTerraform(join(ROOT, 'infra'));
  });

  it('deploys exactly the app FUNCTION_NAMES, each named after itself and its own entry point', () => {
    assert.deepEqual(Object.keys(terraform.locals.functions).sort(), [...FUNCTION_NAMES].sort());
    const worker = resourceOf(terraform, 'google_cloudfunctions2_function.worker');
    assert.equal(worker.name, 'deployWorker');
    assert.equal(worker.build_config[0].entry_point, 'deployWorker');
    const others = resourceOf(terraform, 'google_cloudfunctions2_function.function');
    assert.equal(
      others.for_each,
      '${{ for name, settings in local.functions : name => settings if name != "deployWorker" }}',
    );
    assert.equal(others.name, '${each.key}');
    assert.equal(others.build_config[0].entry_point, '${each.key}');
  });

  it('builds both function resources the same way: Node 20, the source object, the build account', () => {
    assert.equal(terraform.locals.runtime, 'nodejs20');
    for (const key of [
      'google_cloudfunctions2_function.worker',
      'google_cloudfunctions2_function.function',
    ]) {
      const build = resourceOf(terraform, key).build_config[0];
      assert.equal(build.runtime, '${local.runtime}', key);
      assert.equal(build.service_account, '${google_service_account.build.id}', key);
      assert.deepEqual(
        build.source[0].storage_source[0],
        { bucket: '${google_storage_bucket.source.name}', object: '${local.source_object}' },
        key,
      );
    }
  });

  it("matches the app's entry point: main is build/index.js, built by gcp-build", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.main, 'build/index.js');
    assert.equal(pkg.scripts['gcp-build'], 'npm run build');
  });

  it('runs every function as its own service account', () => {
    const accounts = Object.values<Hcl>(terraform.locals.functions).map((settings) => settings.account);
    assert.equal(new Set(accounts).size, FUNCTION_NAMES.length, `accounts: ${accounts.join(', ')}`);
    assert.equal(
      serviceConfigOf(terraform, 'deployWorker').service_account_email,
      '${google_service_account.function["deployWorker"].email}',
    );
    assert.equal(
      serviceConfigOf(terraform, 'githubWebhook').service_account_email,
      '${google_service_account.function[each.key].email}',
    );
    assert.equal(resourceOf(terraform, 'google_service_account.function').for_each, '${local.functions}');
  });

  it('lets only the webhook and the status page take traffic from the internet', () => {
    const ingress = Object.fromEntries(
      Object.entries<Hcl>(terraform.locals.functions).map(([name, settings]) => [name, settings.ingress]),
    );
    assert.deepEqual(ingress, {
      githubWebhook: 'ALLOW_ALL',
      schedulerTick: 'ALLOW_INTERNAL_ONLY',
      deployWorker: 'ALLOW_INTERNAL_ONLY',
      deploymentStatus: 'ALLOW_ALL',
    });
  });

  it("gives the worker the tasks' dispatch deadline as its timeout, defaulting to the app's", () => {
    assert.equal(
      terraform.locals.functions.deployWorker.timeout_seconds,
      '${var.tasks_dispatch_deadline_seconds}',
    );
    const config = loadConfig({
      GOOGLE_CLOUD_PROJECT: 'demo-infra-test',
      TASKS_QUEUE: 'projects/demo-infra-test/locations/us-central1/queues/q',
      DEPLOY_WORKER_URL: 'https://worker.example.com',
    });
    assert.ok(!('problem' in config.tasks));
    assert.equal(
      defaultOf(terraform, 'tasks_dispatch_deadline_seconds'),
      config.tasks.dispatchDeadlineSeconds,
    );
  });

  for (const name of FUNCTION_NAMES) {
    it(`passes ${name} the environment variables and secrets it needs`, () => {
      assert.deepEqual(envNamesOf(terraform, name), EXPECTED[name].env);
      assert.deepEqual(Object.keys(terraform.locals.secret_env[name]).sort(), EXPECTED[name].secrets);
    });
  }

  it('passes only variables the app reads (or is about to), and README documents each', () => {
    const read = envReadByApp();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Environment variables'), readme.indexOf('## Operators'));
    const passed = new Set(
      FUNCTION_NAMES.flatMap((name) => [...envNamesOf(terraform, name), ...EXPECTED[name].secrets]),
    );
    for (const name of passed) {
      assert.ok(read.has(name) || name in READ_LATER, `${name} is passed but the app never reads it`);
      assert.match(table, new RegExp(`\`${name}\``), `README "Environment variables" does not list ${name}`);
    }
  });

  it('points the enqueuing functions at the queue, the worker and the tasks account', () => {
    assert.deepEqual(terraform.locals.env_enqueue, {
      TASKS_QUEUE: '${google_cloud_tasks_queue.deploy.id}',
      DEPLOY_WORKER_URL: '${local.function_audiences.deployWorker}',
      TASKS_SERVICE_ACCOUNT: '${google_service_account.tasks.email}',
      TASKS_DISPATCH_DEADLINE_SECONDS: '${tostring(var.tasks_dispatch_deadline_seconds)}',
    });
    assert.deepEqual(terraform.locals.enqueuers, [
      'githubWebhook',
      'schedulerTick',
      'deployWorker',
      'deploymentStatus',
    ]);
  });

  it('leaves unset optional settings out of the environment rather than passing them empty', () => {
    assert.equal(
      serviceConfigOf(terraform, 'deployWorker').environment_variables,
      '${{ for name, value in local.worker_env : name => value if value != null }}',
    );
    assert.equal(
      serviceConfigOf(terraform, 'githubWebhook').environment_variables,
      '${{ for name, value in local.caller_env[each.key] : name => value if value != null }}',
    );
  });

  it('reads the secrets from Secret Manager, latest version, only those configured', () => {
    for (const name of ['deployWorker', 'githubWebhook'] as const) {
      const block = serviceConfigOf(terraform, name).dynamic.secret_environment_variables[0];
      const source = name === 'deployWorker' ? 'local.secret_env.deployWorker' : 'local.secret_env[each.key]';
      assert.equal(
        block.for_each,
        `\${{ for name, secret in ${source} : name => secret if secret != null }}`,
      );
      assert.deepEqual(block.content[0], {
        key: '${secret_environment_variables.key}',
        project_id: '${var.project_id}',
        secret: '${secret_environment_variables.value}',
        version: 'latest',
      });
    }
    assert.deepEqual(terraform.locals.secret_env.githubWebhook, {
      GITHUB_WEBHOOK_SECRET: '${var.github_webhook_secret}',
      GITHUB_WEBHOOK_SECRET_PREVIOUS: '${var.github_webhook_secret_previous}',
    });
    assert.equal(defaultOf(terraform, 'github_webhook_secret'), 'github-webhook-secret');
    assert.equal(defaultOf(terraform, 'github_webhook_secret_previous'), null);
    assert.equal(defaultOf(terraform, 'github_token_secret'), null);
  });

  it('gives the worker the GitHub token only with github_deployments, which is off by default', () => {
    assert.equal(
      terraform.locals.secret_env.deployWorker.GITHUB_TOKEN,
      '${var.github_deployments ? var.github_token_secret : null}',
    );
    assert.equal(terraform.locals.env_github.GITHUB_DEPLOYMENTS, '${tostring(var.github_deployments)}');
    assert.equal(defaultOf(terraform, 'github_deployments'), false);
  });

  it('mounts the optional kubeconfig where KUBECONFIG points, for the functions that load one', () => {
    assert.equal(
      terraform.locals.env_cluster.KUBECONFIG,
      '${var.kubeconfig_secret == null ? null : "${local.kubeconfig_dir}/config"}',
    );
    for (const name of ['deployWorker', 'schedulerTick'] as const) {
      const volume = serviceConfigOf(terraform, name).dynamic.secret_volumes[0];
      assert.equal(volume.content[0].mount_path, '${local.kubeconfig_dir}');
      assert.deepEqual(volume.content[0].versions, [{ path: 'config', version: 'latest' }]);
    }
    assert.deepEqual(terraform.locals.cluster_config_readers, ['schedulerTick', 'deployWorker']);
  });

  it('gives the webhook no cluster settings and no kubeconfig: it never calls Kubernetes', () => {
    const env = envNamesOf(terraform, 'githubWebhook');
    assert.ok(!env.includes('GKE_CLUSTER') && !env.includes('KUBECONFIG'), env.join(', '));
    assert.ok(!terraform.locals.cluster_config_readers.includes('githubWebhook'));
  });

  it("tells each checked function its caller and its own URL, the audience its callers' tokens carry", () => {
    assert.equal(
      terraform.locals.function_audiences.replace(/\s+/g, ' '),
      '${{ for name in keys(local.functions) : name => "https://${lower(name)}-${data.google_project.this.number}.${var.region}.run.app" }}',
    );
    assert.equal(terraform.dataSources.get('data.google_project.this')?.project_id, '${var.project_id}');
    assert.deepEqual(terraform.locals.env_auth_tick, {
      AUTH_MODE: 'required',
      SCHEDULER_SERVICE_ACCOUNT: '${google_service_account.scheduler.email}',
      SCHEDULER_TICK_URL: '${local.function_audiences.schedulerTick}',
    });
    // The worker checks what the enqueuers send: the tasks' account, their queue, the URL they call.
    const worker = terraform.locals.env_auth_worker;
    assert.equal(worker.AUTH_MODE, 'required');
    for (const name of ['TASKS_SERVICE_ACCOUNT', 'TASKS_QUEUE', 'DEPLOY_WORKER_URL']) {
      assert.equal(worker[name], terraform.locals.env_enqueue[name], name);
    }
    assert.deepEqual(terraform.locals.env_auth_status, {
      AUTH_MODE: 'required',
      STATUS_URL: '${local.function_audiences.deploymentStatus}',
      ALLOWED_PRINCIPALS: '${length(var.allowed_principals) == 0 ? null : join(",", var.allowed_principals)}',
      // The same variable makes the page private in IAM (iam.tf status_invokers) and in the app.
      STATUS_PRIVATE: '${tostring(!var.status_page_public)}',
      STATUS_EXTRA_AUDIENCES:
        '${length(var.status_extra_audiences) == 0 ? null : join(",", var.status_extra_audiences)}',
    });
    assert.deepEqual(defaultOf(terraform, 'allowed_principals'), []);
  });

  it("tells the status page the exact command that runs the tick: the scheduler job's name, region and project", () => {
    const job = resourceOf(terraform, 'google_cloud_scheduler_job.tick');
    assert.equal(job.name, '${local.scheduler_job_name}');
    assert.equal(terraform.locals.scheduler_job_name, '${var.name_prefix}-tick');
    assert.equal(
      terraform.locals.env_status.TICK_COMMAND,
      'gcloud scheduler jobs run ${local.scheduler_job_name} --location=${var.region} --project=${var.project_id}',
    );
    assert.equal(job.region, '${var.region}');
    assert.equal(job.project, '${var.project_id}');
  });

  it("passes each checked function all its caller check needs: the app's configuration has no problem", () => {
    for (const name of ['schedulerTick', 'deployWorker', 'deploymentStatus'] as const) {
      // Its plain variables, and its secrets (a sample value: Secret Manager gives the real one).
      const env = Object.fromEntries([
        ...envNamesOf(terraform, name).map((variable) => [variable, SAMPLE[variable]]),
        ...EXPECTED[name].secrets.map((secret) => [secret, `sample-${secret.toLowerCase()}`]),
      ]);
      const read = readEnvironment(env);
      assert.ok(read.ok, read.ok ? '' : read.problems.join('\n'));
      const auth = read.settings.auth;
      assert.equal(auth.mode, 'required', name);
      assert.ok(auth.mode === 'required' && !('problem' in auth[name]), JSON.stringify(auth));
    }
  });
});

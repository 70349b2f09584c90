// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions are strings with ${...} in them.
/**
 * infra/ IAM, least privilege: who may invoke which function, and which role each account gets on
 * which resource. Parsed offline (test/support/terraform.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { FUNCTION_NAMES } from '../../functions/app.js';
import { type Hcl, loadTerraform, resourceOf, type Terraform } from '../support/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every role infra/ grants, and where; anything else (owner, editor, ...) fails the test. */
const ROLES_GRANTED = new Map<string, string>([
  ['google_cloud_run_v2_service_iam_member.invoker', 'roles/run.invoker'],
  ['google_cloud_tasks_queue_iam_member.enqueuer', 'roles/cloudtasks.enqueuer'],
  ['google_service_account_iam_member.enqueuer_acts_as_tasks', 'roles/iam.serviceAccountUser'],
  ['google_project_iam_member.datastore_user', 'roles/datastore.user'],
  ['google_secret_manager_secret_iam_member.access', 'roles/secretmanager.secretAccessor'],
  ['google_project_iam_member.cluster_jobs', '${var.jobs_role}'],
  ['google_project_iam_member.inventory', 'roles/container.clusterViewer'],
  ['google_project_iam_member.build', 'roles/cloudbuild.builds.builder'],
]);

describe('infra: IAM', () => {
  let terraform: Terraform;
  before(async () => {
    terraform = await loadTerraform(join(ROOT, 'infra'));
  });

  it('grants only the roles listed here, each from one resource', () => {
    const granted = [...terraform.resources.entries()].filter(([key]) =>
      /_iam_(member|binding|policy)\./.test(key),
    );
    assert.deepEqual(
      granted.map(([key, resource]) => [key, resource.role]).sort(),
      [...ROLES_GRANTED.entries()].sort(),
    );
    for (const [key] of granted) assert.ok(!/_iam_(binding|policy)\./.test(key), `${key}: authoritative IAM`);
  });

  it('lets anyone call the webhook, only the scheduler the tick, only the tasks account the worker', () => {
    const invokers = Object.fromEntries(
      Object.values<Hcl>(terraform.locals.invokers).map((binding) => [binding.function, binding.member]),
    );
    assert.deepEqual(invokers, {
      githubWebhook: 'allUsers',
      schedulerTick: '${google_service_account.scheduler.member}',
      deployWorker: '${google_service_account.tasks.member}',
    });
  });

  it('makes the status page public by default, or readable only by the members given', () => {
    assert.equal(terraform.variables.status_page_public?.default, true);
    const status: string = terraform.locals.status_invokers;
    assert.match(
      status,
      /^\$\{var\.status_page_public \? \{\s*"deploymentStatus\/public" = \{ function = "deploymentStatus", member = "allUsers" \}/,
    );
    assert.match(
      status,
      /for member in var\.status_page_invokers : "deploymentStatus\/\$\{member\}" => \{ function = "deploymentStatus", member = member \}/,
    );
  });

  it("grants run.invoker on each function's underlying Cloud Run service", () => {
    const invoker = resourceOf(terraform, 'google_cloud_run_v2_service_iam_member.invoker');
    assert.equal(invoker.for_each, '${merge(local.invokers, local.status_invokers)}');
    assert.equal(invoker.name, '${local.function_services[each.value.function]}');
    assert.equal(invoker.member, '${each.value.member}');
    const services: string = terraform.locals.function_services;
    assert.match(
      services,
      /deployWorker = google_cloudfunctions2_function\.worker\.service_config\[0\]\.service/,
    );
    assert.match(
      services,
      /google_cloudfunctions2_function\.function : name => function\.service_config\[0\]\.service/,
    );
  });

  it('lets the enqueuing functions enqueue on the deploy queue and act as the tasks account, no more', () => {
    const enqueuer = resourceOf(terraform, 'google_cloud_tasks_queue_iam_member.enqueuer');
    assert.equal(enqueuer.for_each, '${toset(local.enqueuers)}');
    assert.equal(enqueuer.name, '${google_cloud_tasks_queue.deploy.name}');
    assert.equal(enqueuer.member, '${google_service_account.function[each.key].member}');
    const actAs = resourceOf(terraform, 'google_service_account_iam_member.enqueuer_acts_as_tasks');
    assert.equal(actAs.for_each, '${toset(local.enqueuers)}');
    assert.equal(actAs.service_account_id, '${google_service_account.tasks.name}');
    assert.deepEqual(terraform.locals.enqueuers, [
      'githubWebhook',
      'schedulerTick',
      'deployWorker',
      'deploymentStatus',
    ]);
  });

  it('lets every function use Firestore', () => {
    const datastore = resourceOf(terraform, 'google_project_iam_member.datastore_user');
    assert.equal(datastore.for_each, '${local.functions}');
    assert.deepEqual(Object.keys(terraform.locals.functions).sort(), [...FUNCTION_NAMES].sort());
  });

  it('lets each function read exactly its own secrets, and the kubeconfig only where it is mounted', () => {
    const access = resourceOf(terraform, 'google_secret_manager_secret_iam_member.access');
    assert.equal(access.for_each, '${local.secret_readers}');
    assert.equal(access.secret_id, '${each.value.secret}');
    assert.equal(access.member, '${google_service_account.function[each.value.function].member}');
    const readers: string = terraform.locals.secret_readers;
    assert.match(readers, /for function, secrets in local\.secret_env :/);
    assert.match(readers, /if secret != null/);
    assert.match(readers, /var\.kubeconfig_secret == null \? \[\] : local\.cluster_config_readers/);
  });

  it('gives the Jobs role in the cluster project to the worker and the tick only', () => {
    const jobs = resourceOf(terraform, 'google_project_iam_member.cluster_jobs');
    assert.equal(jobs.for_each, '${toset(local.cluster_users)}');
    assert.equal(jobs.project, '${local.cluster_project}');
    assert.deepEqual(terraform.locals.cluster_users, ['schedulerTick', 'deployWorker']);
    assert.equal(terraform.locals.cluster_project, '${split("/", var.gke_cluster)[1]}');
    assert.equal(terraform.variables.jobs_role?.default, 'roles/container.developer');
  });

  it('lets the tick list the clusters of the instances project (the inventory)', () => {
    const inventory = resourceOf(terraform, 'google_project_iam_member.inventory');
    assert.equal(inventory.project, '${local.instances_project}');
    assert.equal(inventory.member, '${google_service_account.function["schedulerTick"].member}');
  });
});

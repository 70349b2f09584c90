// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions are strings with ${...} in them.
/**
 * infra/ resources against their single sources of truth: the queue against infra/queue-defaults.json
 * (which the local stack reads too), Firestore against firestore.indexes.json, the scheduler against
 * the README's 5 minutes; and the module's own contract: variables, outputs, backend, example tfvars.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import QUEUE_DEFAULTS from '../../infra/queue-defaults.json' with { type: 'json' };
import { LOCAL_QUEUE } from '../../scripts/lib/local-stack.js';
import { defaultOf, loadTerraform, resourceOf, type Terraform } from '../support/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('infra: resources and their sources of truth', () => {
  let terraform: Terraform;
  before(async () => {
    terraform = await loadTerraform(join(ROOT, 'infra'));
  });

  describe('the deploy queue', () => {
    it('defaults to infra/queue-defaults.json', () => {
      const { description: _description, ...expected } = QUEUE_DEFAULTS;
      assert.deepEqual(
        {
          name: defaultOf(terraform, 'queue_name'),
          maxDispatchesPerSecond: defaultOf(terraform, 'queue_max_dispatches_per_second'),
          maxConcurrentDispatches: defaultOf(terraform, 'queue_max_concurrent_dispatches'),
          maxAttempts: defaultOf(terraform, 'queue_max_attempts'),
          minBackoffSeconds: defaultOf(terraform, 'queue_min_backoff_seconds'),
          maxBackoffSeconds: defaultOf(terraform, 'queue_max_backoff_seconds'),
          maxDoublings: defaultOf(terraform, 'queue_max_doublings'),
        },
        expected,
      );
    });

    it('is configured from those variables', () => {
      const queue = resourceOf(terraform, 'google_cloud_tasks_queue.deploy');
      assert.equal(queue.name, '${var.queue_name}');
      assert.deepEqual(queue.rate_limits, [
        {
          max_dispatches_per_second: '${var.queue_max_dispatches_per_second}',
          max_concurrent_dispatches: '${var.queue_max_concurrent_dispatches}',
        },
      ]);
      assert.deepEqual(queue.retry_config, [
        {
          max_attempts: '${var.queue_max_attempts}',
          min_backoff: '${var.queue_min_backoff_seconds}s',
          max_backoff: '${var.queue_max_backoff_seconds}s',
          max_doublings: '${var.queue_max_doublings}',
        },
      ]);
    });

    it("is the local stack's queue too, apart from its faster retries", () => {
      assert.deepEqual(LOCAL_QUEUE.rateLimits, {
        maxDispatchesPerSecond: QUEUE_DEFAULTS.maxDispatchesPerSecond,
        maxConcurrentDispatches: QUEUE_DEFAULTS.maxConcurrentDispatches,
      });
      assert.equal(LOCAL_QUEUE.retryConfig.maxAttempts, QUEUE_DEFAULTS.maxAttempts);
      assert.equal(LOCAL_QUEUE.retryConfig.maxDoublings, QUEUE_DEFAULTS.maxDoublings);
    });
  });

  describe('the tick', () => {
    it('calls schedulerTick every 5 minutes with an OIDC token of the scheduler account, audience the URL it calls', () => {
      const job = resourceOf(terraform, 'google_cloud_scheduler_job.tick');
      assert.equal(job.schedule, '*/5 * * * *');
      assert.equal(job.time_zone, 'Etc/UTC');
      // The URL schedulerTick checks as its tokens' audience (SCHEDULER_TICK_URL, infra-functions.test.ts).
      const tickUri = '${local.function_audiences.schedulerTick}';
      const target = job.http_target[0];
      assert.equal(target.http_method, 'POST');
      assert.equal(target.uri, tickUri);
      assert.deepEqual(target.oidc_token, [
        { service_account_email: '${google_service_account.scheduler.email}', audience: tickUri },
      ]);
    });

    it("waits longer than the tick's timeout, and retries a failed tick before the next one", () => {
      const job = resourceOf(terraform, 'google_cloud_scheduler_job.tick');
      assert.equal(job.attempt_deadline, '${local.functions.schedulerTick.timeout_seconds + 20}s');
      const retry = job.retry_config[0];
      assert.ok(retry.retry_count >= 1);
      const seconds = (duration: string) => Number(duration.replace(/s$/, ''));
      // Both retries start within the 5 minutes: 30 s, then at most 60 s more.
      assert.ok(
        seconds(retry.min_backoff_duration) + retry.retry_count * seconds(retry.max_backoff_duration) < 300,
      );
    });
  });

  describe('Firestore', () => {
    const file = JSON.parse(readFileSync(join(ROOT, 'firestore.indexes.json'), 'utf8')) as {
      fieldOverrides: Array<{ collectionGroup: string; fieldPath: string; ttl?: boolean }>;
    };

    it('generates the indexes and field settings from firestore.indexes.json', () => {
      assert.equal(
        terraform.locals.firestore_indexes_file,
        '${jsondecode(file("${path.module}/../firestore.indexes.json"))}',
      );
      assert.match(terraform.locals.firestore_indexes, /for index in local\.firestore_indexes_file\.indexes/);
      assert.match(
        terraform.locals.firestore_field_overrides,
        /for override in local\.firestore_indexes_file\.fieldOverrides/,
      );
      assert.equal(
        resourceOf(terraform, 'google_firestore_index.composite').for_each,
        '${local.firestore_indexes}',
      );
      const field = resourceOf(terraform, 'google_firestore_field.override');
      assert.equal(field.for_each, '${local.firestore_field_overrides}');
      assert.equal(field.dynamic.ttl_config[0].for_each, '${try(each.value.ttl, false) ? [true] : []}');
    });

    it('expires webhook deliveries and closed leases by their expireAt (TTL)', () => {
      const ttl = file.fieldOverrides
        .filter((override) => override.ttl)
        .map((override) => `${override.collectionGroup}.${override.fieldPath}`)
        .sort();
      assert.deepEqual(ttl, ['deliveries.expireAt', 'leases.expireAt']);
    });

    it('is a native database in the configured location, with the rules of firestore.rules', () => {
      const database = resourceOf(terraform, 'google_firestore_database.main');
      assert.equal(database.type, 'FIRESTORE_NATIVE');
      assert.equal(database.name, '(default)');
      assert.equal(database.location_id, '${coalesce(var.firestore_location, var.region)}');
      const ruleset = resourceOf(terraform, 'google_firebaserules_ruleset.firestore');
      assert.equal(ruleset.source[0].files[0].content, '${file("${path.module}/../firestore.rules")}');
    });
  });

  describe('the source archive', () => {
    it('is uploaded under its own hash, and kept when replaced (what a rollback runs)', () => {
      const object = resourceOf(terraform, 'google_storage_bucket_object.source');
      assert.equal(object.name, 'source/${filesha256(var.source_archive)}.zip');
      assert.equal(object.deletion_policy, 'ABANDON');
      assert.equal(object.count, '${var.source_object == null ? 1 : 0}');
      assert.equal(
        terraform.locals.source_object,
        '${var.source_object != null ? var.source_object : google_storage_bucket_object.source[0].name}',
      );
    });
  });

  describe('the module', () => {
    it('describes every variable, and validates every one that is not a plain switch', () => {
      for (const [name, variable] of Object.entries(terraform.variables)) {
        assert.ok(variable.description?.length > 20, `variable ${name} has no real description`);
        if (variable.type !== '${bool}')
          assert.ok(variable.validation?.length > 0, `variable ${name}: no validation`);
      }
    });

    it('asks for the cluster where the Jobs run as projects/P/locations/L/clusters/C', () => {
      const validation = terraform.variables.gke_cluster?.validation[0].condition as string;
      const pattern = /regex\("(.+)", var\.gke_cluster\)/.exec(validation)?.[1]?.replaceAll('\\\\', '\\');
      assert.ok(pattern, validation);
      const regex = new RegExp(pattern);
      assert.ok(regex.test('projects/kubeflow-ci/locations/us-east1-d/clusters/kubeflow-testing'));
      assert.ok(!regex.test('kubeflow-testing'));
      assert.ok(!regex.test('projects/kubeflow-ci/zones/us-east1-d/clusters/kubeflow-testing'));
    });

    it('outputs the URLs, the queue, the scheduler job and the service accounts', () => {
      for (const output of [
        'function_urls',
        'audiences',
        'webhook_url',
        'status_url',
        'queue_path',
        'scheduler_job',
        'service_accounts',
        'source_bucket',
        'source_object',
      ]) {
        assert.ok(terraform.outputs[output]?.description, `output ${output} is missing or undescribed`);
      }
      assert.equal(terraform.outputs.queue_path.value, '${google_cloud_tasks_queue.deploy.id}');
    });

    it('keeps its state in a GCS bucket given at init, and uses the hashicorp/google provider', () => {
      const settings = terraform.settings[0];
      assert.deepEqual(settings.backend, { gcs: [{}] });
      assert.equal(settings.required_providers[0].google.source, 'hashicorp/google');
    });

    it('has an example tfvars that sets only declared variables, the required ones included', () => {
      const example = readFileSync(join(ROOT, 'infra', 'terraform.tfvars.example'), 'utf8');
      const set = [...example.matchAll(/^([a-z_]+)\s*=/gm)].map((match) => match[1] as string);
      const declared = Object.keys(terraform.variables);
      for (const name of set)
        assert.ok(declared.includes(name), `terraform.tfvars.example sets unknown ${name}`);
      const required = declared.filter(
        (name) => !('default' in (terraform.variables[name] ?? {})) && !name.startsWith('source_'),
      );
      assert.deepEqual(
        required.filter((name) => !set.includes(name)),
        [],
      );
    });

    it('enables every API whose resources it declares', () => {
      const apis = Object.keys(terraform.locals.apis);
      const needed: Record<string, string> = {
        google_cloudfunctions2_function: 'cloudfunctions.googleapis.com',
        google_cloud_tasks_queue: 'cloudtasks.googleapis.com',
        google_cloud_scheduler_job: 'cloudscheduler.googleapis.com',
        google_firestore_database: 'firestore.googleapis.com',
        google_firebaserules_ruleset: 'firebaserules.googleapis.com',
        google_secret_manager_secret_iam_member: 'secretmanager.googleapis.com',
        google_service_account: 'iam.googleapis.com',
        google_storage_bucket: 'storage.googleapis.com',
        google_cloud_run_v2_service_iam_member: 'run.googleapis.com',
      };
      const types = new Set([...terraform.resources.keys()].map((key) => key.split('.')[0]));
      for (const [type, api] of Object.entries(needed)) {
        assert.ok(types.has(type), `no ${type}`);
        assert.ok(apis.includes(api), `${type} needs ${api}`);
      }
    });
  });
});

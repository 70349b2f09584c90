// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions are strings with ${...} in them.
/**
 * infra/monitoring*.tf, parsed offline: the log-based metrics (their filters are checked against the
 * code's log lines in infra-monitoring-logs.test.ts), the alert policies and what they watch, the
 * dashboard's charts (every one on a metric that exists, grouped by a label it has), the variables.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOf, type Hcl, loadTerraform, resourceOf, type Terraform } from '../support/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LABEL_EXTRACTORS = (labels: string) =>
  `\${{ for label, field in ${labels} : label => "EXTRACT(jsonPayload.\${field})" }}`;
const LOG_TYPE = (name: string) => `logging.googleapis.com/user/auto-deploy/${name}`;

/** The dashboard template rendered as Terraform's templatefile would, with name_prefix auto-deploy. */
function renderDashboard(terraform: Terraform): Hcl {
  const template = readFileSync(join(ROOT, 'infra', 'monitoring-dashboard.json.tftpl'), 'utf8');
  const metricTypes: Record<string, string> = { push_to_job_ms: LOG_TYPE('push_to_job_ms') };
  for (const name of Object.keys(terraform.locals.log_counters)) metricTypes[name] = LOG_TYPE(name);
  const values: Record<string, string> = {
    title: 'auto-deploy: Kubeflow auto-deploy',
    worker_service: 'deployworker',
  };
  const rendered = template
    .replaceAll('$${', '\u0000')
    .replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
      const value = name.startsWith('metric_types.')
        ? metricTypes[name.slice('metric_types.'.length)]
        : values[name];
      if (value === undefined) throw new Error(`the dashboard template uses an unknown \${${name}}`);
      return value;
    })
    .replaceAll('\u0000', '${');
  return JSON.parse(rendered);
}

/** Every chart data set of the dashboard: its filter and aggregation. */
function dataSets(dashboard: Hcl): Array<{ title: string; filter: string; aggregation: Hcl }> {
  return dashboard.mosaicLayout.tiles.flatMap((tile: Hcl) =>
    (tile.widget.xyChart?.dataSets ?? []).map((set: Hcl) => ({
      title: tile.widget.title,
      filter: set.timeSeriesQuery.timeSeriesFilter.filter,
      aggregation: set.timeSeriesQuery.timeSeriesFilter.aggregation,
    })),
  );
}

describe('infra: monitoring (log-based metrics, alerts, dashboard)', () => {
  let terraform: Terraform;
  before(async () => {
    terraform = await loadTerraform(join(ROOT, 'infra'));
  });

  describe('the log-based metrics', () => {
    it('count what issue 8 asks for: launches, failures, teardowns failed, refused deliveries, and the ticks', () => {
      assert.deepEqual(Object.keys(terraform.locals.log_counters).sort(), [
        'deploys_failed',
        'deploys_launched',
        'deploys_ready',
        'teardowns_failed',
        'ticks_failed',
        'ticks_succeeded',
        'webhook_rejected',
      ]);
    });

    it('are DELTA counters named under name_prefix, one per entry, each label extracted from its field', () => {
      const counter = resourceOf(terraform, 'google_logging_metric.counter');
      assert.equal(counter.for_each, '${local.log_counters}');
      assert.equal(counter.name, '${var.name_prefix}/${each.key}');
      assert.equal(counter.filter, '${each.value.filter}');
      const descriptor = counter.metric_descriptor[0];
      assert.deepEqual([descriptor.metric_kind, descriptor.value_type], ['DELTA', 'INT64']);
      const labels = descriptor.dynamic.labels[0];
      assert.equal(labels.for_each, '${each.value.labels}');
      assert.equal(labels.content[0].key, '${labels.key}');
      assert.equal(counter.label_extractors, LABEL_EXTRACTORS('each.value.labels'));
    });

    it('measure push -> Job as a distribution of the worker logged milliseconds, by version', () => {
      const latency = resourceOf(terraform, 'google_logging_metric.push_to_job');
      const descriptor = latency.metric_descriptor[0];
      assert.deepEqual(
        [descriptor.metric_kind, descriptor.value_type, descriptor.unit],
        ['DELTA', 'DISTRIBUTION', 'ms'],
      );
      assert.equal(latency.value_extractor, 'EXTRACT(jsonPayload.${local.push_to_job.value})');
      assert.equal(terraform.locals.push_to_job.value, 'requestToJobMs');
      assert.equal(latency.label_extractors, LABEL_EXTRACTORS('local.push_to_job.labels'));
      assert.deepEqual(
        descriptor.labels.map((label: Hcl) => label.key),
        Object.keys(terraform.locals.push_to_job.labels),
      );
      const buckets = latency.bucket_options[0].exponential_buckets[0];
      // 100 ms up to beyond the 20-minute rate limit: 100 * 2^15 ms is about 55 minutes.
      assert.ok(100 * 2 ** (buckets.num_finite_buckets - 1) > 20 * 60_000);
    });

    it('name the metric types the alerts and the dashboard read', () => {
      assert.match(terraform.locals.log_metric_types, /logging\.googleapis\.com\/user\/\$\{metric\.name\}/);
      assert.match(terraform.locals.log_metric_types, /push_to_job_ms = "logging\.googleapis\.com\/user\//);
    });

    it('enable the Logging and Monitoring APIs', () => {
      const apis = resourceOf(terraform, 'google_project_service.monitoring');
      assert.match(apis.for_each, /"logging\.googleapis\.com", "monitoring\.googleapis\.com"/);
      assert.equal(apis.disable_on_destroy, false);
    });
  });

  describe('the alert policies', () => {
    const POLICIES = ['tick_failing', 'teardown_failed', 'worker_5xx', 'no_ready_deploy'];
    const policy = (name: string) => resourceOf(terraform, `google_monitoring_alert_policy.${name}`);

    it('notify notification_channels (default none) and say what to do', () => {
      assert.deepEqual(defaultOf(terraform, 'notification_channels'), []);
      for (const name of POLICIES) {
        assert.equal(policy(name).notification_channels, '${var.notification_channels}', name);
        assert.ok(policy(name).documentation[0].content.length > 100, `${name}: no real documentation`);
        assert.ok(['CRITICAL', 'ERROR', 'WARNING'].includes(policy(name).severity), name);
      }
    });

    it('accept only notification channel names', () => {
      const condition = terraform.variables.notification_channels.validation[0].condition as string;
      const pattern = /regex\("(.+)", channel\)/.exec(condition)?.[1] as string;
      const regex = new RegExp(pattern);
      assert.ok(regex.test('projects/kubeflow-ci/notificationChannels/1234567890'));
      assert.ok(!regex.test('1234567890'));
      assert.ok(!regex.test('projects/kubeflow-ci/alertPolicies/1'));
    });

    it('tick: no successful tick for tick_failures_alert runs of the 5-minute schedule (Cloud Scheduler retries a failed one)', () => {
      assert.equal(defaultOf(terraform, 'tick_failures_alert'), 3);
      assert.equal(terraform.locals.tick_interval_seconds, 300);
      assert.equal(resourceOf(terraform, 'google_cloud_scheduler_job.tick').schedule, '*/5 * * * *');
      const absent = policy('tick_failing').conditions[0].condition_absent[0];
      assert.equal(
        absent.filter,
        'metric.type="${local.log_metric_types.ticks_succeeded}" AND resource.type="cloud_run_revision"',
      );
      assert.equal(absent.duration, '${var.tick_failures_alert * local.tick_interval_seconds + 120}s');
      assert.equal(absent.aggregations[0].cross_series_reducer, 'REDUCE_SUM');
    });

    it('teardown-failed: every entry into teardown-failed, from the log line itself', () => {
      const teardown = policy('teardown_failed');
      assert.equal(
        teardown.conditions[0].condition_matched_log[0].filter,
        '${local.log_counters.teardowns_failed.filter}',
      );
      // Log-match policies must limit their notifications.
      assert.ok(teardown.alert_strategy[0].notification_rate_limit[0].period);
    });

    it("worker 5xx: deployWorker's Cloud Run requests, a share of 5xx and at least a count of them, together", () => {
      assert.equal(
        terraform.locals.worker_service_name,
        '${lower(google_cloudfunctions2_function.worker.name)}',
      );
      assert.equal(resourceOf(terraform, 'google_cloudfunctions2_function.worker').name, 'deployWorker');
      const worker = policy('worker_5xx');
      assert.equal(worker.combiner, 'AND');
      const service = 'resource.label."service_name"="${local.worker_service_name}"';
      const [share, count] = worker.conditions.map((condition: Hcl) => condition.condition_threshold[0]);
      for (const threshold of [share, count]) {
        assert.ok(threshold.filter.startsWith('metric.type="run.googleapis.com/request_count"'));
        assert.ok(threshold.filter.includes(service));
        assert.ok(threshold.filter.endsWith('metric.label."response_code_class"="5xx"'));
      }
      assert.equal(
        share.denominator_filter,
        share.filter.replace(' AND metric.label."response_code_class"="5xx"', ''),
      );
      assert.equal(share.threshold_value, '${var.worker_5xx_ratio_alert}');
      assert.deepEqual(share.aggregations, share.denominator_aggregations);
      assert.equal(count.threshold_value, '${var.worker_5xx_min_count_alert - 0.5}');
    });

    it('no ready deploy: per version, no instance became ready for no_ready_deploy_alert_hours (24)', () => {
      assert.equal(defaultOf(terraform, 'no_ready_deploy_alert_hours'), 24);
      const absent = policy('no_ready_deploy').conditions[0].condition_absent[0];
      assert.equal(
        absent.filter,
        'metric.type="${local.log_metric_types.deploys_ready}" AND resource.type="cloud_run_revision"',
      );
      assert.equal(absent.duration, '${var.no_ready_deploy_alert_hours * 3600}s');
      assert.deepEqual(absent.aggregations[0].group_by_fields, ['metric.label.version']);
      assert.ok('version' in terraform.locals.log_counters.deploys_ready.labels);
    });

    it('read only metrics that exist', () => {
      const known = [...Object.keys(terraform.locals.log_counters), 'push_to_job_ms'];
      const text = [...terraform.files.entries()]
        .filter(([file]) => file.startsWith('monitoring'))
        .map(([, body]) => body)
        .join('\n');
      const used = [...text.matchAll(/local\.log_metric_types\.([a-z_0-9]+)/g)].map((match) => match[1]);
      assert.ok(used.length >= 2);
      for (const name of used) assert.ok(known.includes(name as string), `unknown metric ${name}`);
    });
  });

  describe('the dashboard', () => {
    it('is the rendered template', () => {
      const dashboard = resourceOf(terraform, 'google_monitoring_dashboard.main');
      assert.match(
        dashboard.dashboard_json,
        /templatefile\("\$\{path\.module\}\/monitoring-dashboard\.json\.tftpl"/,
      );
      assert.match(dashboard.dashboard_json, /metric_types\s+= local\.log_metric_types/);
      assert.match(dashboard.dashboard_json, /worker_service = local\.worker_service_name/);
    });

    it('charts every log-based metric and the worker requests, each grouped by a label the metric has', () => {
      const dashboard = renderDashboard(terraform);
      const labelsOf = (type: string): string[] => {
        if (type === 'run.googleapis.com/request_count') return ['response_code_class'];
        const name = type.slice(LOG_TYPE('').length);
        const source =
          terraform.locals.log_counters[name] ?? (name === 'push_to_job_ms' && terraform.locals.push_to_job);
        assert.ok(source, `the dashboard reads ${type}, which infra/ does not define`);
        return Object.keys(source.labels);
      };
      const charted = new Set<string>();
      for (const set of dataSets(dashboard)) {
        const type = /metric\.type="([^"]+)"/.exec(set.filter)?.[1] as string;
        assert.ok(set.filter.includes('resource.type="cloud_run_revision"'), set.title);
        charted.add(type);
        for (const field of set.aggregation.groupByFields ?? []) {
          const label = /^metric\.label\.(.+)$/.exec(field)?.[1] as string;
          assert.ok(labelsOf(type).includes(label), `${set.title}: ${type} has no label ${label}`);
        }
      }
      const expected = [...Object.keys(terraform.locals.log_counters), 'push_to_job_ms'].map(LOG_TYPE);
      assert.deepEqual([...charted].sort(), [...expected, 'run.googleapis.com/request_count'].sort());
    });

    it('keeps the legends Monitoring fills in (escaped for templatefile)', () => {
      const legends = renderDashboard(terraform).mosaicLayout.tiles.flatMap((tile: Hcl) =>
        (tile.widget.xyChart?.dataSets ?? []).map((set: Hcl) => set.legendTemplate),
      );
      assert.ok(legends.includes('ready ${metric.labels.version}'), JSON.stringify(legends));
    });
  });

  describe('the module', () => {
    it('outputs the dashboard and the metric types', () => {
      for (const output of ['dashboard_url', 'log_metrics'])
        assert.ok(terraform.outputs[output]?.description, `output ${output} is missing or undescribed`);
      assert.equal(terraform.outputs.log_metrics.value, '${local.log_metric_types}');
    });

    it('shows the notification channels in the example tfvars', () => {
      const example = readFileSync(join(ROOT, 'infra', 'terraform.tfvars.example'), 'utf8');
      assert.match(
        example,
        /^# notification_channels = \["projects\/[^"]+\/notificationChannels\/[^"]+"\]$/m,
      );
    });
  });
});

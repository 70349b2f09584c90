// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions are strings with ${...} in them.
/**
 * The log-based metrics of infra/monitoring.tf against the lines the code really writes: every code path
 * a metric counts (and a few it must not) runs on the in-memory ports with a capturing logger
 * (test/support/log-filter-scenarios.ts), and each metric's filter, labels and value are evaluated on
 * the resulting log entries (test/support/log-filter.ts). A filter naming a field, a message or a value
 * the code does not log matches nothing here, and fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractorField, fieldsOf, fieldValue, type LogEntry, matchesFilter } from '../support/log-filter.js';
import { PUSH_TO_WORKER_MS, type PushCounts, runLogScenarios } from '../support/log-filter-scenarios.js';
import { type Hcl, loadTerraform, resourceOf, type Terraform } from '../support/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A log-based metric as infra/ defines it. */
interface MetricUnderTest {
  filter: string;
  /** label -> extractor */
  labels: Record<string, string>;
  value?: string;
}

/** How many entries each metric must match, per scenario; every other scenario: none. */
const EXPECTED: Record<string, Record<string, number>> = {
  deploys_launched: { push: 1 },
  // The failed deploy Job (refresh) and the launch Kubernetes refused (worker); not the teardown attempts.
  deploys_failed: { refresh: 1, workerFailures: 1 },
  // The completed deploy Job; not the unhealthy instance that answered again (recovery).
  deploys_ready: { refresh: 1 },
  teardowns_failed: { refresh: 1, inventory: 1 },
  // Forged signature, not JSON, GET; not the ignored push to another branch.
  webhook_rejected: { webhook: 3 },
  ticks_succeeded: { tickPassing: 1 },
  ticks_failed: { tickFailing: 1 },
  push_to_job_ms: { push: 1 },
};

function metricsOf(terraform: Terraform): Map<string, MetricUnderTest> {
  const metrics = new Map<string, MetricUnderTest>();
  for (const [name, counter] of Object.entries<Hcl>(terraform.locals.log_counters)) {
    const labels = Object.fromEntries(
      Object.entries<string>(counter.labels).map(([label, field]) => [
        label,
        `EXTRACT(jsonPayload.${field})`,
      ]),
    );
    metrics.set(name, { filter: counter.filter, labels });
  }
  const latency = terraform.locals.push_to_job;
  metrics.set('push_to_job_ms', {
    filter: latency.filter,
    labels: Object.fromEntries(
      Object.entries<string>(latency.labels).map(([label, field]) => [
        label,
        `EXTRACT(jsonPayload.${field})`,
      ]),
    ),
    value: `EXTRACT(jsonPayload.${latency.value})`,
  });
  return metrics;
}

describe('infra: the log-based metrics match the lines the code writes', () => {
  let terraform: Terraform;
  let metrics: Map<string, MetricUnderTest>;
  let scenarios: Map<string, LogEntry[]>;
  let push: PushCounts;

  before(async () => {
    terraform = await loadTerraform(join(ROOT, 'infra'));
    metrics = metricsOf(terraform);
    ({ entries: scenarios, push } = await runLogScenarios());
  });

  const matched = (filter: string, scenario: string) =>
    (scenarios.get(scenario) ?? []).filter((entry) => matchesFilter(filter, entry));
  const allMatched = (filter: string) =>
    [...scenarios.keys()].flatMap((scenario) => matched(filter, scenario));

  it('checks every metric infra/ defines, and only those', () => {
    assert.deepEqual([...metrics.keys()].sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    describe(name, () => {
      it(`matches ${JSON.stringify(expected)} and nothing in the other scenarios`, () => {
        const metric = metrics.get(name) as MetricUnderTest;
        const counts = Object.fromEntries(
          [...scenarios.keys()]
            .map((scenario) => [scenario, matched(metric.filter, scenario).length] as const)
            .filter(([, count]) => count > 0),
        );
        assert.deepEqual(counts, expected);
      });

      it('names only fields the matched lines carry', () => {
        const metric = metrics.get(name) as MetricUnderTest;
        const hits = allMatched(metric.filter);
        for (const field of fieldsOf(metric.filter)) {
          assert.ok(
            hits.some((entry) => fieldValue(entry, field) !== undefined),
            `${name}: no matched line has ${field}`,
          );
        }
      });

      it('extracts every label (and its value) from every matched line', () => {
        const metric = metrics.get(name) as MetricUnderTest;
        for (const entry of allMatched(metric.filter)) {
          for (const [label, extractor] of Object.entries(metric.labels)) {
            const value = fieldValue(entry, extractorField(extractor));
            assert.ok(
              ['string', 'number', 'boolean'].includes(typeof value),
              `${name}: label ${label} (${extractor}) is ${JSON.stringify(value)} in ${JSON.stringify(entry.jsonPayload)}`,
            );
          }
          if (metric.value) {
            const value = fieldValue(entry, extractorField(metric.value));
            assert.ok(
              typeof value === 'number' && Number.isFinite(value) && value >= 0,
              `${name}: value ${value}`,
            );
          }
        }
      });
    });
  }

  it('push_to_job_ms is the time from the push to the Job, by the clock the worker reads', () => {
    const metric = metrics.get('push_to_job_ms') as MetricUnderTest;
    const [entry] = matched(metric.filter, 'push');
    assert.equal(fieldValue(entry as LogEntry, extractorField(metric.value as string)), PUSH_TO_WORKER_MS);
    assert.equal(fieldValue(entry as LogEntry, 'jsonPayload.version'), 'master');
  });

  it('labels refused deliveries by their HTTP status', () => {
    const metric = metrics.get('webhook_rejected') as MetricUnderTest;
    const statuses = matched(metric.filter, 'webhook').map((entry) =>
      fieldValue(entry, 'jsonPayload.status'),
    );
    assert.deepEqual(statuses, [401, 400, 405]);
  });

  it('the teardown-failed alert extracts the instance and the version from the lines it matches', () => {
    const condition = resourceOf(terraform, 'google_monitoring_alert_policy.teardown_failed').conditions[0]
      .condition_matched_log[0];
    assert.equal(condition.filter, '${local.log_counters.teardowns_failed.filter}');
    const hits = allMatched(terraform.locals.log_counters.teardowns_failed.filter);
    assert.equal(hits.length, 2);
    for (const entry of hits) {
      for (const extractor of Object.values<string>(condition.label_extractors)) {
        assert.equal(typeof fieldValue(entry, extractorField(extractor)), 'string', extractor);
      }
    }
  });

  it("docs/operations.md's log filters parse and name only fields the code logs", () => {
    const doc = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const filters = [...doc.matchAll(/^resource\.type="cloud_run_revision" AND .+$/gm)].map(
      (match) => match[0],
    );
    assert.ok(filters.length >= 6, `found ${filters.length} filters`);
    const everything = [...scenarios.values()].flat();
    for (const filter of filters) {
      for (const field of fieldsOf(filter).filter((name) => name.startsWith('jsonPayload.'))) {
        assert.ok(
          everything.some((entry) => fieldValue(entry, field) !== undefined),
          `${filter}: no line the code writes has ${field}`,
        );
      }
    }
  });

  it('one followed push: one webhook answer, one task, one worker run, one Job (docs/operations.md)', () => {
    assert.deepEqual(push, { answer: 200, tasksEnqueued: 1, workerRuns: 1, jobsCreated: 1 });
  });
});

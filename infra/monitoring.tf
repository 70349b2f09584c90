# Log-based metrics from the functions' structured logs, and the dashboard (alerts: monitoring-alerts.tf).
#
# Each function writes one JSON line per event (functions/log.ts). Cloud Logging stores a 2nd gen
# function's line as a LogEntry of resource type cloud_run_revision whose jsonPayload is that object
# (message included) with severity lifted out. The filters below name only fields the code writes:
# test/unit/infra-monitoring-logs.test.ts runs the code paths and evaluates every filter and extractor
# against the lines they really log.

locals {
  # The log-based counters, by metric name (under name_prefix): what they count, the filter, and the
  # labels, each extracted from a jsonPayload field.
  log_counters = {
    deploys_launched = {
      description = "Deploy Jobs created by deployWorker: one per launch (a retried delivery that adopts the Job is not counted again)."
      filter      = "jsonPayload.message=\"deploy Job created\""
      labels      = { version = "version", reason = "reason" }
    }
    deploys_failed = {
      description = "Instances that became failed: the deploy Job failed or ran past its deadline, the instance never answered its readiness probe, or the launch failed permanently. Failed teardown attempts are teardowns, not deploys: not counted."
      filter      = "jsonPayload.to=\"failed\" AND NOT jsonPayload.from=\"deleting\""
      labels      = { version = "version", from = "from" }
    }
    deploys_ready = {
      description = "Instances that became ready (a successful deploy); an unhealthy instance that recovers is not counted."
      filter      = "jsonPayload.message=\"deployment status changed\" AND jsonPayload.to=\"ready\" AND NOT jsonPayload.from=\"unhealthy\""
      labels      = { version = "version" }
    }
    teardowns_failed = {
      description = "Instances that became teardown-failed: the cluster survived every teardown attempt; left to an operator (docs/operations.md)."
      filter      = "jsonPayload.to=\"teardown-failed\""
      labels      = { version = "version" }
    }
    webhook_rejected = {
      description = "GitHub deliveries githubWebhook refused (4xx: bad or missing signature, not JSON, not a push it can read, too large, wrong method)."
      filter      = "jsonPayload.message=\"webhook delivery rejected\""
      labels      = { status = "status" }
    }
    ticks_succeeded = {
      description = "Scheduler ticks whose every step worked (schedulerTick answered 200)."
      filter      = "jsonPayload.message=\"tick finished\" AND severity<ERROR"
      labels      = {}
    }
    ticks_failed = {
      description = "Scheduler ticks with a failed step (schedulerTick answered 500; Cloud Scheduler retries twice within the 5 minutes)."
      filter      = "jsonPayload.message=\"tick finished\" AND severity>=ERROR"
      labels      = {}
    }
  }

  # The push -> Job latency: the worker logs requestToJobMs on "deploy Job created", the time from the
  # deploy request's creation (the plan that followed the recorded push) to the Job's creation, rate
  # limit waits included. New-commit launches only: periodic, manual and retry launches wait on purpose.
  push_to_job = {
    description = "Push -> Job: from the deploy request of a new commit (created by the plan right after the push was recorded, or by the tick's poll) to its Job's creation, in milliseconds; waits for the rate limit included."
    filter      = "jsonPayload.message=\"deploy Job created\" AND jsonPayload.reason=\"new-commit\""
    value       = "requestToJobMs"
    labels      = { version = "version" }
  }

  # Metric types as Cloud Monitoring names them; the alerts and the dashboard read these.
  log_metric_types = merge(
    { for name, metric in google_logging_metric.counter : name => "logging.googleapis.com/user/${metric.name}" },
    { push_to_job_ms = "logging.googleapis.com/user/${google_logging_metric.push_to_job.name}" },
  )

  # deployWorker's Cloud Run service (a 2nd gen function's service is its name in lower case).
  worker_service_name = lower(google_cloudfunctions2_function.worker.name)
}

resource "google_logging_metric" "counter" {
  for_each = local.log_counters

  project     = var.project_id
  name        = "${var.name_prefix}/${each.key}"
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "${var.name_prefix} ${replace(each.key, "_", " ")}"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key         = labels.key
        value_type  = "STRING"
        description = "jsonPayload.${labels.value} of the log line"
      }
    }
  }

  label_extractors = { for label, field in each.value.labels : label => "EXTRACT(jsonPayload.${field})" }

  depends_on = [google_project_service.monitoring]
}

resource "google_logging_metric" "push_to_job" {
  project     = var.project_id
  name        = "${var.name_prefix}/push_to_job_ms"
  description = local.push_to_job.description
  filter      = local.push_to_job.filter

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "ms"
    display_name = "${var.name_prefix} push to Job"

    labels {
      key         = "version"
      value_type  = "STRING"
      description = "jsonPayload.version of the log line"
    }
  }

  value_extractor  = "EXTRACT(jsonPayload.${local.push_to_job.value})"
  label_extractors = { for label, field in local.push_to_job.labels : label => "EXTRACT(jsonPayload.${field})" }

  # 100 ms to about 55 minutes: a push inside the rate limit waits up to minMinutesBetweenDeployments.
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 16
      growth_factor      = 2
      scale              = 100
    }
  }

  depends_on = [google_project_service.monitoring]
}

# Usually on in every project; enabled here so the metrics and alerts never depend on it. Never
# disabled on destroy, like the others (apis.tf).
resource "google_project_service" "monitoring" {
  for_each = toset(["logging.googleapis.com", "monitoring.googleapis.com"])

  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}

resource "google_monitoring_dashboard" "main" {
  project = var.project_id
  dashboard_json = templatefile("${path.module}/monitoring-dashboard.json.tftpl", {
    title          = "${var.name_prefix}: Kubeflow auto-deploy"
    metric_types   = local.log_metric_types
    worker_service = local.worker_service_name
  })

  depends_on = [google_project_service.monitoring]
}

# Alert policies: each says what happened and what to do (docs/operations.md has the steps). They
# notify notification_channels; with none they still open incidents in the Cloud console.

locals {
  # Cloud Scheduler runs the tick every 5 minutes (scheduler.tf).
  tick_interval_seconds = 300

  alert_doc_suffix = "Playbook: docs/operations.md in the kubeflow-auto-deploy repository. Logs: Logs Explorer, resource.type=\"cloud_run_revision\"."
}

# Cloud Scheduler retries a failed tick twice within its 5 minutes, so failures are not counted:
# the condition is the absence of any successful tick for tick_failures_alert runs (plus 2 minutes
# for the last run's retries and the logs' delay). It also fires when the tick does not run at all
# (scheduler paused, calls refused by IAM or the caller check), which logs no "tick finished".
resource "google_monitoring_alert_policy" "tick_failing" {
  project      = var.project_id
  display_name = "${var.name_prefix}: no successful tick in ${var.tick_failures_alert} runs"
  combiner     = "OR"
  severity     = "CRITICAL"

  conditions {
    display_name = "no successful schedulerTick for ${var.tick_failures_alert} x 5 minutes"
    condition_absent {
      filter   = "metric.type=\"${local.log_metric_types.ticks_succeeded}\" AND resource.type=\"cloud_run_revision\""
      duration = "${var.tick_failures_alert * local.tick_interval_seconds + 120}s"
      aggregations {
        alignment_period     = "${local.tick_interval_seconds}s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: the scheduler tick failed ${var.tick_failures_alert} times in a row"
    content   = "schedulerTick has not finished a tick without a failed step for ${var.tick_failures_alert} runs. Nothing new is followed, verified or collected while it fails (pushes still launch through the webhook). Look for `jsonPayload.message=\"tick finished\"` (its report names the failed step) and `tick step ... failed`; a tick refused before it ran logs `caller refused`. ${local.alert_doc_suffix}"
  }

  notification_channels = var.notification_channels
  alert_strategy {
    auto_close = "1800s"
  }
}

# One incident per instance that becomes teardown-failed (a log-match condition): it may still hold
# cloud resources, and nothing retries it.
resource "google_monitoring_alert_policy" "teardown_failed" {
  project      = var.project_id
  display_name = "${var.name_prefix}: an instance is teardown-failed"
  combiner     = "OR"
  severity     = "ERROR"

  conditions {
    display_name = "a deployment entered teardown-failed"
    condition_matched_log {
      filter = local.log_counters.teardowns_failed.filter
      label_extractors = {
        instance = "EXTRACT(jsonPayload.instance)"
        version  = "EXTRACT(jsonPayload.version)"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: an instance's teardown failed for good"
    content   = "Every teardown attempt of the instance left its GKE cluster behind; the system does not try again, and the instance counts against the capacity until an operator deletes the cluster and the record. The instance is in the incident's labels and in `jsonPayload.instance`. ${local.alert_doc_suffix}"
  }

  notification_channels = var.notification_channels
  alert_strategy {
    # Required for log-match conditions: at most one notification per period.
    notification_rate_limit {
      period = "300s"
    }
    auto_close = "86400s"
  }
}

# deployWorker answers 503 when a retry can help (Kubernetes or Firestore unavailable, a launch held by
# another delivery): a few are normal. Alert when most requests fail and there are enough of them.
resource "google_monitoring_alert_policy" "worker_5xx" {
  project      = var.project_id
  display_name = "${var.name_prefix}: deployWorker answers 5xx"
  combiner     = "AND"
  severity     = "ERROR"

  conditions {
    display_name = "5xx share of deployWorker requests over 15 minutes"
    condition_threshold {
      filter             = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.\"service_name\"=\"${local.worker_service_name}\" AND metric.label.\"response_code_class\"=\"5xx\""
      denominator_filter = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.\"service_name\"=\"${local.worker_service_name}\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.worker_5xx_ratio_alert
      duration           = "300s"
      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  conditions {
    display_name = "deployWorker 5xx answers over 15 minutes"
    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\" AND resource.label.\"service_name\"=\"${local.worker_service_name}\" AND metric.label.\"response_code_class\"=\"5xx\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.worker_5xx_min_count_alert - 0.5
      duration        = "0s"
      aggregations {
        alignment_period     = "900s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: deployWorker keeps failing"
    content   = "More than ${var.worker_5xx_ratio_alert * 100}% of deployWorker's requests (and at least ${var.worker_5xx_min_count_alert}) answered 5xx in 15 minutes: launches and teardowns are being retried by Cloud Tasks instead of done. The worker's lines say why (`worker asks for a retry`, `worker failed; Cloud Tasks will retry`, `launch failed; Cloud Tasks will retry`); usually the cluster's API or Firestore is unreachable, or its credentials expired. ${local.alert_doc_suffix}"
  }

  notification_channels = var.notification_channels
  alert_strategy {
    auto_close = "3600s"
  }
}

# A version that has produced a ready instance before and then none for no_ready_deploy_alert_hours:
# its deploys keep failing, or nothing launches it (paused versions too: snooze the alert for them).
# The periodic redeploy (periodicRedeployHours, 12 by default) launches every version at least twice a day.
resource "google_monitoring_alert_policy" "no_ready_deploy" {
  project      = var.project_id
  display_name = "${var.name_prefix}: no ready instance of a version for ${var.no_ready_deploy_alert_hours} h"
  combiner     = "OR"
  severity     = "WARNING"

  conditions {
    display_name = "no deploy of a version became ready for ${var.no_ready_deploy_alert_hours} h"
    condition_absent {
      filter   = "metric.type=\"${local.log_metric_types.deploys_ready}\" AND resource.type=\"cloud_run_revision\""
      duration = "${var.no_ready_deploy_alert_hours * 3600}s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.version"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "${var.name_prefix}: a version has had no successful deploy for ${var.no_ready_deploy_alert_hours} h"
    content   = "No instance of the version in the incident's `version` label became ready for ${var.no_ready_deploy_alert_hours} hours. The status page says why (its decision: paused, failed after maxDeployAttempts, at capacity, ...); `jsonPayload.version` with `deployment status changed` shows its instances' failures. A paused version fires this too. ${local.alert_doc_suffix}"
  }

  notification_channels = var.notification_channels
  alert_strategy {
    auto_close = "3600s"
  }
}

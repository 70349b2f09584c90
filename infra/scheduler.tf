# The tick: Cloud Scheduler calls schedulerTick every 5 minutes with an OIDC token of its own
# service account, the only one allowed to invoke it (iam.tf) and the only one the app accepts
# (SCHEDULER_SERVICE_ACCOUNT).
# Run it at once: gcloud scheduler jobs run <name> --location=<region> (outputs: scheduler_run_command;
# the status page says it too, TICK_COMMAND in functions.tf).

locals {
  scheduler_job_name = "${var.name_prefix}-tick"
}

resource "google_cloud_scheduler_job" "tick" {
  project     = var.project_id
  region      = var.region
  name        = local.scheduler_job_name
  description = "kubeflow-auto-deploy: poll GitHub, follow the Jobs, plan deploys and collections."
  schedule    = "*/5 * * * *"
  time_zone   = "Etc/UTC"
  # Longer than the function's timeout, so a slow tick is not cut short by the scheduler.
  attempt_deadline = "${local.functions.schedulerTick.timeout_seconds + 20}s"

  # A failed tick is retried twice within the 5 minutes; the next tick does the rest.
  retry_config {
    retry_count          = 2
    min_backoff_duration = "30s"
    max_backoff_duration = "60s"
    max_doublings        = 1
  }

  http_target {
    http_method = "POST"
    uri         = local.function_audiences.schedulerTick

    # The audience is the URL schedulerTick is told is its own (SCHEDULER_TICK_URL): it checks it.
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.function_audiences.schedulerTick
    }
  }

  depends_on = [google_project_service.api, google_cloudfunctions2_function.function]
}

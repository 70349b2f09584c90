# What an operator needs after an apply. `terraform -chdir=infra output` prints them.

output "function_urls" {
  description = "Every function's URL, by function name."
  value       = local.function_urls
}

output "audiences" {
  description = "The URL each function checks as the audience of the ID tokens it accepts: gcloud auth print-identity-token --audiences=<it> (status_url's function also answers there)."
  value       = local.function_audiences
}

output "webhook_url" {
  description = "The Payload URL to paste into the GitHub webhook (Settings -> Webhooks)."
  value       = local.function_urls.githubWebhook
}

output "status_url" {
  description = "The status page; its JSON API is under /api (/api/versions, /api/deployments)."
  value       = local.function_urls.deploymentStatus
}

output "status_page_public" {
  description = "Whether the status page answers without credentials (npm run deploy's smoke check sends an identity token otherwise)."
  value       = var.status_page_public
}

output "queue_path" {
  description = "The deploy queue, projects/P/locations/L/queues/Q (TASKS_QUEUE)."
  value       = google_cloud_tasks_queue.deploy.id
}

output "scheduler_job" {
  description = "The tick's Cloud Scheduler job; run it at once with the command in scheduler_run_command."
  value       = google_cloud_scheduler_job.tick.name
}

output "scheduler_run_command" {
  description = "Runs the tick now."
  value       = "gcloud scheduler jobs run ${google_cloud_scheduler_job.tick.name} --location=${var.region} --project=${var.project_id}"
}

output "service_accounts" {
  description = "The service accounts, by role: one per function, plus the scheduler's, the tasks' and the builds'."
  value = merge(
    { for name, account in google_service_account.function : name => account.email },
    {
      scheduler = google_service_account.scheduler.email
      tasks     = google_service_account.tasks.email
      build     = google_service_account.build.email
    },
  )
}

output "source_bucket" {
  description = "The bucket of source archives; earlier ones are kept there for rollbacks."
  value       = google_storage_bucket.source.name
}

output "source_object" {
  description = "The source archive the functions run now (note it before a deploy to roll back to it)."
  value       = local.source_object
}

output "dashboard_url" {
  description = "The monitoring dashboard in the Cloud console (the log-based metrics and the worker's requests)."
  value       = "https://console.cloud.google.com/monitoring/dashboards/custom/${element(split("/", google_monitoring_dashboard.main.id), 3)}?project=${var.project_id}"
}

output "log_metrics" {
  description = "The log-based metrics, by name, as Cloud Monitoring types (logging.googleapis.com/user/...), for charts and alerts of your own."
  value       = local.log_metric_types
}

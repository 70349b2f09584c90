# The Cloud Tasks queue of deploy requests: githubWebhook and schedulerTick enqueue, deployWorker
# runs each task. Its limits are a second line of defence; the policy itself is enforced in Firestore.

resource "google_cloud_tasks_queue" "deploy" {
  project  = var.project_id
  location = var.region
  name     = var.queue_name

  rate_limits {
    max_dispatches_per_second = var.queue_max_dispatches_per_second
    max_concurrent_dispatches = var.queue_max_concurrent_dispatches
  }

  # A worker answering 503 (Kubernetes or Firestore unavailable) is retried with backoff.
  retry_config {
    max_attempts  = var.queue_max_attempts
    min_backoff   = "${var.queue_min_backoff_seconds}s"
    max_backoff   = "${var.queue_max_backoff_seconds}s"
    max_doublings = var.queue_max_doublings
  }

  # Every attempt is logged: a handful of tasks a day, and the first place to look.
  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  depends_on = [google_project_service.api]
}

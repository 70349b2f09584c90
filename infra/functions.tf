# The four functions (2nd gen, Node 20), each with its own service account (iam.tf). Names and
# entry points are the app's FUNCTION_NAMES (functions/app.ts); test/unit/infra-terraform.test.ts
# checks them, and the environment below, against the app.

locals {
  runtime        = "nodejs20"
  kubeconfig_dir = "/secrets/kube"

  functions = {
    githubWebhook = {
      account         = "webhook"
      description     = "GitHub push webhook: verifies the signature, records the push, queues the deploys it allows."
      timeout_seconds = 60
      memory          = "512Mi"
      # GitHub calls from the internet; the signature is the check.
      ingress = "ALLOW_ALL"
    }
    schedulerTick = {
      account         = "tick"
      description     = "Every 5 minutes: poll GitHub, follow the Jobs, plan deploys and collections."
      timeout_seconds = 300
      memory          = "512Mi"
      # Cloud Scheduler of the same project counts as internal (run.app URL).
      ingress = "ALLOW_INTERNAL_ONLY"
    }
    deployWorker = {
      account         = "worker"
      description     = "Runs one deploy or teardown request from the queue: re-checks the limits, creates the Job."
      timeout_seconds = var.tasks_dispatch_deadline_seconds
      memory          = "512Mi"
      # Cloud Tasks of the same project counts as internal (run.app URL).
      ingress = "ALLOW_INTERNAL_ONLY"
    }
    deploymentStatus = {
      account         = "status"
      description     = "The status page and its read-only JSON API."
      timeout_seconds = 60
      memory          = "512Mi"
      ingress         = "ALLOW_ALL"
    }
  }

  # The functions that enqueue tasks (Cloud Tasks enqueuer, and act as the tasks' account): the webhook
  # its plan tasks, the tick and the worker (running a plan task) deploy requests, and the status function
  # after an operator's change (pause, redeploy, teardown, drain; only an allowed principal can make one,
  # README "Authentication").
  enqueuers = ["githubWebhook", "schedulerTick", "deployWorker", "deploymentStatus"]
  # The functions that load a cluster configuration. The webhook does not: it records pushes and plans,
  # and never needs Kubernetes (least privilege: no cluster settings, no kubeconfig secret).
  cluster_config_readers = ["schedulerTick", "deployWorker"]
  # The functions that call the cluster's Kubernetes API (jobs_role).
  cluster_users = ["schedulerTick", "deployWorker"]

  # Environment variables, grouped by what needs them (README "Environment variables"). Adding one is
  # a line in a group; a null value (an optional setting not set) is left out.
  env_all = {
    GOOGLE_CLOUD_PROJECT = var.project_id
  }
  env_cluster = {
    GKE_CLUSTER = var.gke_cluster
    KUBECONFIG  = var.kubeconfig_secret == null ? null : "${local.kubeconfig_dir}/config"
  }
  env_enqueue = {
    TASKS_QUEUE                     = google_cloud_tasks_queue.deploy.id
    DEPLOY_WORKER_URL               = local.function_audiences.deployWorker
    TASKS_SERVICE_ACCOUNT           = google_service_account.tasks.email
    TASKS_DISPATCH_DEADLINE_SECONDS = tostring(var.tasks_dispatch_deadline_seconds)
  }
  # The GitHub REST API: the tick's poll, and the deployments on the commit (tick and worker).
  env_github = {
    GITHUB_API_URL     = var.github_api_url
    GITHUB_DEPLOYMENTS = tostring(var.github_deployments)
  }
  env_poll = {
    GITHUB_POLL = tostring(var.github_poll)
  }
  # Who may call each function (README "Authentication"): the app checks the ID token's email and
  # audience itself, behind IAM too. AUTH_MODE is the app's default, set so the intent is visible.
  env_auth_tick = {
    AUTH_MODE                 = "required"
    SCHEDULER_SERVICE_ACCOUNT = google_service_account.scheduler.email
    SCHEDULER_TICK_URL        = local.function_audiences.schedulerTick
  }
  env_auth_worker = {
    AUTH_MODE             = "required"
    TASKS_SERVICE_ACCOUNT = google_service_account.tasks.email
    TASKS_QUEUE           = google_cloud_tasks_queue.deploy.id
    DEPLOY_WORKER_URL     = local.function_audiences.deployWorker
  }
  env_auth_status = {
    AUTH_MODE              = "required"
    STATUS_URL             = local.function_audiences.deploymentStatus
    ALLOWED_PRINCIPALS     = length(var.allowed_principals) == 0 ? null : join(",", var.allowed_principals)
    STATUS_PRIVATE         = tostring(!var.status_page_public)
    STATUS_EXTRA_AUDIENCES = length(var.status_extra_audiences) == 0 ? null : join(",", var.status_extra_audiences)
  }

  # What the status page and `ctl status` say to run a tick now, when none ran lately: the exact
  # command (the scheduler job's name is built here as scheduler.tf builds it, not read from the job,
  # which depends on the functions).
  env_status = {
    TICK_COMMAND = "gcloud scheduler jobs run ${local.scheduler_job_name} --location=${var.region} --project=${var.project_id}"
  }

  # deployWorker's own environment is apart: the others' needs its URL.
  # It queues deploy requests when it runs a plan task: env_enqueue, whose other variables it has already.
  env_worker_enqueue = {
    TASKS_DISPATCH_DEADLINE_SECONDS = tostring(var.tasks_dispatch_deadline_seconds)
  }
  worker_env = merge(local.env_all, local.env_cluster, local.env_worker_enqueue, local.env_github, local.env_auth_worker)
  caller_env = {
    githubWebhook    = merge(local.env_all, local.env_enqueue)
    schedulerTick    = merge(local.env_all, local.env_cluster, local.env_enqueue, local.env_github, local.env_poll, local.env_auth_tick)
    deploymentStatus = merge(local.env_all, local.env_enqueue, local.env_auth_status, local.env_status)
  }

  # Secrets as environment variables: name => Secret Manager secret id (null: not configured).
  # Each function's account may read exactly these (iam.tf), plus the kubeconfig when mounted.
  secret_env = {
    githubWebhook = {
      GITHUB_WEBHOOK_SECRET          = var.github_webhook_secret
      GITHUB_WEBHOOK_SECRET_PREVIOUS = var.github_webhook_secret_previous
    }
    schedulerTick = {
      GITHUB_TOKEN = var.github_token_secret
    }
    # The worker posts `in_progress` right after it creates a Job: only with GITHUB_DEPLOYMENTS.
    deployWorker = {
      GITHUB_TOKEN = var.github_deployments ? var.github_token_secret : null
    }
    deploymentStatus = {}
  }
}

resource "google_cloudfunctions2_function" "worker" {
  project     = var.project_id
  location    = var.region
  name        = "deployWorker"
  description = local.functions.deployWorker.description

  build_config {
    runtime         = local.runtime
    entry_point     = "deployWorker"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = local.source_object
      }
    }
  }

  service_config {
    service_account_email = google_service_account.function["deployWorker"].email
    timeout_seconds       = local.functions.deployWorker.timeout_seconds
    available_memory      = local.functions.deployWorker.memory
    max_instance_count    = var.max_instances.deployWorker
    ingress_settings      = local.functions.deployWorker.ingress
    environment_variables = { for name, value in local.worker_env : name => value if value != null }

    dynamic "secret_environment_variables" {
      for_each = { for name, secret in local.secret_env.deployWorker : name => secret if secret != null }
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }

    dynamic "secret_volumes" {
      for_each = var.kubeconfig_secret != null && contains(local.cluster_config_readers, "deployWorker") ? [var.kubeconfig_secret] : []
      content {
        mount_path = local.kubeconfig_dir
        project_id = var.project_id
        secret     = secret_volumes.value
        versions {
          path    = "config"
          version = "latest"
        }
      }
    }
  }

  # The account must be able to read its secrets, and the build account to build, before deploying.
  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.access,
    google_project_iam_member.build,
  ]
}

resource "google_cloudfunctions2_function" "function" {
  for_each = { for name, settings in local.functions : name => settings if name != "deployWorker" }

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = each.value.description

  build_config {
    runtime         = local.runtime
    entry_point     = each.key
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = local.source_object
      }
    }
  }

  service_config {
    service_account_email = google_service_account.function[each.key].email
    timeout_seconds       = each.value.timeout_seconds
    available_memory      = each.value.memory
    max_instance_count    = var.max_instances[each.key]
    ingress_settings      = each.value.ingress
    environment_variables = { for name, value in local.caller_env[each.key] : name => value if value != null }

    dynamic "secret_environment_variables" {
      for_each = { for name, secret in local.secret_env[each.key] : name => secret if secret != null }
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }

    dynamic "secret_volumes" {
      for_each = var.kubeconfig_secret != null && contains(local.cluster_config_readers, each.key) ? [var.kubeconfig_secret] : []
      content {
        mount_path = local.kubeconfig_dir
        project_id = var.project_id
        secret     = secret_volumes.value
        versions {
          path    = "config"
          version = "latest"
        }
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.access,
    google_project_iam_member.build,
  ]
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  # Each function's deterministic URL, https://SERVICE-PROJECT_NUMBER.REGION.run.app (a 2nd gen
  # function's Cloud Run service is its name in lower case). Known before the function exists, so a
  # function can be told its own URL, the audience of the ID tokens it accepts (its service_config uri
  # cannot: a function cannot refer to itself). The scheduler and the tasks call these URLs.
  function_audiences = {
    for name in keys(local.functions) : name => "https://${lower(name)}-${data.google_project.this.number}.${var.region}.run.app"
  }
}

locals {
  # Every function's Cloud Run service (projects/P/locations/L/services/S), where invokers are granted.
  function_services = merge(
    { deployWorker = google_cloudfunctions2_function.worker.service_config[0].service },
    { for name, function in google_cloudfunctions2_function.function : name => function.service_config[0].service },
  )
  function_urls = merge(
    { deployWorker = google_cloudfunctions2_function.worker.service_config[0].uri },
    { for name, function in google_cloudfunctions2_function.function : name => function.service_config[0].uri },
  )
}

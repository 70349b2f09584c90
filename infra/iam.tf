# Identities and who may do what. Least privilege: one service account per function, one for the
# scheduler's calls, one for the tasks' calls, one for the builds; each role on the narrowest
# resource that has it.

locals {
  # The cluster's project, from projects/P/locations/L/clusters/C.
  cluster_project = split("/", var.gke_cluster)[1]
  # The project whose clusters the inventory lists: the instances' project.
  instances_project = coalesce(var.instances_project, yamldecode(file("${path.module}/../templates/deployments.yaml")).project)
}

# --------------------------------------------------------------------------- service accounts

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.value.account}"
  display_name = "kubeflow-auto-deploy ${each.key}"
  description  = "Runs the ${each.key} function."
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "kubeflow-auto-deploy scheduler"
  description  = "Cloud Scheduler calls schedulerTick with this account's OIDC token."
}

resource "google_service_account" "tasks" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-tasks"
  display_name = "kubeflow-auto-deploy tasks"
  description  = "Cloud Tasks calls deployWorker with this account's OIDC token (TASKS_SERVICE_ACCOUNT)."
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "kubeflow-auto-deploy build"
  description  = "Cloud Build builds the functions' images as this account."
}

# --------------------------------------------------------------------------- who may invoke what

locals {
  # Invoker bindings on each function's Cloud Run service: key => function and member.
  invokers = {
    "githubWebhook/public"    = { function = "githubWebhook", member = "allUsers" }
    "schedulerTick/scheduler" = { function = "schedulerTick", member = google_service_account.scheduler.member }
    "deployWorker/tasks"      = { function = "deployWorker", member = google_service_account.tasks.member }
  }
  # The status page: public, or only the members given.
  status_invokers = var.status_page_public ? {
    "deploymentStatus/public" = { function = "deploymentStatus", member = "allUsers" }
    } : {
    for member in var.status_page_invokers : "deploymentStatus/${member}" => { function = "deploymentStatus", member = member }
  }
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = merge(local.invokers, local.status_invokers)

  project  = var.project_id
  location = var.region
  name     = local.function_services[each.value.function]
  role     = "roles/run.invoker"
  member   = each.value.member
}

# --------------------------------------------------------------------------- the queue

resource "google_cloud_tasks_queue_iam_member" "enqueuer" {
  for_each = toset(local.enqueuers)

  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.deploy.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.function[each.key].member
}

# Creating a task that carries the tasks account's OIDC token means acting as that account.
resource "google_service_account_iam_member" "enqueuer_acts_as_tasks" {
  for_each = toset(local.enqueuers)

  service_account_id = google_service_account.tasks.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.function[each.key].member
}

# --------------------------------------------------------------------------- Firestore

# Every function reads Firestore; all but the status page write, and the status page gets the lease
# API (which writes) next. Firestore IAM has no narrower scope than the project.
resource "google_project_iam_member" "datastore_user" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

# --------------------------------------------------------------------------- secrets

locals {
  # Exactly the secrets each function reads: its secret environment variables and the kubeconfig.
  secret_readers = merge(
    {
      for pair in flatten([
        for function, secrets in local.secret_env : [
          for name, secret in secrets : { function = function, secret = secret } if secret != null
        ]
      ]) : "${pair.function}/${pair.secret}" => pair
    },
    {
      for function in(var.kubeconfig_secret == null ? [] : local.cluster_config_readers) :
      "${function}/${var.kubeconfig_secret}" => { function = function, secret = var.kubeconfig_secret }
    },
  )
}

resource "google_secret_manager_secret_iam_member" "access" {
  for_each = local.secret_readers

  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# --------------------------------------------------------------------------- Kubernetes

# Creating, reading and deleting Jobs in the cluster (GKE IAM is granted per project).
resource "google_project_iam_member" "cluster_jobs" {
  for_each = toset(local.cluster_users)

  project = local.cluster_project
  role    = var.jobs_role
  member  = google_service_account.function[each.key].member
}

# The cloud inventory: the tick lists the clusters of the instances' project.
resource "google_project_iam_member" "inventory" {
  project = local.instances_project
  role    = "roles/container.clusterViewer"
  member  = google_service_account.function["schedulerTick"].member
}

# --------------------------------------------------------------------------- builds

# Cloud Build builds each function as the build account. roles/cloudbuild.builds.builder is what
# Google documents for a custom build account: logs, the image in Artifact Registry, and the source
# staged in the functions' own bucket (gcf-v2-sources-*), which is why it is not on our bucket only.
resource "google_project_iam_member" "build" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = google_service_account.build.member
}

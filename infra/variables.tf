# Every input. Required: project_id, gke_cluster, and source_archive (npm run deploy passes it) or
# source_object (a rollback). See terraform.tfvars.example.

# --------------------------------------------------------------------------- where

variable "project_id" {
  description = "The Google Cloud project that holds the functions, Firestore, the queue, the scheduler job and the secrets."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project id: 6 to 30 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, the queue, the scheduler job and the source bucket."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database (a region such as us-central1, or a multi-region such as nam5). Null: the same as region. It cannot be changed once the database exists."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^[a-z0-9-]+$", var.firestore_location))
    error_message = "firestore_location must be a Firestore location id such as us-central1 or nam5."
  }
}

variable "name_prefix" {
  description = "Prefix of the service accounts, the scheduler job and the source bucket (auto-deploy-webhook, auto-deploy-tick, ...)."
  type        = string
  default     = "auto-deploy"

  validation {
    # Service account ids are at most 30 characters and the longest suffix is "-scheduler".
    condition     = can(regex("^[a-z][a-z0-9-]{2,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4 to 20 lower-case letters, digits or hyphens, starting with a letter and ending with a letter or digit."
  }
}

variable "state_bucket" {
  description = "The GCS bucket holding this configuration's Terraform state. Terraform itself does not use it (a backend cannot read variables): npm run deploy reads it from the tfvars file and passes it to terraform init."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket == null || can(regex("^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a bucket name: lower-case letters, digits, '-', '_' or '.'."
  }
}

# --------------------------------------------------------------------------- the cluster

variable "gke_cluster" {
  description = "The GKE cluster where the deploy and teardown Jobs run, as projects/P/locations/L/clusters/C. Passed to the functions as GKE_CLUSTER; the Jobs role is granted in project P."
  type        = string

  validation {
    condition     = can(regex("^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/[a-z0-9-]+/clusters/[a-z]([-a-z0-9]*[a-z0-9])?$", var.gke_cluster))
    error_message = "gke_cluster must be projects/PROJECT/locations/LOCATION/clusters/NAME."
  }
}

variable "kubeconfig_secret" {
  description = "Optional Secret Manager secret (in project_id) holding a kubeconfig for the cluster, mounted at /secrets/kube/config and named by KUBECONFIG. For those who prefer a kubeconfig to credentials from Application Default Credentials. Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.kubeconfig_secret == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.kubeconfig_secret))
    error_message = "kubeconfig_secret must be a secret id: letters, digits, '_' or '-'."
  }
}

variable "jobs_role" {
  description = "The role the worker and the tick get in the cluster's project to create, read and delete Jobs. roles/container.developer, or a narrower custom role (projects/P/roles/R) with container.clusters.get and container.jobs.*."
  type        = string
  default     = "roles/container.developer"

  validation {
    condition     = can(regex("^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[A-Za-z0-9_-]+/roles/[A-Za-z0-9_.]+)$", var.jobs_role))
    error_message = "jobs_role must be a predefined role (roles/...) or a custom role (projects/P/roles/R or organizations/O/roles/R)."
  }
}

variable "instances_project" {
  description = "The project the Kubeflow instances are deployed into, whose clusters the tick lists (roles/container.clusterViewer). Null: the `project` of templates/deployments.yaml."
  type        = string
  default     = null

  validation {
    condition     = var.instances_project == null || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.instances_project))
    error_message = "instances_project must be a project id."
  }
}

# --------------------------------------------------------------------------- GitHub

variable "github_webhook_secret" {
  description = "Secret Manager secret (in project_id) holding the GitHub webhook secret: GITHUB_WEBHOOK_SECRET of githubWebhook. Create it before the first deploy (infra/README.md)."
  type        = string
  default     = "github-webhook-secret"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.github_webhook_secret))
    error_message = "github_webhook_secret must be a secret id: letters, digits, '_' or '-'."
  }
}

variable "github_webhook_secret_previous" {
  description = "Optional secret holding the previous webhook secret, accepted during a rotation (GITHUB_WEBHOOK_SECRET_PREVIOUS). Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.github_webhook_secret_previous == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.github_webhook_secret_previous))
    error_message = "github_webhook_secret_previous must be a secret id: letters, digits, '_' or '-'."
  }
}

variable "github_token_secret" {
  description = "Optional secret holding a GitHub token (GITHUB_TOKEN) for the tick's poll and, with github_deployments, the deployments on the commit (it then needs deployments: write, or the classic repo_deployment scope). Null: the poll is unauthenticated (60 requests an hour, enough for a few branches)."
  type        = string
  default     = null

  validation {
    condition     = var.github_token_secret == null || can(regex("^[A-Za-z0-9_-]{1,255}$", var.github_token_secret))
    error_message = "github_token_secret must be a secret id: letters, digits, '_' or '-'."
  }
}

variable "github_api_url" {
  description = "The GitHub REST API the tick polls (GITHUB_API_URL)."
  type        = string
  default     = "https://api.github.com"

  validation {
    condition     = can(regex("^https?://[^\\s]+$", var.github_api_url))
    error_message = "github_api_url must be an http(s) URL."
  }
}

variable "github_deployments" {
  description = "Whether each launch shows as a GitHub deployment of its commit, with statuses as the instance moves (GITHUB_DEPLOYMENTS). Needs github_token_secret."
  type        = bool
  default     = false

  validation {
    condition     = !var.github_deployments || var.github_token_secret != null
    error_message = "github_deployments needs github_token_secret: a token that may write deployments (deployments: write, or the classic repo_deployment scope)."
  }
}

variable "github_poll" {
  description = "Whether the tick polls GitHub for branch heads, the fallback for lost webhook deliveries (GITHUB_POLL)."
  type        = bool
  default     = true
}

# --------------------------------------------------------------------------- the functions

variable "status_page_public" {
  description = "Whether anyone may read the status page and its JSON API (deploymentStatus), as the original's page was. False: only status_page_invokers may invoke it (IAM), and the app lets only allowed_principals read it (STATUS_PRIVATE=true)."
  type        = bool
  default     = true
}

variable "allowed_principals" {
  description = "Who may change things through deploymentStatus (leases; reads too when status_page_public is false): emails and domain:example.com entries (ALLOWED_PRINCIPALS). The app checks each caller's Google-signed ID token against it. Empty: nobody may change anything."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for principal in var.allowed_principals : can(regex("^([^\\s@,:]+@[^\\s@,:]+\\.[^\\s@,:]+|domain:[a-z0-9.-]+\\.[a-z]{2,})$", principal))])
    error_message = "allowed_principals must be emails (alice@example.com, ci@p.iam.gserviceaccount.com) or domain:example.com; IAM prefixes such as user: or group: are not understood."
  }
  validation {
    condition     = var.status_page_public || length(var.allowed_principals) > 0
    error_message = "With status_page_public = false, set allowed_principals: the app lets only them read the status page."
  }
}

variable "status_extra_audiences" {
  description = "Audiences deploymentStatus accepts besides its own URL (STATUS_EXTRA_AUDIENCES). Add gcloud's client id, 32555940559.apps.googleusercontent.com, to accept `gcloud auth print-identity-token` of user accounts (which cannot choose an audience). Empty: only its URL."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for audience in var.status_extra_audiences : can(regex("^[^\\s,]+$", audience))])
    error_message = "status_extra_audiences must be audiences without spaces or commas, such as 32555940559.apps.googleusercontent.com."
  }
}

variable "status_page_invokers" {
  description = "Who may read the status page when status_page_public is false: IAM members such as group:kubeflow-testing@example.com or serviceAccount:tests@p.iam.gserviceaccount.com."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for member in var.status_page_invokers : can(regex("^(user|group|serviceAccount|domain|principal|principalSet):.+$", member))])
    error_message = "status_page_invokers must be IAM members: user:, group:, serviceAccount:, domain:, principal: or principalSet:."
  }
}

variable "max_instances" {
  description = "Maximum instances of each function."
  type = object({
    githubWebhook    = optional(number, 10)
    schedulerTick    = optional(number, 2)
    deployWorker     = optional(number, 10)
    deploymentStatus = optional(number, 5)
  })
  default = {}

  validation {
    condition     = alltrue([for count in values(var.max_instances) : count >= 1 && count <= 1000 && floor(count) == count])
    error_message = "max_instances values must be whole numbers from 1 to 1000."
  }
}

variable "tasks_dispatch_deadline_seconds" {
  description = "How long Cloud Tasks waits for deployWorker (TASKS_DISPATCH_DEADLINE_SECONDS); also the worker's timeout. The app's default."
  type        = number
  default     = 600

  validation {
    condition     = var.tasks_dispatch_deadline_seconds >= 15 && var.tasks_dispatch_deadline_seconds <= 1800 && floor(var.tasks_dispatch_deadline_seconds) == var.tasks_dispatch_deadline_seconds
    error_message = "tasks_dispatch_deadline_seconds must be a whole number of seconds from 15 to 1800."
  }
}

# --------------------------------------------------------------------------- the queue
# Defaults: infra/queue-defaults.json (test/unit/infra-terraform.test.ts compares them).

variable "queue_name" {
  description = "Name of the Cloud Tasks queue of deploy requests."
  type        = string
  default     = "auto-deploy"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,100}$", var.queue_name))
    error_message = "queue_name must be 1 to 100 letters, digits or hyphens."
  }
}

variable "queue_max_dispatches_per_second" {
  description = "Most tasks the queue dispatches per second (deploy requests and plan tasks)."
  type        = number
  default     = 50

  validation {
    condition     = var.queue_max_dispatches_per_second > 0 && var.queue_max_dispatches_per_second <= 500
    error_message = "queue_max_dispatches_per_second must be greater than 0 and at most 500."
  }
}

variable "queue_max_concurrent_dispatches" {
  description = "Most tasks the queue has in flight at once."
  type        = number
  default     = 10

  validation {
    condition     = var.queue_max_concurrent_dispatches >= 1 && var.queue_max_concurrent_dispatches <= 5000
    error_message = "queue_max_concurrent_dispatches must be from 1 to 5000."
  }
}

variable "queue_max_attempts" {
  description = "Attempts per task, the first included (-1: unlimited)."
  type        = number
  default     = 50

  validation {
    condition     = var.queue_max_attempts == -1 || var.queue_max_attempts >= 1
    error_message = "queue_max_attempts must be -1 (unlimited) or at least 1."
  }
}

variable "queue_min_backoff_seconds" {
  description = "Wait before the first retry of a task."
  type        = number
  default     = 10

  validation {
    condition     = var.queue_min_backoff_seconds >= 0
    error_message = "queue_min_backoff_seconds must not be negative."
  }
}

variable "queue_max_backoff_seconds" {
  description = "Longest wait between two retries of a task."
  type        = number
  default     = 300

  validation {
    condition     = var.queue_max_backoff_seconds >= var.queue_min_backoff_seconds
    error_message = "queue_max_backoff_seconds must be at least queue_min_backoff_seconds."
  }
}

variable "queue_max_doublings" {
  description = "How many times the retry interval doubles before it grows linearly."
  type        = number
  default     = 4

  validation {
    condition     = var.queue_max_doublings >= 0 && floor(var.queue_max_doublings) == var.queue_max_doublings
    error_message = "queue_max_doublings must be a whole number, 0 or more."
  }
}

# --------------------------------------------------------------------------- the source

variable "source_archive" {
  description = "Path of the zip of the functions' source that npm run deploy builds (.deploy/function-source.zip). Uploaded as source/<sha256>.zip."
  type        = string
  default     = null

  validation {
    condition     = var.source_archive != null || var.source_object != null
    error_message = "Set source_archive (npm run deploy builds it) or source_object (npm run deploy -- --rollback OBJECT)."
  }
}

variable "source_object" {
  description = "Rollback: an object already in the source bucket (source/<sha256>.zip, kept from an earlier deploy) to run instead of source_archive. Null: deploy source_archive."
  type        = string
  default     = null

  validation {
    condition     = var.source_object == null || can(regex("^source/[0-9a-f]{64}\\.zip$", var.source_object))
    error_message = "source_object must be an object of the source bucket: source/<sha256>.zip."
  }
}

variable "source_retention_days" {
  description = "Days an uploaded source archive is kept in the bucket (what a rollback can go back to); 0 keeps them for ever."
  type        = number
  default     = 365

  validation {
    condition     = var.source_retention_days >= 0 && floor(var.source_retention_days) == var.source_retention_days
    error_message = "source_retention_days must be a whole number of days, 0 or more."
  }
}

# --------------------------------------------------------------------------- monitoring (monitoring*.tf)

variable "notification_channels" {
  description = "Cloud Monitoring notification channels the alerts notify, as projects/P/notificationChannels/ID (create them in the console or with gcloud beta monitoring channels create). Empty: the alerts still open incidents in the console, but notify nobody."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for channel in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", channel))])
    error_message = "notification_channels must be channel names: projects/PROJECT/notificationChannels/ID."
  }
}

variable "tick_failures_alert" {
  description = "Alert when this many scheduler ticks in a row (5 minutes apart) had no success: failed, or did not run."
  type        = number
  default     = 3

  validation {
    condition     = var.tick_failures_alert >= 1 && var.tick_failures_alert <= 12 && floor(var.tick_failures_alert) == var.tick_failures_alert
    error_message = "tick_failures_alert must be a whole number from 1 to 12."
  }
}

variable "worker_5xx_ratio_alert" {
  description = "Alert when more than this share of deployWorker's requests answer 5xx over 15 minutes (and at least worker_5xx_min_count_alert of them): a few 503s are retries on purpose."
  type        = number
  default     = 0.5

  validation {
    condition     = var.worker_5xx_ratio_alert > 0 && var.worker_5xx_ratio_alert < 1
    error_message = "worker_5xx_ratio_alert must be a share between 0 and 1, such as 0.5."
  }
}

variable "worker_5xx_min_count_alert" {
  description = "The fewest deployWorker 5xx answers in 15 minutes that can raise the 5xx alert, so one retried task among few requests does not."
  type        = number
  default     = 3

  validation {
    condition     = var.worker_5xx_min_count_alert >= 1 && floor(var.worker_5xx_min_count_alert) == var.worker_5xx_min_count_alert
    error_message = "worker_5xx_min_count_alert must be a whole number, 1 or more."
  }
}

variable "no_ready_deploy_alert_hours" {
  description = "Alert when a version that had ready instances has had no new one for this many hours (the periodic redeploy launches each version every periodicRedeployHours, 12 by default)."
  type        = number
  default     = 24

  validation {
    condition     = var.no_ready_deploy_alert_hours >= 1 && var.no_ready_deploy_alert_hours <= 24 && floor(var.no_ready_deploy_alert_hours) == var.no_ready_deploy_alert_hours
    error_message = "no_ready_deploy_alert_hours must be a whole number of hours from 1 to 24 (Cloud Monitoring's longest absence window)."
  }
}

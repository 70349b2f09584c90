# The Google Cloud APIs the system uses, enabled in project_id, with why. Never disabled on
# destroy: other things in the project may use them.

locals {
  apis = {
    "artifactregistry.googleapis.com"     = "the functions' container images"
    "cloudbuild.googleapis.com"           = "builds the functions from the source archive"
    "cloudfunctions.googleapis.com"       = "the four functions"
    "cloudresourcemanager.googleapis.com" = "project IAM bindings"
    "cloudscheduler.googleapis.com"       = "the tick every 5 minutes"
    "cloudtasks.googleapis.com"           = "the deploy queue"
    "container.googleapis.com"            = "the cluster that runs the Jobs, the inventory of instances"
    "firebaserules.googleapis.com"        = "firestore.rules"
    "firestore.googleapis.com"            = "the records"
    "iam.googleapis.com"                  = "the service accounts"
    "run.googleapis.com"                  = "2nd gen functions are Cloud Run services"
    "secretmanager.googleapis.com"        = "the webhook secret, the GitHub token"
    "storage.googleapis.com"              = "the source bucket"
  }
}

resource "google_project_service" "api" {
  for_each = local.apis

  project            = var.project_id
  service            = each.key
  disable_on_destroy = false
}

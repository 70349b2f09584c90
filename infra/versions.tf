# Terraform, the providers, and where the state lives.

terraform {
  # 1.9: variable validations may refer to other variables (var.source_archive / var.source_object).
  required_version = ">= 1.9"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.47 added deletion_policy = "ABANDON" on bucket objects, which keeps old sources for rollback.
      version = ">= 6.47, < 8.0"
    }
  }

  # The state lives in a GCS bucket given at init time (partial configuration):
  #   terraform init -backend-config=bucket=BUCKET -backend-config=prefix=kubeflow-auto-deploy
  # `npm run deploy -- --state-bucket BUCKET` does this.
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app = "kubeflow-auto-deploy"
  }
}

# The functions' source: a zip that npm run deploy builds (package.json, package-lock.json, the
# TypeScript sources and templates/; Cloud Build runs `npm ci` and `gcp-build`), uploaded under
# its own hash so that a change redeploys and an unchanged source does not.
#
# Replaced archives are abandoned, not deleted: they stay in the bucket (for source_retention_days)
# so that a rollback can point the functions back at one (var.source_object; infra/README.md).

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  dynamic "lifecycle_rule" {
    for_each = var.source_retention_days > 0 ? [var.source_retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_object" "source" {
  count = var.source_object == null ? 1 : 0

  bucket       = google_storage_bucket.source.name
  name         = "source/${filesha256(var.source_archive)}.zip"
  source       = var.source_archive
  content_type = "application/zip"
  # Keep the archive when a new one replaces it: it is what a rollback runs.
  deletion_policy = "ABANDON"
}

locals {
  # The object the functions are built from: the new upload, or the rollback target.
  source_object = var.source_object != null ? var.source_object : google_storage_bucket_object.source[0].name
}

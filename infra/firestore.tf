# Firestore: the database, its security rules, and the indexes and field settings of
# ../firestore.indexes.json (read here, so the emulator's file and production cannot drift).

locals {
  firestore_indexes_file = jsondecode(file("${path.module}/../firestore.indexes.json"))

  # Composite indexes, keyed by collection and fields: changing one replaces only that index.
  firestore_indexes = {
    for index in local.firestore_indexes_file.indexes :
    "${index.collectionGroup}(${join(",", [for field in index.fields : "${field.fieldPath}:${try(field.order, field.arrayConfig)}"])})" => index
  }

  # Per-field settings: single-field index overrides and TTL policies (deliveries.expireAt, leases.expireAt).
  firestore_field_overrides = {
    for override in local.firestore_indexes_file.fieldOverrides :
    "${override.collectionGroup}.${override.fieldPath}" => override
  }
}

resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)"
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"
  # The worker's launch transaction relies on Firestore locking what its query read.
  concurrency_mode        = "PESSIMISTIC"
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  # `terraform destroy` leaves the data where it is.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.api]
}

# No client access at all (../firestore.rules): the functions use IAM, people use the console.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  lifecycle {
    # A ruleset cannot be deleted while the release points at it.
    create_before_destroy = true
  }

  depends_on = [google_firestore_database.main]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

resource "google_firestore_field" "override" {
  for_each = local.firestore_field_overrides

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # The field's single-field indexes as the file lists them; an empty list exempts the field from
  # indexing (a TTL timestamp needs no index). No `indexes` key: the default indexes.
  dynamic "index_config" {
    for_each = can(each.value.indexes) ? [each.value.indexes] : []
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          query_scope  = try(indexes.value.queryScope, null)
          order        = try(indexes.value.order, null)
          array_config = try(indexes.value.arrayConfig, null)
        }
      }
    }
  }

  # Documents are deleted (within about a day) once the time in this field has passed.
  dynamic "ttl_config" {
    for_each = try(each.value.ttl, false) ? [true] : []
    content {}
  }
}

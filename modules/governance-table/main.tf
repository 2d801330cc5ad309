# One item per model version and stage: (group, version) -> stage, status, metrics, comment.
resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted with the customer-managed key of var.kms_key_arn (validated as a KMS key ARN); the check fails only on plans that create that key in the same apply, where its ARN is not yet known.
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "model_package_group"
  range_key    = "version"

  attribute {
    name = "model_package_group"
    type = "S"
  }

  attribute {
    name = "version"
    type = "N"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
  tags                        = var.tags
}

data "aws_partition" "current" {}

locals {
  bucket_arn     = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  account_roots  = [for id in var.reader_writer_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  object_actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetObjectTagging", "s3:PutObjectTagging"]
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Model artifacts are reproducible from the pipelines; cross-region replication is a cost decision left to each deployment.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object-created events; pipelines are started by EventBridge schedules.
  #checkov:skip=CKV_AWS_18:Access logging is optional (access_log_bucket); the log bucket itself lives outside this module.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3-access/${var.bucket_name}/"
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = length(local.account_roots) > 0 ? [1] : []
    content {
      sid       = "WorkloadAccountsListTheBucket"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [local.bucket_arn]
      principals {
        type        = "AWS"
        identifiers = local.account_roots
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.account_roots) > 0 ? [1] : []
    content {
      sid       = "WorkloadAccountsReadAndWriteObjects"
      actions   = local.object_actions
      resources = ["${local.bucket_arn}/*"]
      principals {
        type        = "AWS"
        identifiers = local.account_roots
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json
  # A policy applied before the public access block could be judged public and rejected.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

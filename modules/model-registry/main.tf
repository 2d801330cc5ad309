data "aws_partition" "current" {}

locals {
  roots          = { for kind, ids in { writers = var.writer_account_ids, readers = var.reader_account_ids } : kind => [for id in ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"] }
  group_arn      = aws_sagemaker_model_package_group.this.arn
  versions_arn   = "${replace(local.group_arn, ":model-package-group/", ":model-package/")}/*"
  read_actions   = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:CreateModel"]
  write_actions  = ["sagemaker:CreateModelPackage"]
  has_principals = length(var.writer_account_ids) + length(var.reader_account_ids) > 0
}

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.group_name
  model_package_group_description = var.description
  tags                            = var.tags
}

data "aws_iam_policy_document" "group" {
  count = local.has_principals ? 1 : 0

  statement {
    sid       = "AccountsReadModelVersions"
    actions   = local.read_actions
    resources = [local.group_arn, local.versions_arn]
    principals {
      type        = "AWS"
      identifiers = distinct(concat(local.roots.writers, local.roots.readers))
    }
  }

  dynamic "statement" {
    for_each = length(var.writer_account_ids) > 0 ? [1] : []
    content {
      sid       = "AccountsRegisterModelVersions"
      actions   = local.write_actions
      resources = [local.group_arn, local.versions_arn]
      principals {
        type        = "AWS"
        identifiers = local.roots.writers
      }
    }
  }

  # Only the registry's approver roles decide what serves: a workload account registers versions
  # pending approval, and changes none (it holds no UpdateModelPackage here, so it can neither
  # decide nor undo a decision, nor rewrite a version's metadata).
  dynamic "statement" {
    for_each = length(var.writer_account_ids) > 0 ? [1] : []
    content {
      sid       = "OnlyApproversDecide"
      effect    = "Deny"
      actions   = ["sagemaker:CreateModelPackage"]
      resources = [local.group_arn, local.versions_arn]
      principals {
        type        = "AWS"
        identifiers = local.roots.writers
      }
      condition {
        test     = "Null"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["false"]
      }
      condition {
        test     = "StringNotEquals"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["PendingManualApproval"]
      }
    }
  }
}

resource "aws_sagemaker_model_package_group_policy" "this" {
  count                    = local.has_principals ? 1 : 0
  model_package_group_name = aws_sagemaker_model_package_group.this.model_package_group_name
  resource_policy          = data.aws_iam_policy_document.group[0].json
}

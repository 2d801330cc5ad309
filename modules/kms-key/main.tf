data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  user_roots   = [for id in var.user_account_ids : "arn:${data.aws_partition.current.partition}:iam::${id}:root"]
  usage_actions = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
  ]
  log_group_arns = [
    for name in var.log_group_names :
    "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${name}"
  ]
}

data "aws_iam_policy_document" "key" {
  # In a key policy, Resource "*" means "this key" and nothing else; these checks are written for
  # identity policies, where it would mean every resource of the account.
  #checkov:skip=CKV_AWS_109:Key policy: "*" is this key only; administration stays with the owning account's IAM.
  #checkov:skip=CKV_AWS_111:Key policy: "*" is this key only; write use is limited to listed accounts and services.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the only valid resource and means this key.
  # Without this statement nobody in the owning account could manage the key: IAM policies of
  # the account decide who administers it.
  statement {
    sid       = "OwningAccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  dynamic "statement" {
    for_each = length(local.user_roots) > 0 ? [1] : []
    content {
      sid       = "UserAccountsUseTheKey"
      actions   = local.usage_actions
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = local.user_roots
      }
    }
  }

  dynamic "statement" {
    for_each = length(local.user_roots) > 0 ? [1] : []
    content {
      sid       = "UserAccountsGrantToAwsServices"
      actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = local.user_roots
      }
      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.service_principals) > 0 ? [1] : []
    content {
      sid       = "ServicesOfThisAccountUseTheKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = var.service_principals
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  # CloudWatch Logs is a regional service principal and names the log group in the encryption
  # context of every call: the key serves the listed groups and no other.
  dynamic "statement" {
    for_each = length(local.log_group_arns) > 0 ? [1] : []
    content {
      sid       = "CloudWatchLogsEncryptsTheListedLogGroups"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["logs.${data.aws_region.current.name}.${data.aws_partition.current.dns_suffix}"]
      }
      condition {
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = local.log_group_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}

# Who decides what serves: one approver role per stage, assumed by the people the tfvars name,
# only with their own identity set on the session (sts:SourceIdentity), so every approval,
# rejection, promotion and rollback the registry records names a person. A read-only role lets
# the compliance officer read the groups and the governance table. Nothing here is granted to
# the Terraform or CI roles: a model decision is a person's.
data "aws_partition" "current" {}

locals {
  versions_arns = { for stage, group in var.stage_group_arns : stage => "${replace(group, ":model-package-group/", ":model-package/")}/*" }
  # The stage whose approved versions a stage's approver copies in (prod copies dev's).
  sources = { for target, source in var.promotions : target => source if contains(keys(var.approvers), target) }
  # The stage that a stage's versions are copied to: its approver sees those copies (a rejection
  # warns of a copy still served there).
  copied_to = { for target, source in var.promotions : source => target }
}

# Trusted only by the stage's people, and only when the session says who the person is
# (modules/person-trust): AWS then carries the source identity into every request and into
# SageMaker's record of the change.
module "trust" {
  source   = "../person-trust"
  for_each = var.approvers
  people   = each.value
  who      = "StagesApprovers"
}

data "aws_iam_policy_document" "approve" {
  for_each = var.approvers

  statement {
    sid       = "ReadTheStagesVersions"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
    resources = [var.stage_group_arns[each.key], local.versions_arns[each.key]]
  }

  statement {
    sid       = "ApproveOrRejectTheStagesVersions"
    actions   = ["sagemaker:UpdateModelPackage"]
    resources = [local.versions_arns[each.key]]
  }

  # Promotion: the approved source version is read, and its copy created (pending, then
  # approved above) in this stage's group.
  dynamic "statement" {
    for_each = contains(keys(local.sources), each.key) ? [local.sources[each.key]] : []
    content {
      sid       = "ReadTheVersionsPromotedFrom${title(statement.value)}"
      actions   = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
      resources = [var.stage_group_arns[statement.value], local.versions_arns[statement.value]]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(local.sources), each.key) ? [1] : []
    content {
      sid       = "CreatePromotedCopies"
      actions   = ["sagemaker:CreateModelPackage"]
      resources = [var.stage_group_arns[each.key], local.versions_arns[each.key]]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(local.copied_to), each.key) ? [local.copied_to[each.key]] : []
    content {
      sid       = "SeeCopiesIn${title(statement.value)}"
      actions   = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
      resources = [var.stage_group_arns[statement.value], local.versions_arns[statement.value]]
    }
  }

  statement {
    sid       = "ReadTheRegistrysContract"
    actions   = ["ssm:GetParameter"]
    resources = [var.contract_parameter_arn]
  }
  statement {
    sid       = "DecryptTheContractThroughSsm"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "approver" {
  for_each             = var.approvers
  name                 = var.approver_role_names[each.key]
  description          = "Approves or rejects ${each.key}'s model versions${contains(keys(local.sources), each.key) ? ", promotes into ${each.key} and rolls back" : " and rolls back"}; assumed by a named person only."
  assume_role_policy   = module.trust[each.key].json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "approver" {
  for_each = var.approvers
  name     = "decide-${each.key}-model-versions"
  role     = aws_iam_role.approver[each.key].id
  policy   = data.aws_iam_policy_document.approve[each.key].json
}

module "reader_trust" {
  source = "../person-trust"
  count  = length(var.governance_readers) > 0 ? 1 : 0
  people = var.governance_readers
  who    = "GovernanceReaders"
}

data "aws_iam_policy_document" "read" {
  count = length(var.governance_readers) > 0 ? 1 : 0

  statement {
    sid       = "ReadEveryStagesVersions"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
    resources = flatten([for stage, group in var.stage_group_arns : [group, local.versions_arns[stage]]])
  }
  statement {
    sid       = "ReadTheGovernanceTable"
    actions   = ["dynamodb:Query"]
    resources = [var.governance_table_arn]
  }
  statement {
    sid       = "ReadTheRegistrysContract"
    actions   = ["ssm:GetParameter"]
    resources = [var.contract_parameter_arn]
  }
  # The report shows each stage's last inference data-quality check (Model Monitor's
  # violations): found by listing the stage's report folder, read report by report.
  statement {
    sid       = "FindEachStagesDataQualityReports"
    actions   = ["s3:ListBucket"]
    resources = [var.artifacts_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for prefix in values(var.quality_report_prefixes) : "${prefix}/*"]
    }
  }
  statement {
    sid       = "ReadEachStagesDataQualityReports"
    actions   = ["s3:GetObject"]
    resources = [for prefix in values(var.quality_report_prefixes) : "${var.artifacts_bucket_arn}/${prefix}/*/constraint_violations.json"]
  }
  statement {
    sid       = "DecryptTheTableContractAndReports"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${var.region}.amazonaws.com", "dynamodb.${var.region}.amazonaws.com", "s3.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "reader" {
  count                = length(var.governance_readers) > 0 ? 1 : 0
  name                 = var.reader_role_name
  description          = "Reads the model versions and the governance table for the compliance report; assumed by a named person only."
  assume_role_policy   = module.reader_trust[0].json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "reader" {
  count  = length(var.governance_readers) > 0 ? 1 : 0
  name   = "read-the-governance-record"
  role   = aws_iam_role.reader[0].id
  policy = data.aws_iam_policy_document.read[0].json
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.name
  # ARN prefix of a regional service of this account and region.
  here = { for service in ["kms", "sns", "sqs", "events", "lambda", "logs", "ssm", "dynamodb", "sagemaker", "cloudwatch"] :
  service => "arn:${local.partition}:${service}:${local.region}:${local.account}" }
  prefixed = "${var.name_prefix}-*"
  # The account that owns the model package groups (the registry; this one when it is).
  registry    = coalesce(var.model_registry_account_id, local.account)
  is_registry = local.registry == local.account
  model_names = distinct([var.model_name, lower(var.model_name)])
}

# The account's Terraform state: the bucket and key `mlops` creates before Terraform first runs
# (the state must live somewhere), imported by the bootstrap root and from then on Terraform's.
module "state_key" {
  source      = "../kms-key"
  alias       = var.state_key_alias
  description = "Terraform state of ${var.name_prefix} in this account."
}

module "state_bucket" {
  source                             = "../artifacts-bucket"
  bucket_name                        = var.state_bucket_name
  kms_key_arn                        = module.state_key.key_arn
  noncurrent_version_expiration_days = var.noncurrent_state_expiration_days
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "TrustedPrincipalsRunTerraform"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = var.trusted_principal_arns
    }
  }
}

resource "aws_iam_role" "terraform" {
  name                 = var.terraform_role_name
  path                 = var.terraform_role_path
  description          = "Runs the platform's Terraform roots in this account; manages what they name, nothing else."
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

# Bounded, not AdministratorAccess: the roots create keys, buckets, roles, topics, queues, rules,
# functions, log groups, parameters, a table and model package groups, all named after
# name_prefix (model_name for SageMaker), plus the account's default event bus policy. Each
# statement reaches those names and no others; a role of the account outside the prefix (this one
# included) is out of its reach.
data "aws_iam_policy_document" "terraform" {
  # Actions the IAM Service Authorization Reference lists with no resource type: IAM authorizes
  # them against "*", so a statement scoping them to an ARN never matches. The bus policy's
  # PutPermission/RemovePermission (stages admit the registry's approval events), the e-mail
  # subscription's attribute reads and removal, Lambda's account settings (`mlops plan`
  # checks a reservation fits the account's concurrency quota) and the listing of SageMaker's
  # endpoint configs and models (a stage's destroy finds its endpoint's) are among them.
  statement {
    sid = "ActionsWithoutResourceScope"
    actions = [
      "kms:CreateKey", "kms:ListAliases", "kms:ListKeys", "logs:DescribeLogGroups", "ssm:DescribeParameters",
      "events:PutPermission", "events:RemovePermission",
      "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe",
      "lambda:GetAccountSettings", "sagemaker:ListEndpointConfigs", "sagemaker:ListModels",
      "sagemaker:ListMonitoringSchedules", "sagemaker:ListDataQualityJobDefinitions",
    ]
    resources = ["*"]
  }

  # The keys of this account (the platform's and the state's); a key's own policy hands its
  # administration to the account's IAM, which this statement bounds to this account.
  statement {
    sid       = "KeysOfThisAccount"
    actions   = ["kms:*"]
    resources = ["${local.here.kms}:key/*"]
  }

  statement {
    sid       = "AliasesOfThePlatform"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.here.kms}:alias/${local.prefixed}", "${local.here.kms}:key/*"]
  }

  statement {
    sid       = "BucketsOfThePlatform"
    actions   = ["s3:*"]
    resources = ["arn:${local.partition}:s3:::${local.prefixed}", "arn:${local.partition}:s3:::${local.prefixed}/*"]
  }

  statement {
    sid = "RolesOfThePlatform"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = ["arn:${local.partition}:iam::${local.account}:role/${local.prefixed}"]
  }

  # Functions run as, and rules deliver with, the platform's roles.
  statement {
    sid       = "PassRolesOfThePlatformToTheirServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/${local.prefixed}"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "events.amazonaws.com"]
    }
  }

  statement {
    sid     = "ServicesOfThePlatform"
    actions = ["sns:*", "sqs:*", "lambda:*", "dynamodb:*", "events:*"]
    resources = [
      "${local.here.sns}:${local.prefixed}",
      "${local.here.sqs}:${local.prefixed}",
      "${local.here.lambda}:function:${local.prefixed}",
      "${local.here.dynamodb}:table/${local.prefixed}",
      "${local.here.events}:rule/${local.prefixed}",
    ]
  }

  # A stage's real-time endpoint, each version's model, config and data-quality job definition,
  # and the endpoint's monitoring schedule are made by its deployment function, not by
  # Terraform: a stage's destroy deletes them (glue/endpoints.py), once a deployment in progress
  # has ended.
  statement {
    sid     = "EndpointsOfTheStages"
    actions = ["sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel", "sagemaker:DeleteMonitoringSchedule", "sagemaker:DeleteDataQualityJobDefinition"]
    resources = [
      "${local.here.sagemaker}:endpoint/${local.prefixed}", "${local.here.sagemaker}:endpoint-config/${local.prefixed}", "${local.here.sagemaker}:model/${local.prefixed}",
      "${local.here.sagemaker}:monitoring-schedule/${local.prefixed}", "${local.here.sagemaker}:data-quality-job-definition/${local.prefixed}",
    ]
  }

  # A stage's real-time endpoint is rolled back by alarms (modules/realtime-endpoint).
  statement {
    sid       = "AlarmsOfThePlatform"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = ["${local.here.cloudwatch}:alarm:${local.prefixed}"]
  }

  # Stages accept approval events from the registry account through the bus policy (written
  # with the resource-less actions above; read here).
  statement {
    sid       = "DefaultEventBusPolicy"
    actions   = ["events:DescribeEventBus"]
    resources = ["${local.here.events}:event-bus/default"]
  }

  statement {
    sid       = "LogGroupsOfThePlatformsFunctions"
    actions   = ["logs:*"]
    resources = ["${local.here.logs}:log-group:/aws/lambda/${local.prefixed}", "${local.here.logs}:log-group:/aws/lambda/${local.prefixed}:*"]
  }

  statement {
    sid       = "ParametersOfThePlatform"
    actions   = ["ssm:*"]
    resources = ["${local.here.ssm}:parameter/${var.name_prefix}/*"]
  }

  # Model package groups (registry) and, when a stage is destroyed, its pipelines.
  statement {
    sid = "ModelGroupsAndPipelinesOfTheModel"
    actions = [
      "sagemaker:CreateModelPackageGroup", "sagemaker:DeleteModelPackageGroup", "sagemaker:DescribeModelPackageGroup",
      "sagemaker:PutModelPackageGroupPolicy", "sagemaker:GetModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroupPolicy",
      "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags",
      "sagemaker:DescribePipeline", "sagemaker:DeletePipeline",
    ]
    # SageMaker writes some ARNs in lower case whatever the name's case (pipelines) and keeps it
    # in others; IAM compares ARNs case-sensitively, so a mixed-case model name gets both.
    resources = flatten([for name in local.model_names : [
      "${local.here.sagemaker}:model-package-group/${name}-*",
      "${local.here.sagemaker}:pipeline/${name}-*",
    ]])
  }

  # CI reads the versions (`mlops models list|latest|compare`): a stage through its group's
  # policy. The registry records comparisons on versions (UpdateModelPackage without a status):
  # evidence, not a decision; decisions are the approver roles' (modules/model-approvers).
  statement {
    sid     = "ModelVersionsOfTheModel"
    actions = ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage"]
    resources = flatten([for name in local.model_names : [
      "arn:${local.partition}:sagemaker:${local.region}:${local.registry}:model-package-group/${name}-*",
      "arn:${local.partition}:sagemaker:${local.region}:${local.registry}:model-package/${name}-*/*",
    ]])
  }

  dynamic "statement" {
    for_each = local.is_registry ? [1] : []
    content {
      sid       = "RecordComparisonsNotDecisions"
      actions   = ["sagemaker:UpdateModelPackage"]
      resources = [for name in local.model_names : "arn:${local.partition}:sagemaker:${local.region}:${local.registry}:model-package/${name}-*/*"]
      condition {
        test     = "Null"
        variable = "sagemaker:ModelApprovalStatus"
        values   = ["true"]
      }
    }
  }

  # A stage reads the comparison reports its pipeline writes to the registry's artifacts bucket
  # (SSE-KMS with the registry's key; the key's policy admits the stage's account): through S3
  # only.
  dynamic "statement" {
    for_each = local.is_registry ? [] : [1]
    content {
      sid       = "RegistryKeysThroughS3"
      actions   = ["kms:Decrypt"]
      resources = ["arn:${local.partition}:kms:${local.region}:${local.registry}:key/*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "terraform" {
  name   = "platform-roots"
  role   = aws_iam_role.terraform.id
  policy = data.aws_iam_policy_document.terraform.json
}

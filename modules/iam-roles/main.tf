data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  arn_prefix = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"

  # SageMaker writes pipeline ARNs with the name in lower case.
  pipeline_arns         = [for name in var.pipeline_names : "${local.arn_prefix}:pipeline/${lower(name)}"]
  pipeline_job_arns     = [for kind in ["processing-job", "training-job", "transform-job", "model"] : "${local.arn_prefix}:${kind}/*"]
  model_package_arns    = [for arn in var.model_package_group_arns : replace(arn, ":model-package-group/", ":model-package/")]
  model_package_version = [for arn in local.model_package_arns : "${arn}/*"]
  bucket_arn            = "arn:${local.partition}:s3:::${var.artifacts_bucket_name}"
  log_groups            = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/"
}

module "sagemaker_trust" {
  source     = "../service-role-trust"
  service    = "sagemaker.amazonaws.com"
  account_id = local.account_id
}

module "lambda_trust" {
  source     = "../service-role-trust"
  service    = "lambda.amazonaws.com"
  account_id = local.account_id
}

data "aws_iam_policy_document" "deploy_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.ci_role_arn]
    }
  }
}

# Shared by the SageMaker role and the deploy role: the central bucket's objects and its key.
data "aws_iam_policy_document" "artifacts" {
  statement {
    sid       = "ReadWriteArtifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${local.bucket_arn}/*"]
  }
  statement {
    sid       = "UseArtifactsKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [var.artifacts_kms_key_arn]
  }
}

data "aws_iam_policy_document" "sagemaker" {
  source_policy_documents = [data.aws_iam_policy_document.artifacts.json]

  # Steps list their inputs' prefixes; jobs encrypt volumes and outputs with the workload key.
  # (The deploy role writes scripts by name and needs neither: the walkthrough proves it.)
  statement {
    sid       = "ListArtifactsBucket"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }
  statement {
    sid       = "UseWorkloadKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [var.workload_kms_key_arn]
  }

  statement {
    sid       = "RunPipelineJobs"
    actions   = ["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob", "sagemaker:CreateModel", "sagemaker:Describe*Job", "sagemaker:DescribeModel", "sagemaker:Stop*Job", "sagemaker:AddTags"]
    resources = local.pipeline_job_arns
  }
  statement {
    sid       = "RegisterModelVersions"
    actions   = ["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"]
    resources = concat(var.model_package_group_arns, local.model_package_version)
  }
  statement {
    sid       = "InvokeLatestModelLambda"
    actions   = ["lambda:InvokeFunction"]
    resources = ["arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.latest_model_function_name}"]
  }
  statement {
    sid       = "PassOwnRoleToJobs"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-sagemaker-execution"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    sid       = "PullBuiltInAlgorithmImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = ["arn:${local.partition}:ecr:${local.region}:*:repository/sagemaker-*"]
  }
  statement {
    # GetAuthorizationToken has no resource-level permissions in IAM.
    sid       = "AuthenticateToEcr"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "WriteJobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.log_groups}sagemaker/*"]
  }
  # SageMaker reads a real-time endpoint's rollback alarms as its model's execution role
  # (SageMaker's guide, "Auto-Rollback Configuration and Monitoring").
  dynamic "statement" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      sid       = "ReadTheEndpointsRollbackAlarms"
      actions   = ["cloudwatch:DescribeAlarms"]
      resources = statement.value.alarm_arns
    }
  }
  statement {
    # Jobs publish their metrics as this role (CreateTrainingJob's RoleArn documentation).
    # PutMetricData has no resource-level permissions: the namespace condition bounds it.
    sid       = "PublishJobMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*"]
    }
  }
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "ReadModelVersions"
    actions   = ["sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
    resources = concat(var.model_package_group_arns, local.model_package_version)
  }
  statement {
    sid       = "WriteFunctionLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_groups}lambda/${var.latest_model_function_name}:*"]
  }
}

data "aws_iam_policy_document" "deploy" {
  source_policy_documents = [data.aws_iam_policy_document.artifacts.json]

  statement {
    sid       = "UpsertPipelines"
    actions   = ["sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline", "sagemaker:AddTags", "sagemaker:ListTags"]
    resources = local.pipeline_arns
  }
  statement {
    sid       = "StartPipelines"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = local.pipeline_arns
  }
  statement {
    # `mlops models compare` follows the comparison it started until it ends.
    sid       = "FollowPipelineExecutions"
    actions   = ["sagemaker:DescribePipelineExecution"]
    resources = [for arn in local.pipeline_arns : "${arn}/execution/*"]
  }
  # `mlops endpoint status|invoke`: CI looks at the stage's endpoint and tries it.
  dynamic "statement" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      sid       = "CheckAndTryTheEndpoint"
      actions   = ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]
      resources = [statement.value.arn]
    }
  }
  dynamic "statement" {
    # The check after a deployment, recorded on each version's endpoint config (`<endpoint>-v<N>`).
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      sid       = "ReadTheEndpointChecks"
      actions   = ["sagemaker:ListTags"]
      resources = ["${replace(statement.value.arn, ":endpoint/", ":endpoint-config/")}-v*"]
    }
  }
  dynamic "statement" {
    # Its Model Monitor schedule and last execution, and where the served version's job
    # definition (`<endpoint>-v<N>`) writes the reports.
    for_each = try(var.endpoint.monitoring_schedule_arn, null) == null ? [] : [var.endpoint]
    content {
      sid       = "ReadTheEndpointsMonitoring"
      actions   = ["sagemaker:DescribeMonitoringSchedule", "sagemaker:DescribeDataQualityJobDefinition"]
      resources = [statement.value.monitoring_schedule_arn, "${replace(statement.value.arn, ":endpoint/", ":data-quality-job-definition/")}-v*"]
    }
  }
  statement {
    sid       = "PassExecutionRoleToPipelines"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker_execution.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sagemaker_execution" {
  name               = "${var.name_prefix}-sagemaker-execution"
  description        = "Runs the SageMaker training and inference pipelines."
  assume_role_policy = module.sagemaker_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "sagemaker_execution" {
  name   = "least-privilege"
  role   = aws_iam_role.sagemaker_execution.id
  policy = data.aws_iam_policy_document.sagemaker.json
}

resource "aws_iam_role" "latest_model_lambda" {
  name               = "${var.name_prefix}-latest-model-lambda"
  description        = "Finds the latest approved model version for the inference pipeline."
  assume_role_policy = module.lambda_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "latest_model_lambda" {
  name   = "least-privilege"
  role   = aws_iam_role.latest_model_lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name_prefix}-ci-deploy"
  description          = "Assumed by CI to upsert and start the stage's pipelines."
  assume_role_policy   = data.aws_iam_policy_document.deploy_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deploy" {
  name   = "least-privilege"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}

# The people who start the stage's training, each with their identity on the session: SageMaker
# records the start's caller, and mlops records the person on the version (`trained_by`), whose
# approval is then someone else's (four eyes).
module "data_scientist_trust" {
  source = "../person-trust"
  count  = length(var.data_scientist_arns) > 0 ? 1 : 0
  people = var.data_scientist_arns
  who    = "StagesDataScientists"
}

data "aws_iam_policy_document" "data_scientist" {
  count = length(var.data_scientist_arns) > 0 ? 1 : 0

  statement {
    sid       = "StartTraining"
    actions   = ["sagemaker:DescribePipeline", "sagemaker:StartPipelineExecution"]
    resources = ["${local.arn_prefix}:pipeline/${lower(var.training_pipeline_name)}"]
  }
  statement {
    sid       = "ReadTheStagesContract"
    actions   = ["ssm:GetParameter"]
    resources = [var.contract_parameter_arn]
  }
  statement {
    sid       = "DecryptTheContractThroughSsm"
    actions   = ["kms:Decrypt"]
    resources = [var.workload_kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["ssm.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "data_scientist" {
  count                = length(var.data_scientist_arns) > 0 ? 1 : 0
  name                 = "${var.name_prefix}-data-scientist"
  description          = "Starts the stage's training pipeline; assumed by a named person only."
  assume_role_policy   = module.data_scientist_trust[0].json
  max_session_duration = 3600
  tags                 = var.tags

  lifecycle {
    precondition {
      condition     = var.training_pipeline_name != null && var.contract_parameter_arn != null
      error_message = "data_scientist_arns needs training_pipeline_name and contract_parameter_arn."
    }
  }
}

resource "aws_iam_role_policy" "data_scientist" {
  count  = length(var.data_scientist_arns) > 0 ? 1 : 0
  name   = "start-training"
  role   = aws_iam_role.data_scientist[0].id
  policy = data.aws_iam_policy_document.data_scientist[0].json
}

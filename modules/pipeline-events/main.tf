data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  arn_prefix = "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  # SageMaker writes pipeline ARNs with the name in lower case, and so do its events.
  training_pipeline_arn  = "${local.arn_prefix}:pipeline/${lower(var.training_pipeline_name)}"
  inference_pipeline_arn = "${local.arn_prefix}:pipeline/${lower(var.inference_pipeline_name)}"
  status_change          = "SageMaker Model Building Pipeline Execution Status Change"
  # arn:<partition>:sagemaker:<region>:<registry account>:model-package-group/<name>
  approvals_from = var.approved_model_group_arn == null ? null : {
    account = split(":", var.approved_model_group_arn)[4]
    group   = split("/", var.approved_model_group_arn)[1]
  }
}

module "events_trust" {
  source     = "../service-role-trust"
  service    = "events.amazonaws.com"
  account_id = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "start_pipelines" {
  statement {
    sid       = "StartTheTwoPipelines"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = [local.training_pipeline_arn, local.inference_pipeline_arn]
  }
}

resource "aws_iam_role" "events" {
  name               = "${var.name_prefix}-events-start-pipelines"
  description        = "Lets EventBridge start the training and inference pipelines."
  assume_role_policy = module.events_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "events" {
  name   = "start-pipelines"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.start_pipelines.json
}

resource "aws_cloudwatch_event_rule" "inference_schedule" {
  name                = "${var.name_prefix}-inference-schedule"
  description         = "Starts the inference pipeline on schedule."
  schedule_expression = var.inference_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_rule" "training_schedule" {
  count               = var.training_schedule == null ? 0 : 1
  name                = "${var.name_prefix}-training-schedule"
  description         = "Starts the training pipeline on schedule (retraining on the data in the bucket)."
  schedule_expression = var.training_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_rule" "inference_failed" {
  count       = var.retrain_on_failed_inference ? 1 : 0
  name        = "${var.name_prefix}-inference-failed-retrain"
  description = "A failed inference run (e.g. data-quality violations) starts retraining."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = [local.status_change]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [local.inference_pipeline_arn]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "pipeline_failed" {
  name        = "${var.name_prefix}-pipeline-failed-notify"
  description = "Any failed training or inference run is notified."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = [local.status_change]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [local.training_pipeline_arn, local.inference_pipeline_arn]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "notify" {
  rule = aws_cloudwatch_event_rule.pipeline_failed.name
  arn  = var.notification_topic_arn
}

# Approvals of this stage's versions happen in the registry account, which owns the group and
# forwards them here (approval-forwarding): the default bus accepts that account's events, and
# an approval starts the inference pipeline on the newly approved model.
data "aws_iam_policy_document" "default_bus" {
  count = local.approvals_from == null ? 0 : 1
  statement {
    sid       = "RegistryForwardsApprovals"
    actions   = ["events:PutEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:event-bus/default"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.approvals_from.account}:root"]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "default" {
  count          = local.approvals_from == null ? 0 : 1
  event_bus_name = "default"
  policy         = data.aws_iam_policy_document.default_bus[0].json
}

resource "aws_cloudwatch_event_rule" "model_approved" {
  count       = local.approvals_from == null ? 0 : 1
  name        = "${var.name_prefix}-model-approved-infer"
  description = "An approved version of this stage's group starts the inference pipeline."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    account       = [local.approvals_from.account]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [local.approvals_from.group]
      ModelApprovalStatus   = ["Approved"]
      # A version created approved emits an event at each status it passes (InProgress,
      # Completed), each saying Approved: matching Completed starts one run per approval.
      ModelPackageStatus = ["Completed"]
    }
  })
  tags = var.tags
}

# Every rule above that starts a pipeline, with that pipeline and the parameters it passes: one
# target each, all through the role that may start exactly the two pipelines.
locals {
  pipeline_starts = merge(
    {
      inference_schedule = {
        rule       = aws_cloudwatch_event_rule.inference_schedule.name
        pipeline   = local.inference_pipeline_arn
        parameters = var.inference_parameters
      }
    },
    var.training_schedule == null ? {} : {
      training_schedule = {
        rule       = aws_cloudwatch_event_rule.training_schedule[0].name
        pipeline   = local.training_pipeline_arn
        parameters = var.training_parameters
      }
    },
    var.retrain_on_failed_inference ? {
      retrain = {
        rule       = aws_cloudwatch_event_rule.inference_failed[0].name
        pipeline   = local.training_pipeline_arn
        parameters = var.training_parameters
      }
    } : {},
    local.approvals_from == null ? {} : {
      infer_on_approval = {
        rule       = aws_cloudwatch_event_rule.model_approved[0].name
        pipeline   = local.inference_pipeline_arn
        parameters = var.inference_parameters
      }
    },
  )
}

resource "aws_cloudwatch_event_target" "start_pipeline" {
  for_each = local.pipeline_starts
  rule     = each.value.rule
  arn      = each.value.pipeline
  role_arn = aws_iam_role.events.arn
  sagemaker_pipeline_target {
    dynamic "pipeline_parameter_list" {
      for_each = each.value.parameters
      content {
        name  = pipeline_parameter_list.key
        value = pipeline_parameter_list.value
      }
    }
  }
}

# Where these targets were before they became one resource: applied stages keep them.
moved {
  from = aws_cloudwatch_event_target.inference_schedule
  to   = aws_cloudwatch_event_target.start_pipeline["inference_schedule"]
}

moved {
  from = aws_cloudwatch_event_target.retrain[0]
  to   = aws_cloudwatch_event_target.start_pipeline["retrain"]
}

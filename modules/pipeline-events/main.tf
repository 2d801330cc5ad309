data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  arn_prefix = "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  # SageMaker writes pipeline ARNs with the name in lower case, and so do its events.
  training_pipeline_arn  = "${local.arn_prefix}:pipeline/${lower(var.training_pipeline_name)}"
  inference_pipeline_arn = "${local.arn_prefix}:pipeline/${lower(var.inference_pipeline_name)}"
  status_change          = "SageMaker Model Building Pipeline Execution Status Change"
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
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
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
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

resource "aws_cloudwatch_event_target" "inference_schedule" {
  rule     = aws_cloudwatch_event_rule.inference_schedule.name
  arn      = local.inference_pipeline_arn
  role_arn = aws_iam_role.events.arn
  sagemaker_pipeline_target {
    dynamic "pipeline_parameter_list" {
      for_each = var.inference_parameters
      content {
        name  = pipeline_parameter_list.key
        value = pipeline_parameter_list.value
      }
    }
  }
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

resource "aws_cloudwatch_event_target" "retrain" {
  count    = var.retrain_on_failed_inference ? 1 : 0
  rule     = aws_cloudwatch_event_rule.inference_failed[0].name
  arn      = local.training_pipeline_arn
  role_arn = aws_iam_role.events.arn
  sagemaker_pipeline_target {
    dynamic "pipeline_parameter_list" {
      for_each = var.retraining_parameters
      content {
        name  = pipeline_parameter_list.key
        value = pipeline_parameter_list.value
      }
    }
  }
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

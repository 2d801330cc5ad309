# The governance table's only writer: EventBridge delivers every state change of the project's
# model versions (the registry account owns the groups, so SageMaker emits them here) to a
# Lambda that appends it to the table. What it cannot record — and what EventBridge cannot
# deliver — waits in one dead-letter queue, so nothing is lost.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"
  # The rule's ARN, known before the rule exists: the queue's policy names it without depending
  # on it, so replacing the rule leaves the queue and its policy alone.
  rule_arn = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:rule/${var.function_name}"
}

module "trust" {
  source     = "../service-role-trust"
  service    = "lambda.amazonaws.com"
  account_id = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "record" {
  statement {
    sid       = "ReadAndAppendTheGovernanceTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [var.table_arn]
  }
  statement {
    sid       = "UseTheKeyOfTableQueueAndEnvironment"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "SendWhatFailedToTheDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
  statement {
    sid       = "WriteItsOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }
}

resource "aws_iam_role" "this" {
  name               = var.function_name
  description        = "The governance recorder Lambda: appends model-version events to the governance table."
  assume_role_policy = module.trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "record-model-version-events"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.record.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  kms_key_id        = var.kms_key_arn
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${var.function_name}-dead-letter"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps a message
  tags                      = var.tags
}

data "aws_iam_policy_document" "dead_letter" {
  statement {
    sid       = "EventBridgeSendsWhatItCouldNotDeliver"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.rule_arn]
    }
  }
  statement {
    sid       = "OnlyOverTls"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dead_letter.arn]
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
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:One DynamoDB write per model-version event; the table itself is the record of what it did.
  #checkov:skip=CKV_AWS_117:Calls only DynamoDB and SQS and reaches no private resource; a VPC would need endpoints for nothing.
  #checkov:skip=CKV_AWS_272:The package is built by CI from the reviewed repository and its hash is in the reviewed plan; AWS Signer profiles are outside this platform.
  function_name                  = var.function_name
  description                    = "Appends SageMaker model-version state changes to the governance table."
  role                           = aws_iam_role.this.arn
  filename                       = var.package.path
  source_code_hash               = var.package.base64sha256
  handler                        = var.package.handler
  runtime                        = var.package.runtime
  timeout                        = 30
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = {
      GOVERNANCE_TABLE = var.table_name
      GOVERNED_GROUPS  = jsonencode(var.governed_groups)
    }
  }

  # An event it cannot record (after Lambda's two retries of an asynchronous invocation).
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

resource "aws_cloudwatch_event_rule" "this" {
  name        = var.function_name
  description = "Every state change of the governed model package groups, to the governance table."
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail        = { ModelPackageGroupName = keys(var.governed_groups) }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  rule = aws_cloudwatch_event_rule.this.name
  arn  = aws_lambda_function.this.arn
  # What EventBridge cannot deliver (after retrying for a day) waits with the rest.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }
  dead_letter_config {
    arn = aws_sqs_queue.dead_letter.arn
  }
}

resource "aws_lambda_permission" "events" {
  statement_id  = "InvokedByTheGovernanceRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

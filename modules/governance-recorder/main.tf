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
  # The queue's ARN, known before the queue exists: its policy is one of its attributes (below).
  queue_name = "${var.function_name}-dead-letter"
  queue_arn  = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${local.queue_name}"
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

data "aws_iam_policy_document" "dead_letter" {
  statement {
    sid       = "EventBridgeSendsWhatItCouldNotDeliver"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arn]
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
    resources = [local.queue_arn]
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

# The policy is the queue's attribute, set with it, not an aws_sqs_queue_policy of its own: the
# provider waits for each write of a queue's attributes to read back the same six times, 5 s
# apart (internal/service/sqs, waitQueueAttributesPropagated), so a separate policy resource adds
# about 26 s to every apply that creates the queue and to every destroy (the policy is emptied
# and waited for before the queue goes), on AWS as here. checkov's SQS policy checks
# (CKV_AWS_72, CKV_AWS_387) read aws_sqs_queue_policy only; its IAM checks still read the
# policy's document (data.aws_iam_policy_document.dead_letter) in the source scans.
resource "aws_sqs_queue" "dead_letter" {
  name                      = local.queue_name
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps a message
  policy                    = data.aws_iam_policy_document.dead_letter.json
  tags                      = var.tags
}

# Deployments made before the policy moved onto the queue have it in their state as a resource of
# its own: forgotten, not destroyed (its delete would empty the policy the queue now carries).
removed {
  from = aws_sqs_queue_policy.dead_letter
  lifecycle {
    destroy = false
  }
}

module "function" {
  source                = "../lambda-function"
  function_name         = var.function_name
  description           = "Appends SageMaker model-version state changes to the governance table."
  role_arn              = aws_iam_role.this.arn
  package               = var.package
  timeout               = 30
  reserved_concurrency  = var.reserved_concurrency
  kms_key_arn           = var.kms_key_arn
  log_retention_days    = var.log_retention_days
  dead_letter_queue_arn = aws_sqs_queue.dead_letter.arn
  environment_variables = {
    GOVERNANCE_TABLE = var.table_name
    GOVERNED_GROUPS  = jsonencode(var.governed_groups)
  }
  tags = var.tags

  # The role may write its logs and send to its queue before the function's first invocation.
  depends_on = [aws_iam_role_policy.this]
}

# Where the function and its log group were before modules/lambda-function held them.
moved {
  from = aws_lambda_function.this
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_cloudwatch_log_group.this
  to   = module.function.aws_cloudwatch_log_group.this
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
  arn  = module.function.function_arn
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
  function_name = module.function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

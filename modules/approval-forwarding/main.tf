# The registry account owns the model package groups, so SageMaker emits their state changes
# on the registry's default bus. An approval in a stage's group is forwarded to that stage's
# account, whose own rule (pipeline-events) decides what it starts.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  stage_buses = {
    for stage, account in var.stage_account_ids :
    stage => "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${account}:event-bus/default"
  }
}

module "trust" {
  source     = "../service-role-trust"
  service    = "events.amazonaws.com"
  account_id = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "forward" {
  statement {
    sid       = "PutEventsOnTheStagesDefaultBuses"
    actions   = ["events:PutEvents"]
    resources = values(local.stage_buses)
  }
}

resource "aws_iam_role" "forward" {
  name               = "${var.name_prefix}-forward-approvals"
  description        = "Lets EventBridge forward approvals of the stages' model versions to their accounts."
  assume_role_policy = module.trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "forward" {
  name   = "put-events-on-stage-buses"
  role   = aws_iam_role.forward.id
  policy = data.aws_iam_policy_document.forward.json
}

resource "aws_cloudwatch_event_rule" "approved" {
  for_each    = var.stage_group_names
  name        = "${var.name_prefix}-${each.key}-model-approved"
  description = "An approval or rejection of a version of ${each.value} goes to the ${each.key} account."
  # Approvals (they start the stage's inference) and rejections (a stage's endpoint serves the
  # newest approved version, which rejecting the one served, a rollback, changes); a version
  # registered PendingManualApproval is not forwarded. The stage's own rules pick among them.
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail = {
      ModelPackageGroupName = [each.value]
      ModelApprovalStatus   = ["Approved", "Rejected"]
      # A version created approved emits an event at each status it passes (InProgress,
      # Completed), each saying Approved: matching Completed starts one run per approval.
      ModelPackageStatus = ["Completed"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "approved" {
  for_each = var.stage_group_names
  rule     = aws_cloudwatch_event_rule.approved[each.key].name
  arn      = local.stage_buses[each.key]
  role_arn = aws_iam_role.forward.arn
}

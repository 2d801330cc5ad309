# The trust policy of a service role: the service may assume it only for this account's
# resources (aws:SourceAccount), the IAM User Guide's cross-service confused deputy prevention.
# A data-only module: every service role of the platform takes its trust from here.
data "aws_iam_policy_document" "this" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [var.service]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

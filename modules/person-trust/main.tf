# The trust policy of a role a person assumes: only the people named, and only with their own
# identity on the session (sts:SourceIdentity), so every request of the session and SageMaker's
# record of each change name the person. An IAM user may give only their own name
# (${aws:username}); a role's sessions (SSO) must get theirs from the identity provider (SAML's
# SourceIdentity attribute, which STS keeps and never lets change): AWS offers no variable to
# pin it to here.
locals {
  users = [for p in var.people : p if can(regex(":user/", p))]
  roles = [for p in var.people : p if !can(regex(":user/", p))]
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(local.users) > 0 ? [local.users] : []
    content {
      sid     = "The${var.who}AsThemselves"
      actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
      principals {
        type        = "AWS"
        identifiers = statement.value
      }
      condition {
        test     = "StringEquals"
        variable = "sts:SourceIdentity"
        values   = ["$${aws:username}"]
      }
    }
  }
  dynamic "statement" {
    for_each = length(local.roles) > 0 ? [local.roles] : []
    content {
      sid     = "The${var.who}WithTheirIdentity"
      actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
      principals {
        type        = "AWS"
        identifiers = statement.value
      }
      condition {
        test     = "Null"
        variable = "sts:SourceIdentity"
        values   = ["false"]
      }
    }
  }
}

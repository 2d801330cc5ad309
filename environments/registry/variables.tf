# This root's own variables; shared_variables.tf says how their validations are the tfvars rules
# and holds the patterns they share.

variable "environment" {
  type        = string
  description = "Name of this environment; must be `registry`."
  nullable    = false
  validation {
    condition     = var.environment == "registry"
    error_message = "environment must be \"registry\" in environments/registry."
  }
}

variable "protect_from_destroy" {
  type        = bool
  description = "Deletion protection on stateful resources (bucket contents, governance table)."
  default     = true
  nullable    = false
}

variable "workload_account_ids" {
  type        = map(string)
  description = "The dev and prod accounts: dev registers in the dev group, prod reads the prod group; both use the bucket."
  nullable    = false
  validation {
    condition     = toset(keys(var.workload_account_ids)) == toset(["dev", "prod"]) && alltrue([for id in values(var.workload_account_ids) : can(regex(local.account_id_pattern, id))])
    error_message = "workload_account_ids must be a map of exactly \"dev\" and \"prod\" to 12-digit AWS account IDs."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days noncurrent artifact versions are kept."
  default     = 90
  nullable    = false
  validation {
    condition = (
      floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days &&
      var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    )
    error_message = "noncurrent_version_expiration_days must be a whole number from 1 to 3650."
  }
}

variable "governance_recorder_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the governance recorder (events wait in Lambda's queue rather than race on a version's item). The account must keep 100 unreserved beside it: mlops plan checks its Lambda quota first."
  nullable    = false
  validation {
    condition = (
      floor(var.governance_recorder_concurrency) == var.governance_recorder_concurrency &&
      var.governance_recorder_concurrency >= 1 && var.governance_recorder_concurrency <= 10
    )
    error_message = "governance_recorder_concurrency must be a whole number from 1 to 10."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket receiving the artifacts bucket's access logs; null disables access logging."
  default     = null
  validation {
    condition = var.access_log_bucket == null || (
      can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket)) &&
      !can(regex("\\.\\.", var.access_log_bucket)) &&
      !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.access_log_bucket)) &&
      !can(regex("^(xn--|sthree-|amzn-s3-demo-)", var.access_log_bucket)) &&
      !can(regex("(-s3alias|--ol-s3|\\.mrap|--x-s3|--table-s3)$", var.access_log_bucket))
    )
    error_message = "access_log_bucket must be an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit, without '..', not an IP address, without a reserved prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)."
  }
}

variable "feature_branches" {
  type        = list(string)
  description = "Feature branches whose candidates get a model package group of their own, `<model_name>-feature-<branch>` (dev registers there, as in its stage's group); a branch removed from the list destroys its group."
  default     = []
  nullable    = false
  validation {
    # Lowercase, so two branches never name groups that differ in case only. 53 characters: the
    # longest that fits SageMaker's 63 after the shortest model name and "-feature-" (the next
    # rule checks the whole name against the model name given).
    condition = alltrue([
      for branch in var.feature_branches : can(regex("^[a-z0-9](-*[a-z0-9])*$", branch)) && length(branch) <= 53
    ]) && length(distinct(var.feature_branches)) == length(var.feature_branches)
    error_message = "feature_branches must be a list of distinct branch names of 1-53 lowercase letters, digits or hyphens, starting and ending with a letter or digit (e.g. \"better-features\")."
  }
  validation {
    # `<model_name>-feature-<branch>` names a model package group: at most 63 characters
    # (SageMaker's). Checked when the model name is valid on its own.
    condition = (
      !(can(regex(local.model_name_pattern, var.model_name)) && length(var.model_name) <= 41) ||
      try(alltrue([for branch in var.feature_branches : length("${var.model_name}-feature-${branch}") <= 63]), false)
    )
    error_message = "feature_branches must be branches of at most ${63 - length("${var.model_name}-feature-")} characters, so that ${var.model_name}-feature-<branch> is a model package group name of at most 63 (too long: ${jsonencode([for branch in var.feature_branches : branch if length("${var.model_name}-feature-${branch}") > 63])})."
  }
}

variable "model_approvers" {
  type        = map(list(string))
  description = "Who approves each stage's model versions: \"dev\" and \"prod\" -> IAM user or role ARNs of people (their sessions must carry a source identity). They assume <name_prefix>-<stage>-model-approver; the prod approvers also promote into prod."
  nullable    = false
  validation {
    condition = toset(keys(var.model_approvers)) == toset(["dev", "prod"]) && alltrue([
      for principals in values(var.model_approvers) : length(principals) > 0 && length(distinct(principals)) == length(principals) && alltrue([
        for arn in principals :
        can(regex(local.principal_arn_pattern, arn)) &&
        try(length(regex(local.arn_path_and_name_pattern, arn)[0]) <= 512, false)
      ])
    ])
    error_message = "model_approvers must be a map of exactly \"dev\" and \"prod\" to non-empty lists of distinct IAM user or role ARNs such as arn:aws:iam::123456789012:user/NAME."
  }
}

variable "governance_readers" {
  type        = list(string)
  description = "IAM user or role ARNs of the people who read the governance record (compliance); they assume <name_prefix>-governance-reader. Empty: no reader role."
  default     = []
  nullable    = false
  validation {
    condition = length(distinct(var.governance_readers)) == length(var.governance_readers) && alltrue([
      for arn in var.governance_readers :
      can(regex(local.principal_arn_pattern, arn)) &&
      try(length(regex(local.arn_path_and_name_pattern, arn)[0]) <= 512, false)
    ])
    error_message = "governance_readers must be a list of distinct IAM user or role ARNs such as arn:aws:iam::123456789012:user/NAME."
  }
}

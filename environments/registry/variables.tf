# These validations are the rules of glue/config.py (`mlops validate`, run before Terraform):
# tests/test_tfvars_agreement.py holds both to the same verdict on every value. Patterns are RE2:
# `$` ends the text, classes are ASCII but for the \p{...} of tags. Terraform 1.11 evaluates both
# sides of && and ||: what fails on null or on a bad value is inside can() or try(). A null optional
# value is the default (nullable = false), as a null optional key is an unset one to mlops validate.
# A bool's type is its whole rule.

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
    condition     = toset(keys(var.workload_account_ids)) == toset(["dev", "prod"]) && alltrue([for id in values(var.workload_account_ids) : can(regex("^[0-9]{12}$", id))])
    error_message = "workload_account_ids must map exactly \"dev\" and \"prod\" to 12-digit AWS account IDs."
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
    # longest that fits SageMaker's 63 after the shortest model name and "-feature-"; mlops
    # validate also checks the whole name against the model name given.
    condition = alltrue([
      for branch in var.feature_branches : can(regex("^[a-z0-9](-*[a-z0-9])*$", branch)) && length(branch) <= 53
    ]) && length(distinct(var.feature_branches)) == length(var.feature_branches)
    error_message = "feature_branches must be distinct branch names of 1-53 lowercase letters, digits or hyphens, starting and ending with a letter or digit (e.g. \"better-features\")."
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
        can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(user|role)/([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64}$", arn)) &&
        try(length(regex("^arn:[^:]+:iam::[0-9]{12}:(?:user|role)/(.*)$", arn)[0]) <= 512, false)
      ])
    ])
    error_message = "model_approvers must map exactly \"dev\" and \"prod\" to non-empty lists of distinct IAM user or role ARNs such as arn:aws:iam::123456789012:user/NAME."
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
      can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(user|role)/([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64}$", arn)) &&
      try(length(regex("^arn:[^:]+:iam::[0-9]{12}:(?:user|role)/(.*)$", arn)[0]) <= 512, false)
    ])
    error_message = "governance_readers must be distinct IAM user or role ARNs such as arn:aws:iam::123456789012:user/NAME."
  }
}

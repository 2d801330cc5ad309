# The variables every root shares, written once: this file is the same in environments/registry
# and environments/workload (tests/test_layout.py holds them byte for byte). Their validations, and
# those of each root's variables.tf, are the tfvars rules: `mlops validate` (every command) plans
# these two files alone to check a tfvars file, and reports each failing rule's error_message,
# which therefore reads "<variable> must be <what is expected>." (tests/test_tfvars_rules.py).
# Patterns are RE2: `$` ends the text, classes are ASCII but for the \p{...} of tags. Terraform
# 1.11 evaluates both sides of && and ||: what fails on null or on a bad value is inside can() or
# try(). A null optional value is the default (nullable = false). A bool's type is its whole rule.

locals {
  # The patterns several rules share.
  account_id_pattern = "^[0-9]{12}$"
  # arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME. IAM allows a name of 1-64 characters after a path
  # of at most 512 (of any printable ASCII): here the path keeps the names' alphabet, and path and
  # name together (arn_path_and_name_pattern's match) are at most 512 characters.
  role_arn_pattern = "^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64}$"
  # A person: an IAM user or a role (e.g. an SSO permission set's) whose sessions name the person.
  principal_arn_pattern     = "^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(user|role)/([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64}$"
  arn_path_and_name_pattern = "^arn:[^:]+:iam::[0-9]{12}:(?:user|role)/(.*)$"
  model_name_pattern        = "^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. `mammo`."
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "model_name" {
  type        = string
  description = "Model served by the platform; names the model package groups and pipelines."
  nullable    = false
  validation {
    condition     = can(regex(local.model_name_pattern, var.model_name)) && length(var.model_name) <= 41
    error_message = "model_name must be 1-41 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "account_id" {
  type        = string
  description = "Account this environment deploys into; the provider refuses any other."
  nullable    = false
  validation {
    condition     = can(regex(local.account_id_pattern, var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID such as 123456789012."
  }
}

variable "region" {
  type        = string
  description = "AWS region of every resource."
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as us-east-1."
  }
}

variable "terraform_role_arn" {
  type        = string
  description = "Role Terraform assumes in account_id; null uses the ambient credentials."
  default     = null
  validation {
    condition = var.terraform_role_arn == null || (
      can(regex(local.role_arn_pattern, var.terraform_role_arn)) &&
      try(length(regex(local.arn_path_and_name_pattern, var.terraform_role_arn)[0]) <= 512, false)
    )
    error_message = "terraform_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME (a name of 1-64 letters, digits or + = , . @ _ -, after an optional path; at most 512 characters after role/)."
  }
  validation {
    # Checked when both are valid on their own (their own rules speak otherwise). Every part
    # evaluates on any value (can, try): an error in the last is a refusal, never a pass.
    condition = (
      !can(regex(local.role_arn_pattern, var.terraform_role_arn)) ||
      !can(regex(local.account_id_pattern, var.account_id)) ||
      try(split(":", var.terraform_role_arn)[4] == var.account_id, false)
    )
    error_message = "terraform_role_arn must be a role in account_id's account, ${var.account_id}."
  }
}

variable "terraform_principal_arns" {
  type        = list(string)
  description = "Roles that may assume terraform_role_arn (the CI principal, named administrators); read by environments/bootstrap (`mlops bootstrap`), which creates that role from this same file."
  default     = null
  validation {
    condition = var.terraform_principal_arns == null || try(
      length(var.terraform_principal_arns) > 0 &&
      length(distinct(var.terraform_principal_arns)) == length(var.terraform_principal_arns) &&
      alltrue([
        for arn in var.terraform_principal_arns :
        can(regex(local.role_arn_pattern, arn)) &&
        try(length(regex(local.arn_path_and_name_pattern, arn)[0]) <= 512, false)
      ]),
      false
    )
    error_message = "terraform_principal_arns must be a non-empty list of distinct IAM role ARNs such as arn:aws:iam::123456789012:role/NAME."
  }
}

variable "aws_max_retries" {
  type        = number
  description = "Retries of the AWS provider; the local emulator sets 1 so a missing operation fails in seconds."
  default     = 25
  nullable    = false
  validation {
    condition     = floor(var.aws_max_retries) == var.aws_max_retries && var.aws_max_retries >= 1 && var.aws_max_retries <= 100
    error_message = "aws_max_retries must be a whole number from 1 to 100."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
  nullable    = false
  validation {
    # One pattern for all names and values (a pattern of these classes takes RE2 long to compile:
    # 20 ms with {0,256}), lengths in characters (code points) as AWS counts them, where length()
    # counts grapheme clusters.
    condition = try(
      can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$", join("", concat(keys(var.tags), values(var.tags))))) &&
      alltrue([
        for key, value in var.tags :
        length(regexall("(?s).", key)) >= 1 && length(regexall("(?s).", key)) <= 128 &&
        !can(regex("^[aA][wW][sS]:", key)) && length(regexall("(?s).", value)) <= 256
      ]),
      false
    )
    error_message = "tags must be a map of names of 1-128 characters (not starting with aws:) to values of at most 256, both of letters, digits, spaces or _ . : / = + - @ (what SageMaker accepts)."
  }
}

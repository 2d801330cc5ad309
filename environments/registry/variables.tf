variable "environment" {
  type        = string
  description = "Name of this environment; must be `registry`."
  validation {
    condition     = var.environment == "registry"
    error_message = "environment must be \"registry\" in environments/registry."
  }
}

variable "region" {
  type        = string
  description = "AWS region of every resource."
  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as us-east-1."
  }
}

variable "account_id" {
  type        = string
  description = "Account this environment deploys into; the provider refuses any other."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account ID."
  }
}

variable "terraform_role_arn" {
  type        = string
  description = "Role Terraform assumes in account_id; null uses the ambient credentials."
  default     = null
  validation {
    condition     = var.terraform_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", var.terraform_role_arn))
    error_message = "terraform_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "aws_max_retries" {
  type        = number
  description = "Retries of the AWS provider; the local emulator sets 1 so a missing operation fails in seconds."
  default     = 25
  validation {
    condition     = var.aws_max_retries >= 1 && var.aws_max_retries <= 100
    error_message = "aws_max_retries must be between 1 and 100."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. `mammo`."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "model_name" {
  type        = string
  description = "Model served by the platform; names the model package groups and pipelines."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,40}$", var.model_name))
    error_message = "model_name must be 1-41 letters, digits or single hyphens."
  }
}

variable "protect_from_destroy" {
  type        = bool
  description = "Deletion protection on stateful resources (bucket contents, governance table)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}

variable "workload_account_ids" {
  type        = map(string)
  description = "The dev and prod accounts: dev registers in the dev group, prod reads the prod group; both use the bucket."
  validation {
    condition     = toset(keys(var.workload_account_ids)) == toset(["dev", "prod"]) && alltrue([for id in values(var.workload_account_ids) : can(regex("^[0-9]{12}$", id))])
    error_message = "workload_account_ids must map exactly \"dev\" and \"prod\" to 12-digit AWS account IDs."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days noncurrent artifact versions are kept."
  default     = 90
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket receiving the artifacts bucket's access logs; null disables access logging."
  default     = null
}

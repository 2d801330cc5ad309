variable "environment" {
  type        = string
  description = "Name of this environment; must be `dev`."
  validation {
    condition     = var.environment == "dev"
    error_message = "environment must be \"dev\" in environments/dev."
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

variable "registry_account_id" {
  type        = string
  description = "Account of the central registry (bucket, artifacts key, model package groups)."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be a 12-digit AWS account ID."
  }
}

variable "registry_terraform_role_arn" {
  type        = string
  description = "Role Terraform assumes in the registry account to grant this account's pipelines use of the artifacts key; null uses the ambient credentials."
  default     = null
  validation {
    condition     = var.registry_terraform_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", var.registry_terraform_role_arn))
    error_message = "registry_terraform_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "ci_role_arn" {
  type        = string
  description = "Role of the CI system (Jenkins) in its own account, the only principal trusted by the deploy role."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", var.ci_role_arn))
    error_message = "ci_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "inference_schedule" {
  type        = string
  description = "EventBridge schedule of the daily inference run, e.g. cron(0 6 * * ? *)."
}

variable "auc_threshold" {
  type        = number
  description = "Minimum AUC for a (re)trained model to be registered."
  validation {
    condition     = var.auc_threshold > 0 && var.auc_threshold <= 1
    error_message = "auc_threshold must be greater than 0 and at most 1."
  }
}

variable "retrain_on_failed_inference" {
  type        = bool
  description = "Start the training pipeline when the inference pipeline fails (data-quality violations)."
  default     = true
}

variable "notification_emails" {
  type        = list(string)
  description = "Addresses notified of every pipeline failure."
  default     = []
}

variable "create_governance_table" {
  type        = bool
  description = "Create the DynamoDB model-stage governance table."
  default     = true
}

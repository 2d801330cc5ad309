variable "alias" {
  type        = string
  description = "Alias name of the key, without the `alias/` prefix."
  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 characters of letters, digits, '/', '_' or '-' and must not start with 'aws/'."
  }
}

variable "description" {
  type        = string
  description = "What the key protects."
}

variable "user_account_ids" {
  type        = list(string)
  description = "Other AWS accounts whose principals may use the key (encrypt, decrypt, data keys, grants for AWS services)."
  default     = []
  validation {
    condition     = alltrue([for id in var.user_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "user_account_ids must be 12-digit AWS account IDs."
  }
}

variable "service_principals" {
  type        = list(string)
  description = "AWS services (e.g. events.amazonaws.com, sns.amazonaws.com) that may use the key on behalf of this account."
  default     = []
  validation {
    condition     = alltrue([for s in var.service_principals : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", s))])
    error_message = "service_principals must be AWS service principals such as events.amazonaws.com."
  }
}

variable "log_group_names" {
  type        = list(string)
  description = "CloudWatch Logs groups of this account and region the key encrypts (e.g. `/aws/lambda/<function>`)."
  default     = []
  validation {
    condition     = alltrue([for name in var.log_group_names : can(regex("^[\\.\\-_/#A-Za-z0-9]{1,512}$", name))])
    error_message = "log_group_names must be 1-512 characters of letters, digits, '.', '-', '_', '/' or '#'."
  }
}

variable "deletion_window_in_days" {
  type        = number
  description = "Waiting period before a scheduled deletion completes."
  default     = 30
  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the key."
  default     = {}
}

variable "group_name" {
  type        = string
  description = "Name of the model package group."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.group_name))
    error_message = "group_name must be 1-63 letters, digits or single hyphens, starting and ending with a letter or digit."
  }
}

variable "description" {
  type        = string
  description = "What the group holds."
  default     = null
}

variable "writer_account_ids" {
  type        = list(string)
  description = "Accounts that register model versions in the group, pending approval only (and read them)."
  default     = []
  validation {
    condition     = alltrue([for id in var.writer_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "writer_account_ids must be 12-digit AWS account IDs."
  }
}

variable "reader_account_ids" {
  type        = list(string)
  description = "Accounts that read model versions and create models from them."
  default     = []
  validation {
    condition     = alltrue([for id in var.reader_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "reader_account_ids must be 12-digit AWS account IDs."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the group."
  default     = {}
}

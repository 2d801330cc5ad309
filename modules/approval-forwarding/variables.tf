variable "name_prefix" {
  type        = string
  description = "Prefix of the rules and of the forwarding role."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "stage_group_names" {
  type        = map(string)
  description = "Model package group of each stage (stage -> group name), in this account."
  validation {
    condition     = alltrue([for name in values(var.stage_group_names) : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))])
    error_message = "stage_group_names must map stages to model package group names (1-63 letters, digits and '-')."
  }
}

variable "stage_account_ids" {
  type        = map(string)
  description = "Account of each stage (stage -> 12-digit account ID), whose default bus receives the approvals of its group."
  validation {
    condition     = alltrue([for id in values(var.stage_account_ids) : can(regex("^[0-9]{12}$", id))])
    error_message = "stage_account_ids must map stages to 12-digit account IDs."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the rules and the role."
  default     = {}
}

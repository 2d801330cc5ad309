variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. `mammo`."
}

variable "model_name" {
  type        = string
  description = "Model served by the platform."
}

variable "registry_account_id" {
  type        = string
  description = "Account of the central registry (owns the bucket and the model package groups)."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.registry_account_id))
    error_message = "registry_account_id must be a 12-digit AWS account ID."
  }
}

variable "region" {
  type        = string
  description = "Region of the registry."
}

variable "partition" {
  type        = string
  description = "Partition of the accounts (aws, aws-cn, aws-us-gov): the caller's aws_partition."
  validation {
    condition     = can(regex("^aws(-[a-z]+)*$", var.partition))
    error_message = "partition must be an AWS partition such as aws or aws-cn."
  }
}

variable "feature_branches" {
  type        = list(string)
  description = "Feature branches with a model package group of their own (`<model_name>-feature-<branch>`); validated by the roots."
  default     = []
}

variable "terraform_role_name" {
  type        = string
  description = "Name of the role Terraform runs as in this account (the name in `terraform_role_arn`)."
  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.terraform_role_name))
    error_message = "terraform_role_name must be 1-64 letters, digits or + = , . @ _ -."
  }
}

variable "terraform_role_path" {
  type        = string
  description = "Path of the role (`/` or `/a/b/`)."
  default     = "/"
  validation {
    condition     = can(regex("^/(([a-zA-Z0-9+=,.@_-]+/)*)$", var.terraform_role_path)) && length(var.terraform_role_path) <= 512
    error_message = "terraform_role_path must be / or /NAME/.../ of letters, digits or + = , . @ _ -, at most 512 characters."
  }
}

variable "trusted_principal_arns" {
  type        = list(string)
  description = "IAM roles that may assume the Terraform role: the CI principal and named administrators."
  validation {
    condition = length(var.trusted_principal_arns) > 0 && alltrue([
      for arn in var.trusted_principal_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64}$", arn))
    ])
    error_message = "trusted_principal_arns must be a non-empty list of IAM role ARNs."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every name the platform's roots create in this account: the Terraform role may manage those and no others."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "model_name" {
  type        = string
  description = "Prefix of the SageMaker model package groups and pipelines the Terraform role may manage."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.model_name)) && length(var.model_name) <= 41
    error_message = "model_name must be 1-41 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

# The state store's inputs are validated by the modules they are given to (artifacts-bucket,
# kms-key).
variable "state_bucket_name" {
  type        = string
  description = "Bucket of the account's Terraform state (created by `mlops` before the first Terraform run, then imported)."
}

variable "state_key_alias" {
  type        = string
  description = "Alias of the state's customer managed key, without `alias/`."
}

variable "noncurrent_state_expiration_days" {
  type        = number
  description = "Days a replaced state version is kept (to recover from a bad apply)."
  default     = 365
}

variable "model_registry_account_id" {
  description = "The account owning the model package groups (the registry); null: this account. A stage's role reads its versions there."
  type        = string
  default     = null
  validation {
    condition     = var.model_registry_account_id == null || can(regex("^[0-9]{12}$", var.model_registry_account_id))
    error_message = "model_registry_account_id must be a 12-digit AWS account ID."
  }
}

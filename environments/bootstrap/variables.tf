# `mlops bootstrap --env E` writes these from E's tfvars, validated there (by the rules of the
# roots' variables), and from the state store it created.

variable "environment" {
  type        = string
  description = "The environment whose account this bootstraps (registry, dev or prod)."
}

variable "region" {
  type        = string
  description = "AWS region of the state bucket and key."
}

variable "account_id" {
  type        = string
  description = "Account bootstrapped; the provider refuses any other."
}

variable "aws_max_retries" {
  type        = number
  description = "Retries of the AWS provider."
  default     = 25
}

variable "terraform_role_arn" {
  type        = string
  description = "The role to create: the environment's terraform_role_arn."
  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/", var.terraform_role_arn))
    error_message = "terraform_role_arn must be an IAM role ARN."
  }
}

variable "terraform_principal_arns" {
  type        = list(string)
  description = "Roles that may assume it (the CI principal, named administrators)."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of the names the role may manage."
}

variable "model_name" {
  type        = string
  description = "Prefix of the model package groups and pipelines the role may manage."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}

variable "state_bucket_name" {
  type        = string
  description = "The state bucket `mlops` created, imported here."
}

variable "state_key_arn" {
  type        = string
  description = "Its customer managed key, imported here."
}

variable "state_key_alias" {
  type        = string
  description = "That key's alias, without `alias/`."
}

variable "registry_account_id" {
  description = "A stage's registry account (its tfvars' registry_account_id); null for the registry itself."
  type        = string
  default     = null
}

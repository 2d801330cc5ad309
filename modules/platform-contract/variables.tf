variable "parameter_name" {
  type        = string
  description = "Name of the SSM parameter: a path of letters, digits and `_.-/`, not under /aws or /ssm."
  validation {
    # PutParameter's documented limits: 1011 characters with the ARN (2048 in botocore's model
    # is the looser bound), a reserved prefix, and no more than 15 levels.
    condition = (
      can(regex("^/[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$", var.parameter_name)) &&
      length(var.parameter_name) <= 900 &&
      !can(regex("^/(aws|ssm)", lower(var.parameter_name))) &&
      length(split("/", var.parameter_name)) <= 16
    )
    error_message = "parameter_name must be a path like /prefix/env/platform: letters, digits, '_', '.', '-' between '/', at most 15 levels, not under /aws or /ssm."
  }
}

variable "environment" {
  type        = string
  description = "Environment the contract describes (registry, dev, prod)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be lower-case letters, digits and '-', starting with a letter."
  }
}

variable "contract" {
  type        = any
  description = "The contract: what the environment's root outputs as `platform`, without the parameter's own name."
  validation {
    # A Standard parameter holds at most 4 KB; the Advanced tier costs money and is not needed.
    condition     = length(jsonencode(var.contract)) <= 4096
    error_message = "contract must encode to at most 4096 characters (the Standard tier's limit)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed key the parameter is encrypted with."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

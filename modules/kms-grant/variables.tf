variable "name" {
  type        = string
  description = "Name of the grant (shown by ListGrants)."
  validation {
    condition     = can(regex("^[a-zA-Z0-9:/_-]{1,256}$", var.name))
    error_message = "name must be 1-256 letters, digits, ':', '/', '_' or '-'."
  }
}

variable "key_arn" {
  type        = string
  description = "Key (in the account of the provider passed to this module) the grant is on."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.key_arn))
    error_message = "key_arn must be a KMS key ARN."
  }
}

variable "grantee_principal" {
  type        = string
  description = "IAM role (typically in another account) that receives the grant."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", var.grantee_principal))
    error_message = "grantee_principal must be an IAM role ARN."
  }
}

variable "operations" {
  type        = list(string)
  description = "Operations the grantee may perform with the key."
  default     = ["Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"]
  validation {
    condition     = length(var.operations) > 0 && alltrue([for o in var.operations : contains(["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "CreateGrant", "RetireGrant", "DescribeKey"], o)])
    error_message = "operations must be KMS grant operations such as Encrypt, Decrypt, GenerateDataKey, DescribeKey."
  }
}

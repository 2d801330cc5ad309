variable "table_name" {
  type        = string
  description = "Name of the governance table."
  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))
    error_message = "table_name must be 3-255 letters, digits, '_', '.' or '-'."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key that encrypts the table."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the table (turn off only for throw-away environments)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags of the table."
  default     = {}
}

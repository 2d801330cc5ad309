variable "bucket_name" {
  type        = string
  description = "Name of the bucket."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key that encrypts every object."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."
  }
}

variable "reader_writer_account_ids" {
  type        = list(string)
  description = "Other accounts (e.g. dev and prod) whose principals may read and write objects; none for a bucket of its own account only (the Terraform state)."
  default     = []
  validation {
    condition     = alltrue([for id in var.reader_writer_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "reader_writer_account_ids must be 12-digit AWS account IDs."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days after which noncurrent object versions are deleted."
  default     = 90
  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "access_log_bucket" {
  type        = string
  description = "Bucket that receives the server access logs; null disables access logging."
  default     = null
}

variable "force_destroy" {
  type        = bool
  description = "Allow destroying the bucket while it holds objects (for throw-away environments only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags of the bucket."
  default     = {}
}

variable "topic_name" {
  type        = string
  description = "Name of the SNS topic that receives pipeline failures."
  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.topic_name))
    error_message = "topic_name must be 1-256 letters, digits, '_' or '-'."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key of the topic; its policy must let events.amazonaws.com use it (the AWS-managed alias/aws/sns key cannot)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias, not the AWS-managed SNS key)."
  }
}

variable "publishing_rule_name_prefix" {
  type        = string
  description = "Only EventBridge rules of this account whose names start with this prefix may publish."
}

variable "email_addresses" {
  type        = list(string)
  description = "Addresses subscribed to the topic (each must confirm the subscription)."
  default     = []
  validation {
    condition     = alltrue([for e in var.email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_addresses must be valid e-mail addresses."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the topic."
  default     = {}
}

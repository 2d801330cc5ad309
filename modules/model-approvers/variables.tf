variable "approvers" {
  type        = map(list(string))
  description = "Stage -> the IAM principal ARNs (people: users, or roles whose sessions are named after a person, e.g. SSO) who approve its model versions."
  validation {
    condition     = alltrue([for principals in values(var.approvers) : length(principals) > 0 && alltrue([for arn in principals : can(regex("^arn:aws[a-z-]*:(iam::[0-9]{12}:(user|role)/.+|sts::[0-9]{12}:assumed-role/.+/.+)$", arn))])])
    error_message = "approvers: each stage names at least one IAM user or role ARN."
  }
}

variable "approver_role_names" {
  type        = map(string)
  description = "Stage -> the name of its approver role (modules/naming)."
}

variable "governance_readers" {
  type        = list(string)
  description = "IAM principal ARNs who read the governance record (compliance); none: no reader role."
  default     = []
  validation {
    condition     = alltrue([for arn in var.governance_readers : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/.+$", arn))])
    error_message = "governance_readers: IAM user or role ARNs."
  }
}

variable "reader_role_name" {
  type        = string
  description = "Name of the governance reader role (modules/naming)."
}

variable "stage_group_arns" {
  type        = map(string)
  description = "Stage -> its model package group's ARN."
}

variable "promotions" {
  type        = map(string)
  description = "Target stage -> the stage its approved versions are promoted from (e.g. { prod = \"dev\" })."
  default     = {}
}

variable "governance_table_arn" {
  type        = string
  description = "The governance table the reader role reads."
}

variable "contract_parameter_arn" {
  type        = string
  description = "The SSM parameter holding the registry's platform contract (read by every role here to find the groups)."
}

variable "kms_key_arn" {
  type        = string
  description = "The key of the contract parameter and the governance table."
}

variable "artifacts_bucket_arn" {
  type        = string
  description = "The central artifacts bucket, where the stages' inference runs write their data-quality reports (encrypted with kms_key_arn)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.artifacts_bucket_arn))
    error_message = "artifacts_bucket_arn must be an S3 bucket ARN."
  }
}

variable "quality_report_prefixes" {
  type        = map(string)
  description = "Stage -> the folder (in the artifacts bucket) of its inference runs' data-quality reports, which the reader role reads."
  validation {
    condition     = alltrue([for prefix in values(var.quality_report_prefixes) : can(regex("^[a-zA-Z0-9][a-zA-Z0-9!_.'()/-]*[a-zA-Z0-9!_.'()-]$", prefix))])
    error_message = "Each quality report prefix is a folder of the bucket, without a leading or trailing slash or a wildcard (*, which IAM would read as one)."
  }
}

variable "region" {
  type        = string
  description = "Region of the registry (the kms:ViaService condition names its SSM, DynamoDB and S3 endpoints)."
}

variable "tags" {
  type        = map(string)
  description = "Tags of the roles."
  default     = {}
}

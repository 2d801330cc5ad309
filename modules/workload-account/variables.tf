variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name of this account, e.g. `mammo-dev`."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "model_name" {
  type        = string
  description = "Model the pipelines train and serve; names `<model_name>-train-pipeline`, `<model_name>-inference-pipeline` and `<model_name>-comparison-pipeline`."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,40}$", var.model_name))
    error_message = "model_name must be 1-41 letters, digits or single hyphens."
  }
}

variable "artifacts_bucket_name" {
  type        = string
  description = "Central model-artifacts bucket in the registry account."
}

variable "artifacts_kms_key_arn" {
  type        = string
  description = "Key of the central bucket (registry account)."
}

variable "model_package_group_arn" {
  type        = string
  description = "The central model package group this account registers into or serves from."
}

variable "latest_model_package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "Deployment package of the latest-approved-model Lambda, as `mlops plan` builds it from the handler in the repository."
}

variable "ci_role_arn" {
  type        = string
  description = "Role of the CI system, the only principal trusted by the deploy role."
}

variable "inference_schedule" {
  type        = string
  description = "EventBridge schedule of the inference pipeline."
}

variable "weekly_training" {
  type        = string
  description = "When the training pipeline runs each week, as \"DAY HH:MM\" in UTC (e.g. \"MON 03:00\"); null: never on schedule."
  default     = null
  validation {
    condition     = var.weekly_training == null || can(regex("^(MON|TUE|WED|THU|FRI|SAT|SUN) ([01][0-9]|2[0-3]):[0-5][0-9]$", var.weekly_training))
    error_message = "weekly_training must be null or \"DAY HH:MM\": DAY one of MON TUE WED THU FRI SAT SUN, HH:MM a UTC time such as 03:00."
  }
}

variable "auc_threshold" {
  type        = number
  description = "Minimum AUC for a retrained model to be registered."
  validation {
    condition     = var.auc_threshold > 0 && var.auc_threshold <= 1
    error_message = "auc_threshold must be greater than 0 and at most 1."
  }
}

variable "retrain_on_failed_inference" {
  type        = bool
  description = "Start retraining when the inference pipeline fails."
  default     = true
}

variable "notification_emails" {
  type        = list(string)
  description = "Addresses notified of every pipeline failure."
  default     = []
}

variable "protect_from_destroy" {
  type        = bool
  description = "Deletion protection on stateful resources."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags of every resource."
  default     = {}
}

variable "data_scientist_arns" {
  type        = list(string)
  description = "IAM user or role ARNs of the people who start the stage's training (role `<name_prefix>-data-scientist`); none: no such role."
  default     = []
}

variable "contract_parameter_arn" {
  type        = string
  description = "The SSM parameter of the stage's platform contract (the data scientist role reads it)."
  default     = null
}

variable "endpoint" {
  type = object({
    arn                     = string
    log_group_name          = string
    alarm_arns              = list(string)
    monitoring_schedule_arn = optional(string)
  })
  description = "The stage's real-time endpoint (modules/realtime-endpoint's outputs), if it has one: the key must serve its deployment function's log group, the execution role its models run as must read its rollback alarms, and CI may describe and invoke it and read its Model Monitor schedule (monitoring_schedule_arn, null: none). Null: no endpoint."
  default     = null
}

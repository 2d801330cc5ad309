variable "name_prefix" {
  type        = string
  description = "Prefix of the rules and of the role EventBridge uses to start pipelines."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "training_pipeline_name" {
  type        = string
  description = "Pipeline started on schedule and when the inference pipeline fails."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", var.training_pipeline_name))
    error_message = "training_pipeline_name must be a valid SageMaker pipeline name."
  }
}

variable "inference_pipeline_name" {
  type        = string
  description = "Pipeline started by the schedule."
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", var.inference_pipeline_name))
    error_message = "inference_pipeline_name must be a valid SageMaker pipeline name."
  }
}

variable "inference_schedule" {
  type        = string
  description = "EventBridge schedule of the inference run, e.g. cron(0 6 * * ? *)."
  validation {
    condition     = can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.inference_schedule)) || can(regex("^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$", var.inference_schedule))
    error_message = "inference_schedule must be cron(min hour day-of-month month day-of-week year) or rate(N unit)."
  }
}

variable "inference_parameters" {
  type        = map(string)
  description = "Parameters passed to each scheduled inference run."
  default     = {}
}

variable "training_schedule" {
  type        = string
  description = "EventBridge schedule of training runs, e.g. cron(0 3 ? * MON *); null: none on schedule."
  default     = null
  validation {
    condition     = var.training_schedule == null || can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.training_schedule)) || can(regex("^rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)$", var.training_schedule))
    error_message = "training_schedule must be null, cron(min hour day-of-month month day-of-week year) or rate(N unit)."
  }
}

variable "training_parameters" {
  type        = map(string)
  description = "Parameters passed to every training run the rules start (schedule, retraining)."
  default     = {}
}

variable "retrain_on_failed_inference" {
  type        = bool
  description = "Start the training pipeline when the inference pipeline fails (e.g. data drift)."
  default     = true
}

variable "approved_model_group_arn" {
  type        = string
  description = "Model package group (in the registry account) whose approvals, forwarded here, start the inference pipeline; null: approvals start nothing."
  default     = null
  validation {
    condition     = var.approved_model_group_arn == null || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package-group/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.approved_model_group_arn))
    error_message = "approved_model_group_arn must be null or a model package group ARN."
  }
}

variable "notification_topic_arn" {
  type        = string
  description = "SNS topic that receives every pipeline failure."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]+$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be an SNS topic ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the rules and the role."
  default     = {}
}

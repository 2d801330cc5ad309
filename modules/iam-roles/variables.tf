variable "name_prefix" {
  type        = string
  description = "Prefix of every role name (e.g. `mammo-dev`)."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "workload_kms_key_arn" {
  type        = string
  description = "This account's KMS key: SageMaker volumes, job outputs and logs."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.workload_kms_key_arn))
    error_message = "workload_kms_key_arn must be a KMS key ARN."
  }
}

variable "artifacts_bucket_name" {
  type        = string
  description = "Central model-artifacts bucket (in the registry account)."
}

variable "artifacts_kms_key_arn" {
  type        = string
  description = "The registry account's key that encrypts the central bucket."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.artifacts_kms_key_arn))
    error_message = "artifacts_kms_key_arn must be a KMS key ARN."
  }
}

variable "model_package_group_arns" {
  type        = list(string)
  description = "Model package groups the pipelines register into and the Lambda reads from."
  validation {
    condition     = length(var.model_package_group_arns) > 0 && alltrue([for arn in var.model_package_group_arns : can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package-group/[a-zA-Z0-9-]{1,63}$", arn))])
    error_message = "model_package_group_arns must be a non-empty list of model package group ARNs."
  }
}

variable "pipeline_names" {
  type        = list(string)
  description = "Names of the SageMaker pipelines (training and inference) run with these roles."
  validation {
    condition     = length(var.pipeline_names) > 0 && alltrue([for n in var.pipeline_names : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", n))])
    error_message = "pipeline_names must be a non-empty list of valid SageMaker pipeline names."
  }
}

variable "latest_model_function_name" {
  type        = string
  description = "Name of the Lambda the inference pipeline invokes and whose role these roles include (it writes only its own log group)."
  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.latest_model_function_name))
    error_message = "latest_model_function_name must be 1-64 letters, digits, '-' or '_'."
  }
}

variable "ci_role_arn" {
  type        = string
  description = "Role of the CI system (Jenkins) in the CI account: the only principal trusted to assume the deploy role."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", var.ci_role_arn))
    error_message = "ci_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the roles."
  default     = {}
}

variable "data_scientist_arns" {
  type        = list(string)
  description = "IAM user or role ARNs of the people who start the stage's training (their sessions must carry a source identity); none: no data scientist role."
  default     = []
  validation {
    condition     = alltrue([for arn in var.data_scientist_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(user|role)/.+$", arn))])
    error_message = "data_scientist_arns must be IAM user or role ARNs."
  }
}

variable "training_pipeline_name" {
  type        = string
  description = "The training pipeline, the only one the data scientist role starts (one of pipeline_names)."
  default     = null
}

variable "contract_parameter_arn" {
  type        = string
  description = "The SSM parameter holding the stage's platform contract, which the data scientist role reads (with the workload key, through SSM) to find the pipeline."
  default     = null
}

variable "endpoint" {
  type = object({
    arn                     = string
    alarm_arns              = list(string)
    monitoring_schedule_arn = optional(string)
  })
  description = "The stage's real-time endpoint, if it has one: CI (the deploy role) may describe and invoke it, read the checks recorded on its versions' endpoint configs and its Model Monitor schedule (monitoring_schedule_arn; null: none) with the served version's job definition (`mlops endpoint status|invoke`), and SageMaker reads its rollback alarms as the execution role its models run as. Null: no endpoint."
  default     = null
  validation {
    condition     = var.endpoint == null || try(can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:endpoint/.+$", var.endpoint.arn)) && alltrue([for arn in var.endpoint.alarm_arns : can(regex("^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$", arn))]) && (var.endpoint.monitoring_schedule_arn == null || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:monitoring-schedule/.+$", var.endpoint.monitoring_schedule_arn))), false)
    error_message = "endpoint must be null or a SageMaker endpoint ARN with CloudWatch alarm ARNs and, if any, a monitoring schedule ARN."
  }
}

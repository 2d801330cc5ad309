variable "endpoint_name" {
  type        = string
  description = "Name of the stage's real-time endpoint, which the deployment function creates and updates; also the stem of the function (`<name>-deployer`), its rules, the alarms (`<name>-5xx-rate`, `<name>-model-latency`) and of every model and endpoint config it creates (`<name>-v<version>`)."
  validation {
    # SageMaker's endpoint name pattern; 50 leaves the suffixes room within the 63 of models and
    # endpoint configs and the 64 of Lambda functions and IAM roles.
    condition     = try(length(var.endpoint_name) <= 50 && can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.endpoint_name)), false)
    error_message = "endpoint_name must be 1-50 letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "model_package_group_arn" {
  type        = string
  description = "The stage's model package group (in the registry account): its newest approved version is what the endpoint serves, and only its versions may."
  validation {
    condition     = try(can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package-group/[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.model_package_group_arn)) && length(split("/", var.model_package_group_arn)[1]) <= 63, false)
    error_message = "model_package_group_arn must be a SageMaker model package group ARN."
  }
}

variable "execution_role_arn" {
  type        = string
  description = "Role SageMaker assumes for each model the function creates: it reads the model artifact and writes the captured data (the stage's SageMaker execution role)."
  validation {
    condition     = try(can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]{1,512}$", var.execution_role_arn)), false)
    error_message = "execution_role_arn must be an IAM role ARN."
  }
}

variable "serving" {
  type = object({
    mode            = string
    memory_size_mb  = optional(number, 2048)
    max_concurrency = optional(number, 5)
    instance_type   = optional(string, "ml.m5.large")
    instance_count  = optional(number, 2)
  })
  description = "How the endpoint serves: `serverless` (memory_size_mb, max_concurrency) or `instances` (instance_type, instance_count)."
  nullable    = false
  validation {
    condition     = try(contains(["serverless", "instances"], var.serving.mode), false)
    error_message = "serving.mode must be serverless or instances."
  }
  validation {
    # ProductionVariantServerlessConfig: MemorySizeInMB 1024-6144 in steps of 1024, MaxConcurrency 1-200.
    condition     = try(contains([1024, 2048, 3072, 4096, 5120, 6144], var.serving.memory_size_mb) && var.serving.max_concurrency >= 1 && var.serving.max_concurrency <= 200 && floor(var.serving.max_concurrency) == var.serving.max_concurrency, false)
    error_message = "serving.memory_size_mb must be 1024, 2048, 3072, 4096, 5120 or 6144 and serving.max_concurrency a whole number from 1 to 200."
  }
  validation {
    condition     = try(can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.serving.instance_type)) && var.serving.instance_count >= 1 && floor(var.serving.instance_count) == var.serving.instance_count, false)
    error_message = "serving.instance_type must be a SageMaker instance type such as ml.m5.large and serving.instance_count a whole number, 1 or more."
  }
}

variable "traffic_shift" {
  type = object({
    type                     = string
    step_percent             = optional(number, 10)
    wait_seconds             = optional(number, 300)
    termination_wait_seconds = optional(number, 600)
    max_execution_seconds    = optional(number, 3600)
  })
  description = "How a new version takes the traffic (SageMaker's blue/green update): `ALL_AT_ONCE`, `CANARY` (step_percent of the capacity first, the rest after wait_seconds) or `LINEAR` (step_percent more every wait_seconds); each shift is watched by the rollback alarms for wait_seconds (all at once: after it), the old fleet is kept termination_wait_seconds after the last, and the whole update may take max_execution_seconds."
  default     = { type = "ALL_AT_ONCE" }
  nullable    = false
  validation {
    condition     = try(contains(["ALL_AT_ONCE", "CANARY", "LINEAR"], var.traffic_shift.type), false)
    error_message = "traffic_shift.type must be ALL_AT_ONCE, CANARY or LINEAR."
  }
  validation {
    # SageMaker's guide: a canary of at most 50 % of the capacity, linear steps of 10-50 %.
    condition = try(floor(var.traffic_shift.step_percent) == var.traffic_shift.step_percent && (
      var.traffic_shift.type == "LINEAR" ? var.traffic_shift.step_percent >= 10 && var.traffic_shift.step_percent <= 50 :
      var.traffic_shift.step_percent >= 1 && var.traffic_shift.step_percent <= 50
    ), false)
    error_message = "traffic_shift.step_percent must be a whole number from 1 to 50 (a canary) or from 10 to 50 (linear steps)."
  }
  validation {
    # BlueGreenUpdatePolicy: WaitIntervalInSeconds and TerminationWaitInSeconds 0-3600,
    # MaximumExecutionTimeoutInSeconds 600-28800 and, per SageMaker's guide, longer than the
    # waits: one per linear step, one otherwise, and the termination wait.
    condition = try(alltrue([for seconds in [var.traffic_shift.wait_seconds, var.traffic_shift.termination_wait_seconds] : seconds >= 0 && seconds <= 3600 && floor(seconds) == seconds]) && var.traffic_shift.max_execution_seconds >= 600 && var.traffic_shift.max_execution_seconds <= 28800 && floor(var.traffic_shift.max_execution_seconds) == var.traffic_shift.max_execution_seconds && (
      var.traffic_shift.max_execution_seconds > (var.traffic_shift.type == "LINEAR" ? ceil(100 / var.traffic_shift.step_percent) : 1) * var.traffic_shift.wait_seconds + var.traffic_shift.termination_wait_seconds
    ), false)
    error_message = "traffic_shift.wait_seconds and termination_wait_seconds must be whole numbers from 0 to 3600 and traffic_shift.max_execution_seconds from 600 to 28800, longer than every wait of the update together."
  }
  validation {
    # A canary or a step is a share of the fleet: of one instance there is none to share. How
    # SageMaker shares a serverless variant's capacity in steps is not documented: all at once.
    condition     = try(var.traffic_shift.type == "ALL_AT_ONCE" || (var.serving.mode == "instances" && var.serving.instance_count >= 2), false)
    error_message = "traffic_shift.type must be ALL_AT_ONCE for a serverless endpoint or one of a single instance."
  }
  validation {
    # The alarms must be able to fire while a shift is watched.
    condition     = try(var.traffic_shift.wait_seconds >= var.rollback_alarms.period_seconds * var.rollback_alarms.evaluation_periods, false)
    error_message = "traffic_shift.wait_seconds must be at least rollback_alarms.period_seconds times rollback_alarms.evaluation_periods, so an alarm can fire while a shift is watched."
  }
}

variable "rollback_alarms" {
  type = object({
    max_5xx_percent      = optional(number, 1)
    max_model_latency_ms = optional(number, 500)
    period_seconds       = optional(number, 60)
    evaluation_periods   = optional(number, 2)
  })
  description = "When a deployment rolls back: the share of invocations answered 5XX (percent) or the model's average latency (milliseconds) above its threshold for evaluation_periods periods of period_seconds."
  default     = {}
  nullable    = false
  validation {
    condition     = try(var.rollback_alarms.max_5xx_percent > 0 && var.rollback_alarms.max_5xx_percent < 100 && var.rollback_alarms.max_model_latency_ms > 0, false)
    error_message = "rollback_alarms.max_5xx_percent must be above 0 and below 100 and rollback_alarms.max_model_latency_ms above 0."
  }
  validation {
    # CloudWatch: a period of 10 or 30 seconds (high resolution) or a multiple of 60; SageMaker
    # publishes endpoint metrics every minute.
    condition     = try(var.rollback_alarms.period_seconds >= 60 && var.rollback_alarms.period_seconds % 60 == 0 && var.rollback_alarms.evaluation_periods >= 1 && floor(var.rollback_alarms.evaluation_periods) == var.rollback_alarms.evaluation_periods && var.rollback_alarms.period_seconds * var.rollback_alarms.evaluation_periods <= 86400, false)
    error_message = "rollback_alarms.period_seconds must be a multiple of 60 and rollback_alarms.evaluation_periods a whole number, 1 or more, evaluating at most a day."
  }
}

variable "data_capture" {
  type = object({
    destination_s3_uri = string
    kms_key_arn        = string
    sampling_percent   = optional(number, 100)
  })
  description = "Where the endpoint captures its requests and answers (for monitoring): an S3 prefix, the key that encrypts them, and the share of invocations captured; null: nothing captured, as serverless endpoints must (SageMaker captures nothing there)."
  default     = null
  validation {
    condition     = var.data_capture == null || try(can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?$", var.data_capture.destination_s3_uri)) && length(var.data_capture.destination_s3_uri) <= 512, false)
    error_message = "data_capture.destination_s3_uri must be an S3 URI (s3://bucket/prefix) of at most 512 characters."
  }
  validation {
    condition     = var.data_capture == null || try(can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9_-]+$", var.data_capture.kms_key_arn)), false)
    error_message = "data_capture.kms_key_arn must be a KMS key ARN."
  }
  validation {
    condition     = var.data_capture == null || try(var.data_capture.sampling_percent >= 0 && var.data_capture.sampling_percent <= 100 && floor(var.data_capture.sampling_percent) == var.data_capture.sampling_percent, false)
    error_message = "data_capture.sampling_percent must be a whole number from 0 to 100."
  }
  validation {
    condition     = try(var.data_capture == null || var.serving.mode == "instances", false)
    error_message = "data_capture must be null for a serverless endpoint: SageMaker captures no data there."
  }
}

variable "check" {
  type = object({
    min_auc              = number
    held_out_object_arns = list(string)
    kms_key_arn          = string
  })
  description = "The check after each deployment, once the endpoint serves a version not yet checked: the first rows of the version's held-out split (its `test_data_uri` metadata, in objects matching held_out_object_arns, encrypted with kms_key_arn) are sent to the endpoint, whose answers must score an AUC of at least min_auc; the result is tagged on the version's endpoint config, and a failure deploys the version approved before. Null: no check."
  default     = null
  validation {
    condition     = var.check == null || try(var.check.min_auc > 0 && var.check.min_auc <= 1, false)
    error_message = "check.min_auc must be above 0 and at most 1."
  }
  validation {
    condition     = var.check == null || try(length(var.check.held_out_object_arns) > 0 && alltrue([for arn in var.check.held_out_object_arns : can(regex("^arn:[a-z-]+:s3:::[a-z0-9.-]{3,63}/.+$", arn))]) && can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.check.kms_key_arn)), false)
    error_message = "check.held_out_object_arns must be one or more S3 object ARNs (arn:aws:s3:::bucket/key pattern) and check.kms_key_arn a KMS key ARN."
  }
}

variable "monitoring" {
  type = object({
    output_s3_uri       = string
    kms_key_arn         = string
    schedule_expression = optional(string, "cron(0 * ? * * *)")
    instance_type       = optional(string, "ml.m5.xlarge")
    max_runtime_seconds = optional(number, 3600)
  })
  description = "Model Monitor on the captured data: a data-quality schedule (`<endpoint_name>-data-quality`, run at schedule_expression: hourly by default) checking what the endpoint received against the served version's data-quality baseline (its DriftCheckBaselines), one job of instance_type for at most max_runtime_seconds; the reports under output_s3_uri (`<endpoint>/<schedule>/yyyy/mm/dd/hh`), encrypted with kms_key_arn; the job's volume with kms_key_arn (the module's). Needs data_capture. Null: no monitoring."
  default     = null
  validation {
    condition     = var.monitoring == null || try(var.data_capture != null, false)
    error_message = "monitoring needs data_capture: Model Monitor checks the captured data."
  }
  validation {
    # Model Monitor's schedules: hourly, every N hours from an hour, daily at an hour.
    condition     = var.monitoring == null || try(can(regex("^cron\\(0 (\\*|([01]?[0-9]|2[0-3])(/([1-9]|1[0-9]|2[0-4]))?) \\? \\* \\* \\*\\)$", var.monitoring.schedule_expression)), false)
    error_message = "monitoring.schedule_expression must be cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H) or cron(0 H/N ? * * *) (every N hours from H)."
  }
  validation {
    condition     = var.monitoring == null || try(can(regex("^s3://[a-z0-9.-]{3,63}(/.*)?$", var.monitoring.output_s3_uri)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9_-]+$", var.monitoring.kms_key_arn)), false)
    error_message = "monitoring.output_s3_uri must be an s3:// URI and monitoring.kms_key_arn a KMS key ARN."
  }
  validation {
    # MonitoringClusterConfig's InstanceType; StoppingCondition's MaxRuntimeInSeconds 1-86400.
    condition     = var.monitoring == null || try(can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.monitoring.instance_type)) && var.monitoring.max_runtime_seconds >= 1 && var.monitoring.max_runtime_seconds <= 86400 && floor(var.monitoring.max_runtime_seconds) == var.monitoring.max_runtime_seconds, false)
    error_message = "monitoring.instance_type must be a SageMaker instance type such as ml.m5.xlarge and monitoring.max_runtime_seconds a whole number from 1 to 86400."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key of the function's environment and log group (its policy must let CloudWatch Logs use it for that group)."
  validation {
    condition     = try(can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9_-]+$", var.kms_key_arn)), false)
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "The deployment function's package as `mlops plan` builds it: zip file, its base64 SHA-256, handler (`module.function`) and runtime (e.g. `python3.12`); validated by modules/lambda-function, which deploys it."
}

variable "log_retention_days" {
  type        = number
  description = "Days the function's logs are kept (validated by modules/lambda-function)."
  default     = 365
}

variable "tags" {
  type        = map(string)
  description = "Tags of every resource."
  default     = {}
}

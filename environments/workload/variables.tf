# This root's own variables; shared_variables.tf says how their validations are the tfvars rules
# and holds the patterns they share.

variable "environment" {
  type        = string
  description = "The stage this workload account serves: `dev` or `prod` (its tfvars decide)."
  nullable    = false
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be \"dev\" or \"prod\" in environments/workload."
  }
}

variable "protect_from_destroy" {
  type        = bool
  description = "Deletion protection on stateful resources (bucket contents)."
  default     = true
  nullable    = false
}

variable "registry_account_id" {
  type        = string
  description = "Account of the central registry (bucket, artifacts key, model package groups)."
  nullable    = false
  validation {
    condition     = can(regex(local.account_id_pattern, var.registry_account_id))
    error_message = "registry_account_id must be a 12-digit AWS account ID such as 123456789012."
  }
}

variable "registry_terraform_role_arn" {
  type        = string
  description = "Role Terraform assumes in the registry account to grant this account's pipelines use of the artifacts key; null uses the ambient credentials."
  default     = null
  validation {
    condition = var.registry_terraform_role_arn == null || (
      can(regex(local.role_arn_pattern, var.registry_terraform_role_arn)) &&
      try(length(regex(local.arn_path_and_name_pattern, var.registry_terraform_role_arn)[0]) <= 512, false)
    )
    error_message = "registry_terraform_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME (a name of 1-64 letters, digits or + = , . @ _ -, after an optional path; at most 512 characters after role/)."
  }
  validation {
    # Checked when both are valid on their own (their own rules speak otherwise).
    condition = (
      !can(regex(local.role_arn_pattern, var.registry_terraform_role_arn)) ||
      !can(regex(local.account_id_pattern, var.registry_account_id)) ||
      try(split(":", var.registry_terraform_role_arn)[4] == var.registry_account_id, false)
    )
    error_message = "registry_terraform_role_arn must be a role in registry_account_id's account, ${var.registry_account_id}."
  }
}

variable "ci_role_arn" {
  type        = string
  description = "Role of the CI system (Jenkins) in its own account, the only principal trusted by the deploy role."
  nullable    = false
  validation {
    condition = (
      can(regex(local.role_arn_pattern, var.ci_role_arn)) &&
      try(length(regex(local.arn_path_and_name_pattern, var.ci_role_arn)[0]) <= 512, false)
    )
    error_message = "ci_role_arn must be an IAM role ARN such as arn:aws:iam::123456789012:role/NAME (a name of 1-64 letters, digits or + = , . @ _ -, after an optional path; at most 512 characters after role/)."
  }
}

variable "inference_schedule" {
  type        = string
  description = "EventBridge schedule of the daily inference run, e.g. cron(0 6 * * ? *)."
  nullable    = false
  validation {
    # rate(N unit), or a cron of six fields separated by single spaces, each field a list of
    # values, ranges (A-B) and increments (/N) of the field's alphabet, or `?` in exactly one of
    # day-of-month and day-of-week (EventBridge's rules).
    condition = can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.inference_schedule)) || try([
      for fields in [split(" ", regex("^cron\\((.*)\\)$", var.inference_schedule)[0])] :
      length(fields) == 6 && (fields[2] == "?") != (fields[4] == "?") && alltrue([
        for i, atom in [
          "[0-5]?[0-9]",                                                  # minutes
          "[01]?[0-9]|2[0-3]",                                            # hours
          "[1-9]|[12][0-9]|3[01]|L|LW|([1-9]|[12][0-9]|3[01])W",          # day-of-month
          "[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC", # month
          "[1-7]|SUN|MON|TUE|WED|THU|FRI|SAT|[1-7]L|[1-7]#[1-5]",         # day-of-week
          "19[7-9][0-9]|2[01][0-9][0-9]",                                 # year
        ] :
        (i == 2 || i == 4) && fields[i] == "?" || can(regex(
          format("^(%[1]s)(,%[1]s)*$", format("(\\*|(%[1]s)(-(%[1]s))?)(/[1-9][0-9]*)?", atom)),
          fields[i]
        ))
      ])
    ][0], false)
    error_message = "inference_schedule must be an EventBridge schedule: rate(N unit) or cron(minutes hours day-of-month month day-of-week year) with '?' in exactly one of day-of-month and day-of-week, such as cron(0 6 * * ? *)."
  }
}

variable "weekly_training" {
  type        = string
  description = "When the training pipeline runs each week, as \"DAY HH:MM\" in UTC, or \"off\": never on schedule (retraining on failure and `mlops pipelines start` still run it)."
  default     = "MON 03:00"
  nullable    = false
  validation {
    condition     = can(regex("^(off|(MON|TUE|WED|THU|FRI|SAT|SUN) ([01][0-9]|2[0-3]):[0-5][0-9])$", var.weekly_training))
    error_message = "weekly_training must be \"off\" or \"DAY HH:MM\": DAY one of MON TUE WED THU FRI SAT SUN, HH:MM a UTC time such as 03:00."
  }
}

variable "auc_threshold" {
  type        = number
  description = "Minimum AUC for a (re)trained model to be registered."
  nullable    = false
  validation {
    condition     = var.auc_threshold > 0 && var.auc_threshold <= 1
    error_message = "auc_threshold must be a number greater than 0 and at most 1 (an AUC)."
  }
}

variable "challenger_auc_tolerance" {
  type        = number
  description = "How much lower than the AUC of the version this stage serves a challenger's may be (both measured on the same held-out data by `mlops models compare`) and still be promoted here without --force; read by `mlops models promote`."
  default     = 0
  nullable    = false
  validation {
    condition     = var.challenger_auc_tolerance >= 0 && var.challenger_auc_tolerance < 1
    error_message = "challenger_auc_tolerance must be a number from 0 up to (not including) 1 (an AUC difference)."
  }
}

variable "retrain_on_failed_inference" {
  type        = bool
  description = "Start the training pipeline when the inference pipeline fails (data-quality violations)."
  default     = true
  nullable    = false
}

variable "notification_emails" {
  type        = list(string)
  description = "Addresses notified of every pipeline failure."
  default     = []
  nullable    = false
  validation {
    condition = alltrue([
      for email in var.notification_emails :
      can(regex("^[a-zA-Z0-9!#&'*+/=?^_|~-]+(\\.[a-zA-Z0-9!#&'*+/=?^_|~-]+)*@([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$", email)) &&
      try(length(email) <= 254 && length(split("@", email)[0]) <= 64, false)
    ])
    error_message = "notification_emails must be a list of e-mail addresses such as ml-alerts@example.com (ASCII, at most 64 characters before the @ and 254 in all)."
  }
}

variable "allow_self_approval" {
  type        = bool
  description = "Whether the person who trained a version may approve it (four eyes otherwise); `mlops models approve` reads it. Terraform creates nothing from it."
  default     = false
  nullable    = false
  validation {
    condition     = !var.allow_self_approval || var.environment == "dev"
    error_message = "allow_self_approval must be false outside dev: four eyes decide what serves."
  }
}

variable "data_scientists" {
  type        = list(string)
  description = "IAM user or role ARNs of the people who start this stage's training with `mlops pipelines start` (their sessions must carry a source identity); they assume <name_prefix>-<stage>-data-scientist. Empty: only CI and the rules start runs."
  default     = []
  nullable    = false
  validation {
    condition = length(distinct(var.data_scientists)) == length(var.data_scientists) && alltrue([
      for arn in var.data_scientists :
      can(regex(local.principal_arn_pattern, arn)) &&
      try(length(regex(local.arn_path_and_name_pattern, arn)[0]) <= 512, false)
    ])
    error_message = "data_scientists must be a list of distinct IAM user or role ARNs such as arn:aws:iam::123456789012:user/NAME."
  }
}

variable "endpoint" {
  type = object({
    serving = object({
      mode            = string
      memory_size_mb  = optional(number)
      max_concurrency = optional(number)
      instance_type   = optional(string)
      instance_count  = optional(number)
    })
    traffic_shift = optional(object({
      type                     = string
      step_percent             = optional(number)
      wait_seconds             = optional(number)
      termination_wait_seconds = optional(number)
      max_execution_seconds    = optional(number)
    }))
    rollback_alarms = optional(object({
      max_5xx_percent      = optional(number)
      max_model_latency_ms = optional(number)
      period_seconds       = optional(number)
      evaluation_periods   = optional(number)
    }))
    capture_percent = optional(number)
  })
  description = "A real-time endpoint for the stage, serving its newest approved version, deployed blue/green on each approval and rolled back by alarm (modules/realtime-endpoint: serving, traffic_shift and rollback_alarms are its inputs, an attribute left out its default, and its rules check them, `mlops validate` included); capture_percent: the share of requests captured for monitoring (instances only). Null: batch inference only."
  default     = null
  validation {
    condition     = var.endpoint == null || try(contains(["serverless", "instances"], var.endpoint.serving.mode), false)
    error_message = "endpoint must be null (batch inference only) or an object whose serving.mode is serverless or instances."
  }
  validation {
    condition     = try(var.endpoint.capture_percent == null || var.endpoint.serving.mode == "instances" && var.endpoint.capture_percent >= 0 && var.endpoint.capture_percent <= 100 && floor(var.endpoint.capture_percent) == var.endpoint.capture_percent, true)
    error_message = "endpoint must be without capture_percent, or with serving.mode instances (SageMaker captures nothing on a serverless endpoint) and capture_percent a whole number from 0 to 100."
  }
}

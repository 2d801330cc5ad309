variable "function_name" {
  type        = string
  description = "Name of the function (its log group is `/aws/lambda/<name>`)."
  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, '-' or '_'."
  }
}

variable "description" {
  type        = string
  description = "What the function does, as the console shows it."
  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters."
  }
}

variable "role_arn" {
  type        = string
  description = "Execution role of the function."
}

variable "package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "The deployment package as `mlops plan` builds it: zip file, its base64 SHA-256, handler (`module.function`) and runtime (e.g. `python3.12`)."
  validation {
    condition     = endswith(var.package.path, ".zip") && can(regex("^[A-Za-z0-9+/]{43}=$", var.package.base64sha256))
    error_message = "package.path must be a .zip file and package.base64sha256 the base64 SHA-256 of its content."
  }
  validation {
    condition     = can(regex("^[^\\s]{1,128}$", var.package.handler)) && can(regex("^python3\\.[0-9]+$", var.package.runtime))
    error_message = "package.handler must be 1-128 characters without spaces and package.runtime a Python runtime such as python3.12."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key that encrypts the function's log group (its policy must let CloudWatch Logs use it for that group) and its environment variables, if any."
}

variable "log_retention_days" {
  type        = number
  description = "Days the function's logs are kept."
  default     = 365
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the function and its log group."
  default     = {}
}

variable "timeout" {
  type        = number
  description = "Seconds an invocation may run."
  default     = 30
  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Environment of the function (encrypted with kms_key_arn); none by default."
  default     = {}
}

variable "dead_letter_queue_arn" {
  type        = string
  description = "SQS queue that keeps what an asynchronous invocation could not handle; null: none."
  default     = null
  validation {
    condition     = var.dead_letter_queue_arn == null || can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:.+$", var.dead_letter_queue_arn))
    error_message = "dead_letter_queue_arn must be an SQS queue ARN."
  }
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the function; null: none reserved (the account's unreserved pool)."
  default     = null
  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 0 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be a whole number, 0 or more, or null."
  }
}

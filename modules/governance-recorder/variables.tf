variable "function_name" {
  type        = string
  description = "Name of the function; also of its role, rule, log group (`/aws/lambda/<name>`) and dead-letter queue (`<name>-dead-letter`)."
  validation {
    # 64 for Lambda and IAM roles; the queue's name adds 12 characters to SQS's 80.
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 letters, digits, '-' or '_'."
  }
}

variable "table_name" {
  type        = string
  description = "Name of the governance table the function writes."
}

variable "table_arn" {
  type        = string
  description = "ARN of that table (the function may read and put items there only)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$", var.table_arn))
    error_message = "table_arn must be a DynamoDB table ARN."
  }
}

variable "governed_groups" {
  type        = map(string)
  description = "Model package groups whose state changes are recorded, each with the stage it serves (group name -> stage)."
  validation {
    condition     = length(var.governed_groups) > 0 && alltrue([for name in keys(var.governed_groups) : can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", name))])
    error_message = "governed_groups must name at least one model package group, each as SageMaker writes group names (1-63 letters, digits and single hyphens)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer-managed key of the table, the dead-letter queue, the function's environment and its log group (its policy must let CloudWatch Logs use it for that group and EventBridge send to the queue)."
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
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
  description = "The deployment package as `mlops plan` builds it: zip file, its base64 SHA-256, handler (`module.function`) and runtime (e.g. `python3.12`); validated by modules/lambda-function, which deploys it."
}

variable "reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for (and limiting) the function: events wait in Lambda's queue rather than race on a version's current item. The account must keep 100 unreserved."
  default     = 2
  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 10 && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be a whole number from 1 to 10."
  }
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
  description = "Tags of every resource."
  default     = {}
}

variable "service" {
  type        = string
  description = "Service principal that assumes the role, e.g. lambda.amazonaws.com."
  validation {
    condition     = can(regex("^[a-z0-9-]+(\\.[a-z0-9-]+)*\\.amazonaws\\.com$", var.service))
    error_message = "service must be a service principal such as lambda.amazonaws.com."
  }
}

variable "account_id" {
  type        = string
  description = "Account whose resources alone may make the service assume the role (aws:SourceAccount): the role's own."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

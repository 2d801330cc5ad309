variable "people" {
  type        = list(string)
  description = "IAM users, roles (e.g. SSO permission-set roles) or role sessions of the people who may assume the role."
  validation {
    condition     = length(var.people) > 0 && alltrue([for p in var.people : can(regex("^arn:aws[a-z-]*:(iam::[0-9]{12}:(user|role)/.+|sts::[0-9]{12}:assumed-role/.+/.+)$", p))])
    error_message = "people must be one or more IAM user, role or assumed-role ARNs."
  }
}

variable "who" {
  type        = string
  description = "Who they are, in the statements' Sids (The<who>AsThemselves, The<who>WithTheirIdentity), e.g. StagesApprovers."
  validation {
    condition     = can(regex("^[A-Z][A-Za-z]{0,80}$", var.who))
    error_message = "who must be letters only, starting with a capital (it becomes part of a Sid)."
  }
}

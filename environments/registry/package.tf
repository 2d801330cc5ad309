# Not a tfvars key: `mlops plan` builds the governance recorder's deployment package from the
# handler in the repository (glue/steps) and passes it, so the reviewed plan carries its hash.
variable "governance_recorder_package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "Deployment package of the governance recorder Lambda (zip path, base64 SHA-256, handler, runtime), built by `mlops plan`."
  nullable    = false
}

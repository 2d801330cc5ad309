# Not a tfvars key: `mlops plan` builds the Lambda's deployment package from the handler in the
# repository (glue/steps) and passes it, so the reviewed plan carries the package's hash.
variable "latest_model_package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "Deployment package of the latest-approved-model Lambda (zip path, base64 SHA-256, handler, runtime), built by `mlops plan`."
  nullable    = false
}

variable "endpoint_deployer_package" {
  type = object({
    path         = string
    base64sha256 = string
    handler      = string
    runtime      = string
  })
  description = "Deployment package of the real-time endpoint's deployment function, built by `mlops plan` (deployed only if the stage has an endpoint)."
  nullable    = false
}

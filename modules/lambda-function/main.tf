# A Lambda function of the platform and its log group, both owned here, so a destroy leaves
# neither behind. The package is built from the handler in the repository by `mlops plan` (zip
# with fixed timestamps, so its hash only changes with the code). Used by the inference
# pipeline's latest-model lookup and by the governance recorder.

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  kms_key_id        = var.kms_key_arn
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:Each function's own record is where it writes (the pipeline execution's step, the governance table); X-Ray adds nothing a reviewer reads.
  #checkov:skip=CKV_AWS_115:Each caller decides (reserved_concurrency): the governance recorder reserves its own; the pipeline's lookup reserves none, since reserving takes from the account's unreserved pool, which new accounts cannot spare (minimum 10), for one call per pipeline run.
  #checkov:skip=CKV_AWS_116:Each caller decides (dead_letter_queue_arn): the governance recorder, invoked asynchronously by EventBridge, has one; the pipeline's lookup is invoked synchronously by the pipeline's Lambda step, which fails the run and notifies, and a dead-letter queue serves only asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The functions call only AWS APIs (SageMaker, DynamoDB, SQS) and reach no private resource; a VPC would need NAT or interface endpoints for nothing.
  #checkov:skip=CKV_AWS_173:A function with environment variables has them encrypted with var.kms_key_arn; one without has none to encrypt.
  #checkov:skip=CKV_AWS_272:The package is built by CI from the reviewed repository and its hash is in the reviewed plan; AWS Signer profiles are outside this platform.
  function_name                  = var.function_name
  description                    = var.description
  role                           = var.role_arn
  filename                       = var.package.path
  source_code_hash               = var.package.base64sha256
  handler                        = var.package.handler
  runtime                        = var.package.runtime
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  # Lambda encrypts environment variables with this key: only a function that has some.
  kms_key_arn = length(var.environment_variables) > 0 ? var.kms_key_arn : null
  tags        = var.tags

  dynamic "environment" {
    for_each = length(var.environment_variables) > 0 ? [var.environment_variables] : []
    content {
      variables = environment.value
    }
  }

  # An event it could not handle, after Lambda's two retries of an asynchronous invocation.
  dynamic "dead_letter_config" {
    for_each = var.dead_letter_queue_arn == null ? [] : [var.dead_letter_queue_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

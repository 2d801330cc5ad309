# The Lambda the inference pipeline asks for the newest approved model version, and its log
# group: both owned here, so a destroy leaves neither behind. The package is built from the
# handler in the repository by `mlops plan` (zip with fixed timestamps, so its hash only
# changes with the code).

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  kms_key_id        = var.kms_key_arn
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:One SageMaker API lookup per inference run; the pipeline execution records the step, its inputs and its answer.
  #checkov:skip=CKV_AWS_115:Reserving concurrency takes it from the account's unreserved pool, which new accounts cannot spare (minimum 10); one call per pipeline run.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by the pipeline's Lambda step, which fails the run and notifies on error; a dead-letter queue only serves asynchronous invocations.
  #checkov:skip=CKV_AWS_117:Calls only the SageMaker API and reaches no private resource; a VPC would need NAT or an interface endpoint for nothing.
  #checkov:skip=CKV_AWS_173:The function has no environment variables to encrypt.
  #checkov:skip=CKV_AWS_272:The package is built by CI from the reviewed repository and its hash is in the reviewed plan; AWS Signer profiles are outside this platform.
  function_name    = var.function_name
  description      = "Newest approved model version of a group (inference pipeline)."
  role             = var.role_arn
  filename         = var.package.path
  source_code_hash = var.package.base64sha256
  handler          = var.package.handler
  runtime          = var.package.runtime
  timeout          = 60
  tags             = var.tags

  depends_on = [aws_cloudwatch_log_group.this]
}

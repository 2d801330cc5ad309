output "sagemaker_execution_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = aws_iam_role.sagemaker_execution.arn
}

output "latest_model_lambda_role_arn" {
  description = "ARN of the role of the latest-approved-model Lambda."
  value       = aws_iam_role.latest_model_lambda.arn
}

output "latest_model_function_name" {
  description = "Name of the latest-approved-model Lambda the deploy role may create and update."
  value       = local.latest_model_function
}

output "latest_model_function_arn" {
  description = "ARN of that Lambda, in this account's partition and region."
  value       = local.latest_model_function_arn
}

output "deploy_role_arn" {
  description = "ARN of the role CI assumes to deploy into this account."
  value       = aws_iam_role.deploy.arn
}

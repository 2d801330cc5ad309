output "sagemaker_execution_role_arn" {
  description = "ARN of the SageMaker execution role."
  value       = aws_iam_role.sagemaker_execution.arn
}

output "latest_model_lambda_role_arn" {
  description = "ARN of the role of the latest-approved-model Lambda."
  value       = aws_iam_role.latest_model_lambda.arn
}

output "deploy_role_arn" {
  description = "ARN of the role CI assumes to deploy into this account."
  value       = aws_iam_role.deploy.arn
}

output "data_scientist_role_arn" {
  description = "ARN of the role the stage's data scientists start training as (null without data_scientist_arns)."
  value       = one(aws_iam_role.data_scientist[*].arn)
}

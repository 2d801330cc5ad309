output "parameter_name" {
  description = "Name of the SSM parameter that holds the contract."
  value       = aws_ssm_parameter.contract.name
}

output "parameter_arn" {
  description = "ARN of that parameter (for the IAM policies of its readers)."
  value       = aws_ssm_parameter.contract.arn
}

output "kms_key_arn" {
  description = "This account's key."
  value       = module.kms.key_arn
}

output "sagemaker_execution_role_arn" {
  description = "Role the pipelines run with."
  value       = module.roles.sagemaker_execution_role_arn
}

output "latest_model_function_arn" {
  description = "ARN of that Lambda, in this account's partition and region."
  value       = module.latest_model_function.function_arn
}

output "data_prefix" {
  description = "Key prefix of this account's data and pipeline code in the central bucket."
  value       = var.name_prefix
}

output "deploy_role_arn" {
  description = "Role CI assumes to deploy pipelines and govern models."
  value       = module.roles.deploy_role_arn
}

output "notification_topic_arn" {
  description = "Topic of pipeline failures."
  value       = module.notifications.topic_arn
}

output "pipeline_names" {
  description = "Names of the training, inference and comparison pipelines."
  value       = { training = local.training_pipeline, inference = local.inference_pipeline, comparison = local.comparison_pipeline }
}

output "rule_arns" {
  description = "EventBridge rules."
  value       = module.events.rule_arns
}


output "data_scientist_role_arn" {
  description = "ARN of the role the stage's data scientists start training as (null without data_scientist_arns)."
  value       = module.roles.data_scientist_role_arn
}

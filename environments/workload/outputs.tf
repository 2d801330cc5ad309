output "artifacts_bucket_name" {
  description = "Central model-artifacts bucket."
  value       = module.naming.artifacts_bucket_name
}

output "artifacts_kms_key_arn" {
  description = "Key of the central bucket."
  value       = data.aws_kms_alias.artifacts.target_key_arn
}

output "model_package_group_arn" {
  description = "The central model package group of this stage."
  value       = module.naming.model_package_group_arns[var.environment]
}

output "workload_kms_key_arn" {
  description = "This account's key."
  value       = module.workload.kms_key_arn
}

output "sagemaker_execution_role_arn" {
  description = "Role the pipelines run with."
  value       = module.workload.sagemaker_execution_role_arn
}

output "latest_model_function_arn" {
  description = "ARN of that Lambda."
  value       = module.workload.latest_model_function_arn
}

output "data_prefix" {
  description = "Key prefix of this stage's data and pipeline code in the central bucket."
  value       = module.workload.data_prefix
}

output "deploy_role_arn" {
  description = "Role CI assumes to deploy pipelines and govern models."
  value       = module.workload.deploy_role_arn
}

output "notification_topic_arn" {
  description = "Topic of pipeline failures."
  value       = module.workload.notification_topic_arn
}

output "pipeline_names" {
  description = "Training and inference pipelines."
  value       = module.workload.pipeline_names
}

output "rule_arns" {
  description = "EventBridge rules."
  value       = module.workload.rule_arns
}

output "governance_table_name" {
  description = "Governance table, or null."
  value       = module.workload.governance_table_name
}

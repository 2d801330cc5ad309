output "artifacts_bucket_name" {
  description = "Central model-artifacts bucket."
  value       = module.artifacts_bucket.bucket_name
}

output "artifacts_kms_key_arn" {
  description = "Key of the central bucket."
  value       = module.artifacts_key.key_arn
}

output "model_package_group_arns" {
  description = "Model package group of each stage."
  value       = { for stage, registry in module.model_registry : stage => registry.group_arn }
}

output "terraform_role_arn" {
  description = "The role the environment's root assumes (its terraform_role_arn)."
  value       = module.bootstrap.terraform_role_arn
}

output "state_bucket_name" {
  description = "Bucket of the account's Terraform state."
  value       = module.bootstrap.state_bucket_name
}

output "state_key_arn" {
  description = "Customer managed key of the state."
  value       = module.bootstrap.state_key_arn
}

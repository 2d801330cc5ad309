output "terraform_role_arn" {
  description = "The role the platform's roots assume (`terraform_role_arn` in the environment's tfvars)."
  value       = aws_iam_role.terraform.arn
}

output "state_bucket_name" {
  description = "Bucket of the account's Terraform state."
  value       = module.state_bucket.bucket_name
}

output "state_key_arn" {
  description = "Customer managed key of the state."
  value       = module.state_key.key_arn
}

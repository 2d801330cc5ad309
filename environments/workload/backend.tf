# State lives in an S3 bucket of the target account (made by its bootstrap); the bucket, key,
# region, role and endpoints are given at init time: every `mlops` command that runs Terraform
# writes that backend configuration from the tfvars and passes it to `terraform init`.
terraform {
  backend "s3" {}
}

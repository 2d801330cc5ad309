locals {
  # role/NAME or role/PATH/NAME: IAM takes path and name apart.
  role_path_and_name = split("/", split(":role/", var.terraform_role_arn)[1])
  role_name          = element(local.role_path_and_name, length(local.role_path_and_name) - 1)
  role_path          = "/${join("", [for part in slice(local.role_path_and_name, 0, length(local.role_path_and_name) - 1) : "${part}/"])}"
}

module "bootstrap" {
  source                    = "../../modules/bootstrap"
  terraform_role_name       = local.role_name
  terraform_role_path       = local.role_path
  trusted_principal_arns    = var.terraform_principal_arns
  name_prefix               = var.name_prefix
  model_name                = var.model_name
  model_registry_account_id = var.registry_account_id
  state_bucket_name         = var.state_bucket_name
  state_key_alias           = var.state_key_alias
}

# The state store exists before Terraform first runs (`mlops bootstrap` creates it, as every
# other root's init does): the first bootstrap takes it over, later ones find it in the state.
import {
  to = module.bootstrap.module.state_bucket.aws_s3_bucket.this
  id = var.state_bucket_name
}

import {
  to = module.bootstrap.module.state_key.aws_kms_key.this
  id = element(split("/", var.state_key_arn), 1)
}

import {
  to = module.bootstrap.module.state_key.aws_kms_alias.this
  id = "alias/${var.state_key_alias}"
}

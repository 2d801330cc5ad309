module "naming" {
  source              = "../../modules/naming"
  partition           = data.aws_partition.current.partition
  name_prefix         = var.name_prefix
  model_name          = var.model_name
  registry_account_id = var.registry_account_id
  region              = var.region
}

data "aws_partition" "current" {}

data "aws_kms_alias" "artifacts" {
  provider = aws.registry
  name     = module.naming.artifacts_kms_alias
}

module "workload" {
  source                      = "../../modules/workload-account"
  name_prefix                 = module.naming.stage_name_prefixes[var.environment]
  model_name                  = var.model_name
  artifacts_bucket_name       = module.naming.artifacts_bucket_name
  artifacts_kms_key_arn       = data.aws_kms_alias.artifacts.target_key_arn
  model_package_group_arn     = module.naming.model_package_group_arns[var.environment]
  ci_role_arn                 = var.ci_role_arn
  inference_schedule          = var.inference_schedule
  weekly_training             = var.weekly_training == "off" ? null : var.weekly_training
  auc_threshold               = var.auc_threshold
  notification_emails         = var.notification_emails
  retrain_on_failed_inference = var.retrain_on_failed_inference
  protect_from_destroy        = var.protect_from_destroy
  latest_model_package        = var.latest_model_package
  data_scientist_arns         = var.data_scientists
  contract_parameter_arn      = "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${var.account_id}:parameter${module.naming.platform_parameter_names[var.environment]}"
}

# The pipelines of this account write model artifacts to the central bucket with its key.
module "artifacts_key_grant" {
  source            = "../../modules/kms-grant"
  providers         = { aws = aws.registry }
  name              = "${var.name_prefix}-${var.environment}-pipelines"
  key_arn           = data.aws_kms_alias.artifacts.target_key_arn
  grantee_principal = module.workload.sagemaker_execution_role_arn
}

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
  endpoint = var.endpoint == null ? null : {
    arn            = module.realtime_endpoint[0].endpoint_arn
    log_group_name = module.realtime_endpoint[0].function_log_group_name
    alarm_arns     = module.realtime_endpoint[0].alarm_arns
    # (Its schedule: what CI reads of Model Monitor.)
    monitoring_schedule_arn = module.realtime_endpoint[0].monitoring_schedule_arn
  }
}

# The stage's real-time endpoint, if its tfvars ask for one: it serves the newest approved
# version, deployed on each approval (the event the registry forwards) with the guardrails asked.
module "realtime_endpoint" {
  count                   = var.endpoint == null ? 0 : 1
  source                  = "../../modules/realtime-endpoint"
  endpoint_name           = module.naming.endpoint_names[var.environment]
  model_package_group_arn = module.naming.model_package_group_arns[var.environment]
  execution_role_arn      = module.workload.sagemaker_execution_role_arn
  serving                 = var.endpoint.serving
  traffic_shift           = var.endpoint.traffic_shift
  rollback_alarms         = var.endpoint.rollback_alarms
  # Captured into the stage's prefix of the central bucket, with the bucket's key (the
  # execution role, which writes it, may use both); a serverless endpoint captures nothing.
  data_capture = var.endpoint.serving.mode == "serverless" ? null : {
    destination_s3_uri = "s3://${module.naming.artifacts_bucket_name}/${module.naming.data_capture_prefixes[var.environment]}"
    kms_key_arn        = data.aws_kms_alias.artifacts.target_key_arn
    sampling_percent   = var.endpoint.capture_percent
  }
  # Model Monitor checks what it captured, hourly, against the served version's data-quality
  # baseline; the reports beside the captured data, with the bucket's key.
  monitoring = var.endpoint.serving.mode == "serverless" ? null : {
    output_s3_uri = "s3://${module.naming.artifacts_bucket_name}/${module.naming.endpoint_monitoring_prefixes[var.environment]}"
    kms_key_arn   = data.aws_kms_alias.artifacts.target_key_arn
  }
  # Checked after each deployment on the version's held-out split, which its training run wrote
  # in the central bucket (here, or in a stage promoting into this one), against the stage's
  # training threshold.
  check = {
    min_auc              = var.auc_threshold
    held_out_object_arns = [for prefix in module.naming.version_source_prefixes[var.environment] : "arn:${data.aws_partition.current.partition}:s3:::${module.naming.artifacts_bucket_name}/${prefix}/*"]
    kms_key_arn          = data.aws_kms_alias.artifacts.target_key_arn
  }
  kms_key_arn = module.workload.kms_key_arn
  package     = var.endpoint_deployer_package
  tags        = var.tags
}

# The pipelines of this account write model artifacts to the central bucket with its key.
module "artifacts_key_grant" {
  source            = "../../modules/kms-grant"
  providers         = { aws = aws.registry }
  name              = "${var.name_prefix}-${var.environment}-pipelines"
  key_arn           = data.aws_kms_alias.artifacts.target_key_arn
  grantee_principal = module.workload.sagemaker_execution_role_arn
}

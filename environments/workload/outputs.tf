# The platform contract of this stage: every name and ARN the glue and other tools need, decided
# here and nowhere else. `mlops` reads it from the state; the parameter carries it for CI and
# other tools. glue/contract.py is its Python type: a field added here is added there.
locals {
  platform = {
    environment                  = var.environment
    artifacts_bucket_name        = module.naming.artifacts_bucket_name
    artifacts_kms_key_arn        = data.aws_kms_alias.artifacts.target_key_arn
    data_prefix                  = module.workload.data_prefix
    data_quality_report_prefix   = module.naming.data_quality_report_prefixes[var.environment]
    model_package_group_arn      = module.naming.model_package_group_arns[var.environment]
    workload_kms_key_arn         = module.workload.kms_key_arn
    sagemaker_execution_role_arn = module.workload.sagemaker_execution_role_arn
    deploy_role_arn              = module.workload.deploy_role_arn
    latest_model_function_arn    = module.workload.latest_model_function_arn
    pipeline_names               = module.workload.pipeline_names
    notification_topic_arn       = module.workload.notification_topic_arn
    rule_arns                    = module.workload.rule_arns
    data_scientist_role_arn      = module.workload.data_scientist_role_arn
    endpoint_name                = var.endpoint == null ? null : module.realtime_endpoint[0].endpoint_name
    monitoring_schedule_name     = var.endpoint == null ? null : module.realtime_endpoint[0].monitoring_schedule_name
  }
}

module "platform_contract" {
  source         = "../../modules/platform-contract"
  parameter_name = module.naming.platform_parameter_names[var.environment]
  environment    = var.environment
  kms_key_arn    = module.workload.kms_key_arn
  contract       = local.platform
}

output "platform" {
  description = "Platform contract of this stage (glue/contract.py WorkloadContract), with the SSM parameter that holds it."
  value       = merge(local.platform, { parameter_name = module.platform_contract.parameter_name })
}

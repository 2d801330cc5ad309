# The platform contract of the registry account, decided here and nowhere else. `mlops` reads
# it from the state; the parameter carries it for CI and other tools. glue/contract.py is its
# Python type: a field added here is added there.
locals {
  platform = {
    environment                      = "registry"
    artifacts_bucket_name            = module.artifacts_bucket.bucket_name
    artifacts_kms_key_arn            = module.artifacts_key.key_arn
    model_package_group_arns         = { for stage, registry in module.model_registry : stage => registry.group_arn }
    feature_group_arns               = { for branch, registry in module.feature_registry : branch => registry.group_arn }
    approval_rule_arns               = module.approval_forwarding.rule_arns
    governance_table_name            = module.governance_table.table_name
    governance_table_arn             = module.governance_table.table_arn
    governance_rule_arn              = module.governance_recorder.rule_arn
    governance_function_arn          = module.governance_recorder.function_arn
    governance_dead_letter_queue_url = module.governance_recorder.dead_letter_queue_url
    model_approver_role_arns         = module.model_approvers.approver_role_arns
    governance_reader_role_arn       = module.model_approvers.reader_role_arn
    data_quality_report_prefixes     = module.naming.data_quality_report_prefixes
  }
}

module "platform_contract" {
  source         = "../../modules/platform-contract"
  parameter_name = module.naming.platform_parameter_names["registry"]
  environment    = "registry"
  kms_key_arn    = module.artifacts_key.key_arn
  contract       = local.platform
}

output "platform" {
  description = "Platform contract of the registry account (glue/contract.py RegistryContract), with the SSM parameter that holds it."
  value       = merge(local.platform, { parameter_name = module.platform_contract.parameter_name })
}

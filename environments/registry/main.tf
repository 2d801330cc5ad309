module "naming" {
  source              = "../../modules/naming"
  partition           = data.aws_partition.current.partition
  name_prefix         = var.name_prefix
  model_name          = var.model_name
  registry_account_id = var.account_id
  region              = var.region
  feature_branches    = var.feature_branches
}

data "aws_partition" "current" {}

locals {
  workload_accounts = var.workload_account_ids
}

module "artifacts_key" {
  source           = "../../modules/kms-key"
  alias            = trimprefix(module.naming.artifacts_kms_alias, "alias/")
  description      = "Central model artifacts and governance records of ${var.model_name}."
  user_account_ids = values(local.workload_accounts)
  # EventBridge puts what it cannot deliver to the recorder in its encrypted dead-letter queue.
  service_principals = ["events.amazonaws.com"]
  log_group_names    = ["/aws/lambda/${module.naming.governance_recorder_name}"]
}

module "artifacts_bucket" {
  source                             = "../../modules/artifacts-bucket"
  bucket_name                        = module.naming.artifacts_bucket_name
  kms_key_arn                        = module.artifacts_key.key_arn
  reader_writer_account_ids          = values(local.workload_accounts)
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  access_log_bucket                  = var.access_log_bucket
  force_destroy                      = !var.protect_from_destroy
}

# Each stage's account registers candidates (training, retraining) in its own group and serves
# from it; promotion copies approved dev versions into the prod group. No account sees the other
# stage's group.
module "model_registry" {
  for_each           = module.naming.model_package_group_names
  source             = "../../modules/model-registry"
  group_name         = each.value
  description        = "${var.model_name} versions of the ${each.key} stage."
  writer_account_ids = [local.workload_accounts[each.key]]
}

# A feature branch's candidates are trained in dev and compared there before one is merged: dev
# registers and reads them, as in its stage's group; nothing serves from these groups.
module "feature_registry" {
  for_each           = module.naming.feature_group_names
  source             = "../../modules/model-registry"
  group_name         = each.value
  description        = "${var.model_name} candidates of the feature branch ${each.key}."
  writer_account_ids = [local.workload_accounts["dev"]]
}

# Approvals in a stage's group go to that stage's account, where its rule starts inference.
module "approval_forwarding" {
  source            = "../../modules/approval-forwarding"
  name_prefix       = var.name_prefix
  stage_group_names = module.naming.model_package_group_names
  stage_account_ids = local.workload_accounts
}

# The governance table is filled by the groups' own events: whoever changes a version (a
# pipeline, `mlops`, the console, any SDK), SageMaker emits the change here and the recorder
# appends it.
module "governance_table" {
  source              = "../../modules/governance-table"
  table_name          = module.naming.governance_table_name
  kms_key_arn         = module.artifacts_key.key_arn
  deletion_protection = var.protect_from_destroy
}

module "governance_recorder" {
  source        = "../../modules/governance-recorder"
  function_name = module.naming.governance_recorder_name
  table_name    = module.governance_table.table_name
  table_arn     = module.governance_table.table_arn
  governed_groups = merge(
    { for stage, name in module.naming.model_package_group_names : name => stage },
    { for name in values(module.naming.feature_group_names) : name => "dev" },
  )
  kms_key_arn          = module.artifacts_key.key_arn
  package              = var.governance_recorder_package
  reserved_concurrency = var.governance_recorder_concurrency
}

# Who decides what serves: each stage's approvers, with their identity on every change, and
# who reads the record. The contract parameter's ARN is built, not read from the contract
# module, which carries these roles' ARNs.
module "model_approvers" {
  source                  = "../../modules/model-approvers"
  approvers               = var.model_approvers
  approver_role_names     = module.naming.model_approver_role_names
  governance_readers      = var.governance_readers
  reader_role_name        = module.naming.governance_reader_role_name
  stage_group_arns        = { for stage, registry in module.model_registry : stage => registry.group_arn }
  promotions              = { prod = "dev" }
  governance_table_arn    = module.governance_table.table_arn
  contract_parameter_arn  = "arn:${data.aws_partition.current.partition}:ssm:${var.region}:${var.account_id}:parameter${module.naming.platform_parameter_names["registry"]}"
  kms_key_arn             = module.artifacts_key.key_arn
  artifacts_bucket_arn    = module.artifacts_bucket.bucket_arn
  quality_report_prefixes = module.naming.data_quality_report_prefixes
  region                  = var.region
}

# The naming convention shared by the registry and the workload accounts, kept in one place so
# each environment can find the other's resources without reading its state.
locals {
  workload_stages = ["dev", "prod"]
  stage_prefixes  = { for stage in local.workload_stages : stage => "${var.name_prefix}-${stage}" }
  group_names     = { for stage in local.workload_stages : stage => "${var.model_name}-${stage}" }
  # A feature branch's candidates, trained in dev, kept apart from the dev stage's versions.
  feature_group_names = { for branch in var.feature_branches : branch => "${var.model_name}-feature-${branch}" }
}

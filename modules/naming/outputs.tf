output "artifacts_bucket_name" {
  description = "Central model-artifacts bucket."
  value       = "${var.name_prefix}-model-artifacts-${var.registry_account_id}"
}

output "artifacts_kms_alias" {
  description = "Alias of the key of the central bucket."
  value       = "alias/${var.name_prefix}-model-artifacts"
}

output "model_package_group_names" {
  description = "Model package group of each workload stage."
  value       = local.group_names
}

output "model_package_group_arns" {
  description = "ARN of the model package group of each workload stage."
  value       = { for stage, name in local.group_names : stage => "arn:${var.partition}:sagemaker:${var.region}:${var.registry_account_id}:model-package-group/${name}" }
}

output "feature_group_names" {
  description = "Model package group of each feature branch (branch -> name)."
  value       = local.feature_group_names
}

output "platform_parameter_names" {
  description = "SSM parameter holding the platform contract of each environment (registry and stages)."
  value       = { for environment in concat(["registry"], local.workload_stages) : environment => "/${var.name_prefix}/${environment}/platform" }
}

output "governance_table_name" {
  description = "The registry's governance table (model-version history and current state)."
  value       = "${var.name_prefix}-model-governance"
}

output "governance_recorder_name" {
  description = "The function (and its role, rule and queue) that fills the governance table."
  value       = "${var.name_prefix}-governance-recorder"
}

output "model_approver_role_names" {
  description = "The approver role of each workload stage, in the registry account (glue/people.py derives the same names: a person assumes it before any state can be read)."
  value       = { for stage in local.workload_stages : stage => "${var.name_prefix}-${stage}-model-approver" }
}

output "governance_reader_role_name" {
  description = "The compliance officer's read-only role, in the registry account (glue/people.py derives the same name)."
  value       = "${var.name_prefix}-governance-reader"
}

output "stage_name_prefixes" {
  description = "Name prefix of each workload stage: of its resources, and of its data in the central bucket."
  value       = local.stage_prefixes
}

output "endpoint_names" {
  description = "The real-time endpoint of each workload stage (if it has one): also the stem of its deployment function, rules, alarms, models and endpoint configs (modules/realtime-endpoint)."
  value       = { for stage, prefix in local.stage_prefixes : stage => "${prefix}-endpoint" }
}

output "data_capture_prefixes" {
  description = "Where each stage's real-time endpoint captures its requests and answers in the central bucket."
  value       = { for stage, prefix in local.stage_prefixes : stage => "${prefix}/endpoint/capture" }
}

output "endpoint_monitoring_prefixes" {
  description = "Where each stage's real-time endpoint's Model Monitor schedule writes its executions' data-quality reports in the central bucket (`<endpoint>/<schedule>/yyyy/mm/dd/hh` below it)."
  value       = { for stage, prefix in local.stage_prefixes : stage => "${prefix}/endpoint/monitoring" }
}

output "data_quality_report_prefixes" {
  description = "Where each stage's inference runs write Model Monitor's data-quality reports in the central bucket (one folder per run)."
  value       = { for stage, prefix in local.stage_prefixes : stage => "${prefix}/inference/quality" }
}

output "version_source_prefixes" {
  description = "Per stage, the prefixes (in the central bucket) of the stages whose training runs the versions of its group come from: its own, and each stage promoting into it (dev, then prod). Their held-out splits are there."
  value       = { for index, stage in local.workload_stages : stage => [for source in slice(local.workload_stages, 0, index + 1) : local.stage_prefixes[source]] }
}

# Everything one workload account (dev or prod) runs: its key, roles, failure notifications,
# the Lambda of the inference pipeline, the pipeline schedule and rules. (The governance table
# is the registry's: it owns the groups, so their events are emitted there.)

locals {
  training_pipeline  = "${var.model_name}-train-pipeline"
  inference_pipeline = "${var.model_name}-inference-pipeline"
  # Evaluates a candidate and the next stage's champion on the same held-out data.
  comparison_pipeline = "${var.model_name}-comparison-pipeline"
  data_prefix         = "s3://${var.artifacts_bucket_name}/${var.name_prefix}"
  latest_model        = "${var.name_prefix}-latest-approved-model"
  # "MON 03:00" (UTC) -> cron(0 3 ? * MON *): day, hour and minute as EventBridge writes them.
  weekly = var.weekly_training == null ? null : regex("^([A-Z]{3}) ([0-9]{2}):([0-9]{2})$", var.weekly_training)
  training_schedule = local.weekly == null ? null : format(
    "cron(%d %d ? * %s *)", tonumber(local.weekly[2]), tonumber(local.weekly[1]), local.weekly[0]
  )
}

module "kms" {
  source             = "../kms-key"
  alias              = "${var.name_prefix}-workload"
  description        = "SageMaker volumes and outputs and notifications of ${var.name_prefix}."
  service_principals = ["events.amazonaws.com", "sns.amazonaws.com"]
  log_group_names    = concat(["/aws/lambda/${local.latest_model}"], var.endpoint == null ? [] : [var.endpoint.log_group_name])
  tags               = var.tags
}

module "roles" {
  source                     = "../iam-roles"
  name_prefix                = var.name_prefix
  workload_kms_key_arn       = module.kms.key_arn
  artifacts_bucket_name      = var.artifacts_bucket_name
  artifacts_kms_key_arn      = var.artifacts_kms_key_arn
  model_package_group_arns   = [var.model_package_group_arn]
  pipeline_names             = [local.training_pipeline, local.inference_pipeline, local.comparison_pipeline]
  latest_model_function_name = local.latest_model
  ci_role_arn                = var.ci_role_arn
  data_scientist_arns        = var.data_scientist_arns
  training_pipeline_name     = local.training_pipeline
  contract_parameter_arn     = var.contract_parameter_arn
  endpoint                   = var.endpoint == null ? null : { arn = var.endpoint.arn, alarm_arns = var.endpoint.alarm_arns, monitoring_schedule_arn = var.endpoint.monitoring_schedule_arn }
  tags                       = var.tags
}

module "latest_model_function" {
  source        = "../lambda-function"
  function_name = local.latest_model
  description   = "Newest approved model version of a group (inference pipeline)."
  role_arn      = module.roles.latest_model_lambda_role_arn
  package       = var.latest_model_package
  timeout       = 60
  kms_key_arn   = module.kms.key_arn
  tags          = var.tags
}

module "notifications" {
  source                      = "../notifications"
  topic_name                  = "${var.name_prefix}-pipeline-failures"
  kms_key_arn                 = module.kms.key_arn
  publishing_rule_name_prefix = var.name_prefix
  email_addresses             = var.notification_emails
  tags                        = var.tags
}

module "events" {
  source                   = "../pipeline-events"
  name_prefix              = var.name_prefix
  training_pipeline_name   = local.training_pipeline
  inference_pipeline_name  = local.inference_pipeline
  inference_schedule       = var.inference_schedule
  training_schedule        = local.training_schedule
  approved_model_group_arn = var.model_package_group_arn
  inference_parameters = {
    BatchInputUri = "${local.data_prefix}/inference/input/"
  }
  training_parameters = {
    InputDataUri = "${local.data_prefix}/training/input/"
    AucThreshold = tostring(var.auc_threshold)
  }
  retrain_on_failed_inference = var.retrain_on_failed_inference
  notification_topic_arn      = module.notifications.topic_arn
  tags                        = var.tags
}

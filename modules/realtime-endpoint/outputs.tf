output "endpoint_name" {
  description = "Name of the endpoint the function deploys to."
  value       = var.endpoint_name
}

output "endpoint_arn" {
  description = "ARN of that endpoint, known before the function creates it (SageMaker writes its name lowercase there)."
  value       = "${local.sagemaker_arns}:endpoint/${lower(var.endpoint_name)}"
}

output "function_arn" {
  description = "ARN of the deployment function."
  value       = module.function.function_arn
}

output "rule_arns" {
  description = "ARNs of the rules that run the function: `versions` (a status change of the group's versions), `endpoint` (a state change of the endpoint)."
  value       = { for key, rule in aws_cloudwatch_event_rule.this : key => rule.arn }
}

output "alarm_arns" {
  description = "ARNs of the alarms that roll a deployment back (5XX share, model latency), known before they exist: the execution role SageMaker reads them as must be allowed cloudwatch:DescribeAlarms on them."
  value       = local.alarm_arns
}

output "function_log_group_name" {
  description = "The deployment function's log group, known before it exists: the key's policy must let CloudWatch Logs use the key for it."
  value       = local.log_group_name
}

output "data_capture_s3_uri" {
  description = "Where the endpoint captures its requests and answers (null: it captures nothing)."
  value       = try(var.data_capture.destination_s3_uri, null)
}

output "monitoring_schedule_name" {
  description = "The endpoint's Model Monitor data-quality schedule, which the function creates and points at the served version's baseline (null: no monitoring)."
  value       = var.monitoring == null ? null : local.monitoring_schedule_name
}

output "monitoring_schedule_arn" {
  description = "ARN of that schedule, known before the function creates it (null: no monitoring)."
  value       = var.monitoring == null ? null : "${local.sagemaker_arns}:monitoring-schedule/${lower(local.monitoring_schedule_name)}"
}

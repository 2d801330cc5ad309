output "rule_arns" {
  description = "ARNs of the schedule, retraining and notification rules (null: not created)."
  value = {
    inference_schedule = aws_cloudwatch_event_rule.inference_schedule.arn
    training_schedule  = one(aws_cloudwatch_event_rule.training_schedule[*].arn)
    inference_failed   = one(aws_cloudwatch_event_rule.inference_failed[*].arn)
    model_approved     = one(aws_cloudwatch_event_rule.model_approved[*].arn)
    pipeline_failed    = aws_cloudwatch_event_rule.pipeline_failed.arn
  }
}

output "events_role_arn" {
  description = "ARN of the role EventBridge uses to start the pipelines."
  value       = aws_iam_role.events.arn
}

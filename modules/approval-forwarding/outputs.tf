output "rule_arns" {
  description = "Forwarding rule of each stage."
  value       = { for stage, rule in aws_cloudwatch_event_rule.approved : stage => rule.arn }
}

output "role_arn" {
  description = "Role EventBridge uses to put the approvals on the stages' buses."
  value       = aws_iam_role.forward.arn
}

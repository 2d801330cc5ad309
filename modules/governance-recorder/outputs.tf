output "function_arn" {
  description = "ARN of the recorder function."
  value       = module.function.function_arn
}

output "rule_arn" {
  description = "ARN of the rule that sends model-version state changes to the function."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "dead_letter_queue_url" {
  description = "URL of the queue holding the events that could not be recorded."
  value       = aws_sqs_queue.dead_letter.id
}

output "dead_letter_queue_arn" {
  description = "ARN of that queue."
  value       = aws_sqs_queue.dead_letter.arn
}

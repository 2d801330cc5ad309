output "approver_role_arns" {
  description = "Stage -> its approver role's ARN."
  value       = { for stage, role in aws_iam_role.approver : stage => role.arn }
}

output "reader_role_arn" {
  description = "The governance reader role's ARN (null without governance_readers)."
  value       = one(aws_iam_role.reader[*].arn)
}

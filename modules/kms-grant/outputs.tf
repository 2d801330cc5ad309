output "grant_id" {
  description = "ID of the grant."
  value       = aws_kms_grant.this.grant_id
}

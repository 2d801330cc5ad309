# The environment's platform contract (the names and ARNs Terraform decided) as one encrypted
# parameter: CI and other tools read it with ssm:GetParameter instead of Terraform's state.
resource "aws_ssm_parameter" "contract" {
  name        = var.parameter_name
  description = "Platform contract of ${var.environment}: names and ARNs decided by Terraform (JSON)."
  type        = "SecureString"
  key_id      = var.kms_key_arn
  tier        = "Standard"
  value       = jsonencode(var.contract)
}

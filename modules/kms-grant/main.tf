resource "aws_kms_grant" "this" {
  name              = var.name
  key_id            = var.key_arn
  grantee_principal = var.grantee_principal
  operations        = var.operations
}

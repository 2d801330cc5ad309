provider "aws" {
  region              = var.region
  max_retries         = var.aws_max_retries
  allowed_account_ids = [var.account_id]

  dynamic "assume_role" {
    for_each = var.terraform_role_arn == null ? [] : [var.terraform_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "mlops-terraform-${var.environment}"
    }
  }

  default_tags {
    tags = merge(var.tags, { environment = var.environment, managed-by = "terraform" })
  }
}

# The registry account, where this account's pipelines are granted use of the artifacts key.
provider "aws" {
  alias               = "registry"
  region              = var.region
  max_retries         = var.aws_max_retries
  allowed_account_ids = [var.registry_account_id]

  dynamic "assume_role" {
    for_each = var.registry_terraform_role_arn == null ? [] : [var.registry_terraform_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "mlops-terraform-${var.environment}"
    }
  }

  default_tags {
    tags = merge(var.tags, { environment = var.environment, managed-by = "terraform" })
  }
}

# An administrator of the account runs the bootstrap with their own credentials: the role the
# other roots assume is what this root creates.
provider "aws" {
  region              = var.region
  max_retries         = var.aws_max_retries
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = merge(var.tags, { environment = var.environment, managed-by = "terraform" })
  }
}

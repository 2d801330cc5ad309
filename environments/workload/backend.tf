# State lives in an S3 bucket of the target account; the bucket, key, region, role and endpoints
# are given at init time (`mlops init --env NAME` writes that backend configuration).
terraform {
  backend "s3" {}
}

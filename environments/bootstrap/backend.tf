# The state of the bootstrap lives in the bucket it imports, under its own key; `mlops bootstrap`
# creates that bucket first and gives bucket, key and region at init time.
terraform {
  backend "s3" {}
}

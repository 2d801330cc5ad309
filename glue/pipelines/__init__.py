"""The SageMaker pipelines: built from Terraform's outputs, checked as AWS would, upserted."""

from __future__ import annotations

from botocore.exceptions import ClientError


def deployed(sagemaker, name: str) -> dict | None:
    """DescribePipeline's answer, or None where the pipeline does not exist (AWS answers
    ResourceNotFound; the emulator a ValidationException saying so)."""
    try:
        return sagemaker.describe_pipeline(PipelineName=name)
    except ClientError as error:
        if "does not exist" not in str(error) and error.response["Error"]["Code"] not in (
            "ResourceNotFound",
            "ValidationException",
        ):
            raise
        return None

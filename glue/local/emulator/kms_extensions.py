"""CreateKey's defaults as AWS applies them.

KMS creates a symmetric encryption key when CreateKey names no KeyUsage, and a single-Region key
when it names no MultiRegion: DescribeKey then says `ENCRYPT_DECRYPT` and `false`. moto keeps
both empty, and Terraform, importing such a key (the state key `mlops` creates before the
bootstrap root takes it over), plans to replace it for a key usage that differs from the default.
"""

from __future__ import annotations

from typing import Any

from moto.kms.models import KmsBackend

_create_key = KmsBackend.create_key


def _create_key_with_aws_defaults(
    self: KmsBackend,
    policy: str | None,
    key_usage: str | None,
    key_spec: str | None,
    description: str,
    tags: Any,
    multi_region: bool | None = False,
    origin: str = "AWS_KMS",
) -> Any:
    return _create_key(
        self,
        policy,
        key_usage or "ENCRYPT_DECRYPT",
        key_spec,
        description,
        tags,
        bool(multi_region),
        origin,
    )


def install() -> None:
    """Apply CreateKey's defaults (idempotent)."""
    KmsBackend.create_key = _create_key_with_aws_defaults

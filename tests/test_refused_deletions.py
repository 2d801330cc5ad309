"""Which resources a plan deletes, read from the plan's own prior state, by Terraform's address.

The refusals themselves are met on the local AWS: tests/test_walkthrough.py plans and applies
a registry's destroy while its groups hold versions (nothing is deleted), then clears them.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from glue import refused_deletions
from glue.aws import AWS, client
from glue.errors import MlopsError
from tests import accounts


def _plan(resources: list[dict]) -> bytes:
    """A plan file as Terraform writes one: a zip archive whose `tfstate` is the prior state."""
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("tfplan", b"")
        archive.writestr("tfstate", json.dumps({"version": 4, "resources": resources}))
    return content.getvalue()


GROUPS = {
    "module": 'module.model_registry["dev"]',
    "mode": "managed",
    "type": "aws_sagemaker_model_package_group",
    "name": "this",
    "instances": [{"attributes": {"model_package_group_name": "mammo-severity-dev"}}],
}
TABLE = {
    "module": "module.governance_table",
    "mode": "managed",
    "type": "aws_dynamodb_table",
    "name": "this",
    "instances": [{"attributes": {"name": "mammo-governance"}}],
}
RULES = {
    "mode": "managed",
    "type": "aws_cloudwatch_event_rule",
    "name": "approved",
    "instances": [
        {"index_key": "dev", "attributes": {"name": "dev"}},
        {"index_key": 0, "attributes": {"name": "zero"}},
    ],
}
READ = {**TABLE, "mode": "data", "module": "module.governance_table"}


def test_what_a_plan_deletes_is_found_by_address_with_its_attributes():
    plan = _plan([GROUPS, TABLE, RULES, READ])
    changes = [
        ("delete", 'module.model_registry["dev"].aws_sagemaker_model_package_group.this'),
        ("replace", 'aws_cloudwatch_event_rule.approved["dev"]'),
        ("delete", "aws_cloudwatch_event_rule.approved[0]"),
        ("update", "module.governance_table.aws_dynamodb_table.this"),
    ]
    found = {d.address: d.attributes for d in refused_deletions.deleted(plan, changes)}
    assert found == {
        'module.model_registry["dev"].aws_sagemaker_model_package_group.this': {
            "model_package_group_name": "mammo-severity-dev"
        },
        'aws_cloudwatch_event_rule.approved["dev"]': {"name": "dev"},
        "aws_cloudwatch_event_rule.approved[0]": {"name": "zero"},
    }


def test_a_plan_that_deletes_nothing_is_not_read():
    assert list(refused_deletions.deleted(b"not a plan", [("create", "a.b")])) == []


def test_a_plan_without_its_prior_state_is_one_line():
    with pytest.raises(MlopsError, match="holds no prior state"):
        list(refused_deletions.deleted(b"not a plan", [("delete", "a.b")]))


def test_a_protected_table_is_an_obstacle_and_an_unprotected_one_is_not():
    protected = {
        **TABLE,
        "instances": [
            {
                "attributes": {
                    **TABLE["instances"][0]["attributes"],
                    "deletion_protection_enabled": True,
                }
            }
        ],
    }
    delete = [("delete", "module.governance_table.aws_dynamodb_table.this")]
    (obstacle,) = refused_deletions.obstacles(_plan([protected]), delete, None, AWS)
    assert "DynamoDB refuses to delete table mammo-governance" in obstacle
    assert "protect_from_destroy to false" in obstacle
    assert refused_deletions.obstacles(_plan([TABLE]), delete, None, AWS) == []


def test_a_bucket_is_an_obstacle_while_it_holds_objects_unless_force_destroyed(emulator):
    """Read in the account as it stands: any version or delete marker is an object S3 keeps."""
    session = accounts.session(emulator, accounts.MODULE_PLANS_ACCOUNT)
    s3 = client(session, "s3", emulator)
    s3.create_bucket(Bucket="refused-deletions-bucket")
    s3.put_bucket_versioning(
        Bucket="refused-deletions-bucket", VersioningConfiguration={"Status": "Enabled"}
    )

    def obstacles(force_destroy: bool) -> list[str]:
        bucket = {
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": "this",
            "instances": [
                {
                    "attributes": {
                        "bucket": "refused-deletions-bucket",
                        "force_destroy": force_destroy,
                    }
                }
            ],
        }
        plan = _plan([bucket])
        return refused_deletions.obstacles(
            plan, [("delete", "aws_s3_bucket.this")], session, emulator
        )

    assert obstacles(force_destroy=False) == []
    s3.put_object(Bucket="refused-deletions-bucket", Key="model.tar.gz", Body=b"x")
    s3.delete_object(Bucket="refused-deletions-bucket", Key="model.tar.gz")  # a marker is left
    (obstacle,) = obstacles(force_destroy=False)
    assert "S3 refuses to delete bucket refused-deletions-bucket while it holds objects" in obstacle
    assert obstacles(force_destroy=True) == []

"""When a registry plan reads the account's Lambda settings, and the refusal when the Terraform
role may not read them. The account that cannot spare the recorder's reservation is met on the
local AWS started as a new account: tests/test_safety.py."""

from __future__ import annotations

import io
import json
import zipfile
from types import SimpleNamespace

import pytest

from glue import quotas
from glue.aws import AWS
from glue.deploy import ResourceChange
from glue.errors import MlopsError
from tests import accounts


def _plan(reserved_now: int | None) -> bytes:
    """A plan file whose prior state holds the recorder reserving `reserved_now` (None: not
    created yet; -1: created without a reservation)."""
    resources = []
    if reserved_now is not None:
        resources.append(
            {
                "module": "module.governance_recorder.module.function",
                "mode": "managed",
                "type": "aws_lambda_function",
                "name": "this",
                "instances": [{"attributes": {"reserved_concurrent_executions": reserved_now}}],
            }
        )
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("tfstate", json.dumps({"resources": resources}))
    return content.getvalue()


def _registry(wanted: int | None, account: str = "111111111111") -> SimpleNamespace:
    values = {} if wanted is None else {quotas.RESERVATION_KEY: wanted}
    return SimpleNamespace(
        account_id=account, name="registry", tfvars_file="registry.tfvars.json", values=values
    )


@pytest.mark.parametrize(
    ("now", "wanted", "action", "reads"),
    [
        (None, 2, "create", True),
        (2, 3, "update", True),
        (-1, 2, "update", True),
        (2, 2, "update", False),
        (3, 2, "update", False),
        (None, 2, "delete", False),
        (None, None, "create", False),  # a stage: no recorder, no key
    ],
)
def test_only_a_new_or_larger_reservation_reads_the_account(now, wanted, action, reads):
    class Read(Exception):
        """The account's settings were asked for."""

    def session():
        raise Read

    changes = [ResourceChange(action, quotas.RECORDER)]
    read = False
    try:
        quotas.check_concurrency(_registry(wanted), _plan(now), changes, session, AWS)
    except Read:
        read = True
    assert read is reads


@pytest.mark.refuses("lambda:GetAccountSettings")
def test_a_terraform_role_that_may_not_read_the_settings_is_told_to_bootstrap_again(emulator):
    account = accounts.MODULE_PLANS_ACCOUNT
    role_arn = f"arn:aws:iam::{account}:role/bootstrapped-before-the-quota-check"
    accounts.make_role(emulator, role_arn)
    accounts.client_in(emulator, account, "iam").put_role_policy(
        RoleName=role_arn.rsplit("/", 1)[1],
        PolicyName="as-before-the-check",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Action": "lambda:GetAccountSettings", "Resource": "*"}
                ],
            }
        ),
    )
    changes = [ResourceChange("create", quotas.RECORDER)]
    with pytest.raises(MlopsError, match="needs lambda:GetAccountSettings, which its Terraform"):
        quotas.check_concurrency(
            _registry(2, account),
            _plan(None),
            changes,
            lambda: accounts.role_session(emulator, role_arn),
            emulator,
        )

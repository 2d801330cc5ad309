"""What a plan reserves of Lambda's concurrency, and the refusal when the Terraform role may not
read the account's settings. The account that cannot spare a reservation is met on the local
AWS started as a new account: tests/test_safety.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from glue import quotas
from glue.errors import MlopsError
from tests import accounts

RECORDER = "module.governance_recorder.aws_lambda_function.this"


def _plan_json(before: int | None, after: int | None) -> bytes:
    change = {
        "address": RECORDER,
        "type": "aws_lambda_function",
        "change": {
            "before": None if before is None else {"reserved_concurrent_executions": before},
            "after": None if after is None else {"reserved_concurrent_executions": after},
        },
    }
    return json.dumps({"resource_changes": [change]}).encode()


@pytest.mark.parametrize(
    ("before", "after", "checked"),
    [(None, 2, True), (2, 3, True), (-1, 2, True), (2, 2, False), (3, 2, False), (None, -1, False)],
)
def test_only_more_reserved_concurrency_reads_the_account(before, after, checked):
    """A creation or an increase is checked against the account; the same, less or none
    (-1: unreserved) needs nothing, so reads nothing (here: no session to read with)."""

    class Read(Exception):
        """The account was read."""

    class Session:
        def client(self, *arguments, **keywords):
            raise Read

    config = SimpleNamespace(account_id="111111111111", name="registry")
    read = False
    try:
        quotas.check_concurrency(_plan_json(before, after), Session(), None, config)
    except Read:
        read = True
    assert read is checked


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
    session = accounts.role_session(emulator, role_arn)
    config = SimpleNamespace(account_id=account, name="registry")
    with pytest.raises(MlopsError, match="needs lambda:GetAccountSettings, which its Terraform"):
        quotas.check_concurrency(_plan_json(None, 2), session, emulator, config)

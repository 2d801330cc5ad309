"""An administrator of each account of the local AWS: what `mlops bootstrap` runs as there.

On AWS an administrator bootstraps an account with their own credentials; the local AWS has
nobody, so one is made: the account's root user (the emulator hands out its access keys) creates
an IAM user with full access to the account and a fresh access key (the emulator puts every
request signed with that key in the user's account, as AWS does).
"""

from __future__ import annotations

import json

from glue.aws import client, session_with
from glue.local.emulator.control import Emulator, root_credentials

ADMINISTRATOR = "mlops-local-administrator"
# What an account's administrator holds (AWS's AdministratorAccess, as an inline policy: the
# local AWS does not load AWS's managed policies).
ADMINISTRATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def credentials(emulator: Emulator, account_id: str, region: str) -> dict[str, str]:
    """A new access key of the account's administrator (made the first time), as environment
    variables; the older keys are deleted, so the user never reaches IAM's limit of two."""
    iam = client(session_with(region, root_credentials(emulator, account_id)), "iam", emulator)
    try:
        iam.create_user(UserName=ADMINISTRATOR)
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=ADMINISTRATOR)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=ADMINISTRATOR, AccessKeyId=key["AccessKeyId"])
    iam.put_user_policy(
        UserName=ADMINISTRATOR,
        PolicyName="administrator",
        PolicyDocument=json.dumps(ADMINISTRATOR_POLICY),
    )
    key = iam.create_access_key(UserName=ADMINISTRATOR)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }

"""An administrator of each account of the local AWS: what `mlops bootstrap` runs as there.

On AWS an administrator bootstraps an account with their own credentials; the local AWS has
nobody, so one is made: an IAM user of the account with a fresh access key (the emulator puts
every request signed with that key in the user's account, as AWS does).
"""

from __future__ import annotations

from glue.aws import assumed_session, client
from glue.local.emulator.control import Emulator

ADMINISTRATOR = "mlops-local-administrator"


def credentials(emulator: Emulator, account_id: str, region: str) -> dict[str, str]:
    """A new access key of the account's administrator (made the first time), as environment
    variables; the older keys are deleted, so the user never reaches IAM's limit of two."""
    iam = client(
        assumed_session(f"arn:aws:iam::{account_id}:role/{ADMINISTRATOR}", region, emulator),
        "iam",
        emulator,
    )
    try:
        iam.create_user(UserName=ADMINISTRATOR)
    except iam.exceptions.EntityAlreadyExistsException:
        for key in iam.list_access_keys(UserName=ADMINISTRATOR)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=ADMINISTRATOR, AccessKeyId=key["AccessKeyId"])
    key = iam.create_access_key(UserName=ADMINISTRATOR)["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }

"""The people of the local AWS's accounts: each account's administrator (what `mlops bootstrap`
runs as there) and any other IAM user the local platform stands in for (its CI's user).

On AWS an administrator bootstraps an account with their own credentials; the local AWS has
nobody, so one is made: the account's root user (the emulator hands out its access keys) creates
an IAM user with full access to the account and an access key (the emulator puts every request
signed with that key in the user's account, as AWS does). A user's key is made once per run of
the emulator and kept in the state folder: a bootstrap still applying in the background (a
command's, or another process's) goes on signing with it.
"""

from __future__ import annotations

import contextlib
import json

from glue.aws import client
from glue.files import locked, write_whole
from glue.local.emulator.control import Emulator, as_variables
from glue.local.services import as_aws
from glue.settings import state_dir

ADMINISTRATOR = "mlops-local-administrator"
# What an account's administrator holds (AWS's AdministratorAccess, as an inline policy: the
# local AWS does not load AWS's managed policies).
ADMINISTRATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def user_keys(
    emulator: Emulator, account_id: str, user: str, policy: dict, region: str
) -> dict[str, str]:
    """The access key of an IAM user of the account holding `policy` (inline), both made by the
    account's root the first time in a run of the emulator (a set-up cut short is completed:
    the user kept, its older keys replaced), as environment variables."""
    folder = state_dir() / "users" / emulator.instance
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / f"{account_id}-{user}.json"
    with locked(folder / f"{account_id}-{user}.lock"):
        if saved.is_file():
            return json.loads(saved.read_text())
        iam = client(as_aws(emulator, account_id, region), "iam", emulator)
        with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
            iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=json.dumps(policy))
        for old in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=user, AccessKeyId=old["AccessKeyId"])
        keys = as_variables(iam.create_access_key(UserName=user)["AccessKey"])
        write_whole(saved, json.dumps(keys).encode())  # (0600: a temporary file, moved)
        return keys


def credentials(emulator: Emulator, account_id: str, region: str) -> dict[str, str]:
    """The access key of the account's administrator, as environment variables."""
    return user_keys(emulator, account_id, ADMINISTRATOR, ADMINISTRATOR_POLICY, region)

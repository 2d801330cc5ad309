"""An administrator of each account of the local AWS: what `mlops bootstrap` runs as there.

On AWS an administrator bootstraps an account with their own credentials; the local AWS has
nobody, so one is made: the account's root user (the emulator hands out its access keys) creates
an IAM user with full access to the account and an access key (the emulator puts every request
signed with that key in the user's account, as AWS does). The key is made once per run of the
emulator and kept in the state folder: a bootstrap still applying in the background (a
command's, or another process's) goes on signing with it.
"""

from __future__ import annotations

import fcntl
import json
import os

from glue.aws import client, session_with
from glue.local.emulator.control import Emulator, as_variables, root_credentials
from glue.settings import state_dir

ADMINISTRATOR = "mlops-local-administrator"
# What an account's administrator holds (AWS's AdministratorAccess, as an inline policy: the
# local AWS does not load AWS's managed policies).
ADMINISTRATOR_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def credentials(emulator: Emulator, account_id: str, region: str) -> dict[str, str]:
    """The access key of the account's administrator (both made the first time in a run of the
    emulator), as environment variables."""
    folder = state_dir() / "administrators" / emulator.instance
    folder.mkdir(parents=True, exist_ok=True)
    saved = folder / f"{account_id}.json"
    with (folder / f"{account_id}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if saved.is_file():
            return json.loads(saved.read_text())
        iam = client(session_with(region, root_credentials(emulator, account_id)), "iam", emulator)
        iam.create_user(UserName=ADMINISTRATOR)
        iam.put_user_policy(
            UserName=ADMINISTRATOR,
            PolicyName="administrator",
            PolicyDocument=json.dumps(ADMINISTRATOR_POLICY),
        )
        keys = as_variables(iam.create_access_key(UserName=ADMINISTRATOR)["AccessKey"])
        saved.write_text(json.dumps(keys))
        os.chmod(saved, 0o600)
        return keys

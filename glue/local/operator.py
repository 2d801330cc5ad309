"""Who runs the local platform: the CI principal its tfvars name, in accounts bootstrapped for it.

On AWS an administrator bootstraps each account (`mlops bootstrap`: the state store and the role
Terraform runs as) and CI runs everything after it as the role the tfvars name
(`terraform_principal_arns`, `ci_role_arn`). The local accounts start with nobody, so the local
platform does the same for itself:

- the CI role is made in its account by that account's root, trusted by its own account, with a
  policy to assume each environment's Terraform role and the roles the platform names with its
  prefix (the stages' deploy roles); a user of that account (`mlops-local-ci`) assumes it. Its
  keys live in the state folder, one set per run of the emulator;
- the first command that needs an account bootstraps it, as `mlops bootstrap` would, as the
  account's local administrator, in a process of its own (state folder: `operator/<run>/`).
  The bootstrap's apply waits about a minute on the AWS provider (it polls the state bucket's
  new lifecycle rule until three reads agree, 10 s apart), so the command goes on as soon as
  the Terraform role and its policy exist, and the apply ends in the background (`finish()`
  waits for the ones a process started).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from glue.aws import client, session_with
from glue.config import EnvironmentConfig
from glue.errors import MlopsError
from glue.local.emulator.control import Emulator, as_variables, root_credentials
from glue.settings import state_dir

CI_USER = "mlops-local-ci"
CI_SESSION = "mlops-local-ci"
# The bootstrap's last resource that the commands after it need (the Terraform role's policy).
_READY = "module.bootstrap.aws_iam_role_policy.terraform: "
READY_TIMEOUT_SECONDS = 300.0


_LOCK = threading.Lock()
# What this process did already: the policies it put on the CI role (by run of the emulator).
_ALLOWED: set[tuple[str, str | None, str, str]] = set()


def _folder(emulator: Emulator) -> Path:
    folder = state_dir() / "operator" / emulator.instance
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Held by one process at a time (threads of this one take `_LOCK` first)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _ci_role_arn(config: EnvironmentConfig) -> str:
    principals = config.values.get("terraform_principal_arns") or []
    roles = [arn for arn in principals if ":role/" in arn]
    if not config.terraform_role_arn or not roles:
        raise MlopsError(
            f"{config.tfvars_file}: the local platform runs {config.name} as the CI role its "
            "tfvars name: it needs terraform_role_arn and a role in terraform_principal_arns"
        )
    return roles[0]


def _ci_user_keys(emulator: Emulator, role_arn: str, region: str) -> dict[str, str]:
    """The CI role, made once per run of the emulator, and the keys of the user that assumes it."""
    path = _folder(emulator) / "ci.json"
    with _locked(_folder(emulator) / "ci.lock"):
        if path.is_file():
            saved = json.loads(path.read_text())
            if saved["role_arn"] != role_arn:
                raise MlopsError(
                    f"the local platform runs as {saved['role_arn']}; these tfvars name "
                    f"{role_arn}: one local AWS serves one CI principal"
                )
            return saved["keys"]
        account = role_arn.split(":")[4]
        iam = client(session_with(region, root_credentials(emulator, account)), "iam", emulator)
        partition = role_arn.split(":")[1]
        name = role_arn.rsplit("/", 1)[1]
        path_of_role = role_arn.split(":role", 1)[1].rsplit("/", 1)[0] + "/"
        iam.create_role(
            RoleName=name,
            Path=path_of_role,
            AssumeRolePolicyDocument=_policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
        iam.create_user(UserName=CI_USER)
        iam.put_user_policy(
            UserName=CI_USER,
            PolicyName="assume-the-ci-role",
            PolicyDocument=_policy(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
            ),
        )
        key = iam.create_access_key(UserName=CI_USER)["AccessKey"]
        keys = as_variables(key)
        path.write_text(json.dumps({"role_arn": role_arn, "keys": keys}))
        os.chmod(path, 0o600)
        return keys


def _allow_assuming(emulator: Emulator, config: EnvironmentConfig, ci_role_arn: str) -> None:
    """The CI role may assume the environment's Terraform role (a stage's, the registry's too)
    and the roles named with the platform's prefix in its account (a stage's deploy role)."""
    allowed = (emulator.instance, config.terraform_role_arn, config.name, ci_role_arn)
    with _LOCK:
        if allowed in _ALLOWED:
            return
    account = ci_role_arn.split(":")[4]
    partition = ci_role_arn.split(":")[1]
    roles = [config.terraform_role_arn]
    if config.values.get("registry_terraform_role_arn"):
        roles.append(config.values["registry_terraform_role_arn"])
    roles.append(f"arn:{partition}:iam::{config.account_id}:role/{config.values['name_prefix']}-*")
    iam = client(session_with(config.region, root_credentials(emulator, account)), "iam", emulator)
    iam.put_role_policy(
        RoleName=ci_role_arn.rsplit("/", 1)[1],
        PolicyName=f"assume-the-roles-of-{config.values['name_prefix']}-{config.name}",
        PolicyDocument=_policy({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}),
    )
    with _LOCK:
        _ALLOWED.add(allowed)


_SESSIONS: dict[str, dict[str, str]] = {}


def credentials(emulator: Emulator, region: str) -> dict[str, str]:
    """The CI role's session (as environment variables), once per process and run of the
    emulator."""
    with _LOCK:
        if emulator.instance in _SESSIONS:
            return _SESSIONS[emulator.instance]
    path = _folder(emulator) / "ci.json"
    if not path.is_file():
        raise MlopsError(
            "nothing is deployed on the local AWS yet (no account bootstrapped for its CI "
            "principal): run `mlops plan --env registry` first"
        )
    saved = json.loads(path.read_text())
    sts = client(session_with(region, saved["keys"]), "sts", emulator)
    answer = sts.assume_role(RoleArn=saved["role_arn"], RoleSessionName=CI_SESSION)
    with _LOCK:
        return _SESSIONS.setdefault(emulator.instance, as_variables(answer["Credentials"]))


def ci_credentials(config: EnvironmentConfig, emulator: Emulator) -> dict[str, str]:
    """The session of the CI principal the tfvars name, made first if need be (no account need
    be bootstrapped: it may assume nothing until one is)."""
    _ci_user_keys(emulator, _ci_role_arn(config), config.region)
    return credentials(emulator, config.region)


def _markers(config: EnvironmentConfig, emulator: Emulator) -> dict[str, Path]:
    """The files of the bootstrap of the environment's Terraform role (a platform of another
    name prefix in the same account has a Terraform role of its own): `lock` held by the
    process applying it, `ready` once the role can be assumed, `done` when the apply ended,
    `failed` (its error) when it failed, `log` (Terraform's own words)."""
    role = str(config.terraform_role_arn).replace(":", "_").replace("/", "_")
    folder = _folder(emulator)
    return {kind: folder / f"{role}.{kind}" for kind in ("lock", "ready", "done", "failed", "log")}


def _held(lock: Path) -> bool:
    """Does a process hold the lock (a bootstrap is being applied)?"""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


# The bootstraps this process started (their markers' `done`, `failed`).
_STARTED: dict[Path, dict[str, Path]] = {}


def start(config: EnvironmentConfig, emulator: Emulator) -> None:
    """Begin bootstrapping the environment's account for the CI principal, unless it was or is
    being bootstrapped (once per run of the emulator), in a process of its own: it finishes the
    apply whatever becomes of the command that started it (an interrupt included)."""
    ci_role = _ci_role_arn(config)
    _ci_user_keys(emulator, ci_role, config.region)
    _allow_assuming(emulator, config, ci_role)
    markers = _markers(config, emulator)
    if markers["ready"].is_file() or _held(markers["lock"]):
        return
    markers["failed"].unlink(missing_ok=True)
    with markers["log"].open("a") as log:
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                __name__,
                config.name,
                str(config.tfvars_file),
                emulator.instance,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    with _LOCK:
        _STARTED[markers["done"]] = markers


def bootstrapped(config: EnvironmentConfig, emulator: Emulator) -> None:
    """The environment's account bootstrapped for the CI principal; returns as soon as its
    Terraform role can be assumed (the apply goes on in the background)."""
    start(config, emulator)
    markers = _markers(config, emulator)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not markers["ready"].is_file():
        _raise_if_failed(config, markers)
        if time.monotonic() > deadline:
            raise MlopsError(
                f"the bootstrap of {config.name} for the local platform did not make its "
                f"Terraform role within {READY_TIMEOUT_SECONDS:.0f}s: see {markers['log']}"
            )
        time.sleep(0.2)


def _raise_if_failed(config: EnvironmentConfig, markers: dict[str, Path]) -> None:
    if markers["failed"].is_file():
        raise MlopsError(
            f"the bootstrap of {config.name} for the local platform failed: "
            f"{markers['failed'].read_text().strip()} (the next command tries again)"
        )


def finish() -> None:
    """Wait for the bootstraps this process started to end; a failure is raised."""
    with _LOCK:
        started = list(_STARTED.values())
    for markers in started:
        while not markers["done"].is_file() and not markers["failed"].is_file():
            if not _held(markers["lock"]) and not markers["done"].is_file():
                break  # it ended without a word (killed): the next command starts it again
            time.sleep(0.2)
        if markers["failed"].is_file():
            raise MlopsError(f"a bootstrap of the local platform failed: see {markers['log']}")


def _bootstrap(name: str, tfvars: str, instance: str) -> int:
    """The bootstrap process: applies the environment's bootstrap, holding its lock."""
    from glue import bootstrap
    from glue.config import load
    from glue.local.emulator import control

    config = load(name, Path(tfvars))
    emulator = control.find()
    if emulator is None or emulator.instance != instance:
        return 1  # the local AWS it was started for is gone
    markers = _markers(config, emulator)

    def progress(message: str) -> None:
        if message.startswith(_READY) and "complete" in message:
            markers["ready"].touch()

    with _locked(markers["lock"]):
        if markers["done"].is_file():
            return 0
        try:
            bootstrap.bootstrap(config, emulator, progress=progress)
        except BaseException as error:
            markers["failed"].write_text(f"{error}\n")
            raise
        markers["ready"].touch()
        markers["done"].touch()
    return 0


if __name__ == "__main__":
    sys.exit(_bootstrap(*sys.argv[1:]))

"""Who runs the local platform: the CI principal its tfvars name, in accounts bootstrapped for it.

On AWS an administrator bootstraps each account (`mlops bootstrap`: the state store and the role
Terraform runs as) and CI runs everything after it as the role the tfvars name (`ci_role_arn`,
one of `terraform_principal_arns`). The local accounts start with nobody, so the local platform
does the same for itself:

- the CI role is made in its account by that account's root, trusted by its own account, with a
  policy to assume what the README's delivery section grants it (`assumable_roles`: each
  environment's Terraform role and each stage's deploy role); a user of that account
  (`mlops-local-ci`) assumes it. Its keys live in the state folder, one set per run of the
  emulator;
- the first command that needs an account bootstraps it, as `mlops bootstrap` would, as the
  account's local administrator, in a process of its own (files in `operator/<run>/`). The
  bootstrap's apply waits about a minute on the AWS provider (it polls the state bucket's new
  lifecycle rule until ten reads agree, 5 s apart), so the command goes on as soon as the
  Terraform role and its policy exist, and the apply ends in the background; `stop` ends the
  ones still applying when the local AWS stops.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from glue.aws import client, session_with
from glue.config import WORKLOAD_ENVIRONMENTS, EnvironmentConfig
from glue.errors import MlopsError
from glue.files import locked, write_whole
from glue.local import administrators
from glue.local.emulator.control import Emulator, as_variables
from glue.local.services import as_aws
from glue.settings import state_dir

CI_USER = "mlops-local-ci"
# The person a command runs as on the local AWS, instead of the CI principal: an IAM user of
# the CI principal's account, as people sign in to an identity account (e.g. dana, whom the
# registry's tfvars name as dev's approver).
PERSON_ENV = "MLOPS_LOCAL_AS"
# What the identity account lets its people do: assume roles with their own identity set. Each
# role's trust policy decides who may assume it.
PERSON_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AssumeRolesAsThemselves",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Resource": "arn:aws:iam::*:role/*",
        }
    ],
}
_USER_NAME = re.compile(r"[a-zA-Z0-9_+=,.@-]{1,64}")
CI_SESSION = "mlops-local-ci"
# The bootstrap's last resource that the commands after it need (the Terraform role's policy).
_READY = "module.bootstrap.aws_iam_role_policy.terraform: "
READY_TIMEOUT_SECONDS = 300.0

_LOCK = threading.Lock()
# What this process did already, by run of the emulator: the policies it put on the CI role,
# the CI role's session.
_ALLOWED: set[tuple[str, str]] = set()
_SESSIONS: dict[str, dict[str, str]] = {}


def _folder(emulator: Emulator) -> Path:
    folder = state_dir() / "operator" / emulator.instance
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def ci_role_arn(config: EnvironmentConfig) -> str:
    """The CI principal of the tfvars: `ci_role_arn` (a stage's), else the first role of
    `terraform_principal_arns`."""
    principals = [
        config.values.get("ci_role_arn"),
        *config.values.get("terraform_principal_arns", []),
    ]
    roles = [arn for arn in principals if arn and ":role/" in arn]
    if not config.terraform_role_arn or not roles:
        raise MlopsError(
            f"{config.tfvars_file}: the local platform runs {config.name} as the CI role its "
            "tfvars name: it needs terraform_role_arn and a role in terraform_principal_arns"
        )
    return roles[0]


def assumable_roles(config: EnvironmentConfig) -> list[str]:
    """What the CI principal assumes for the environment (README, "Delivery with Jenkins"): its
    Terraform role, a stage's the registry's too, and a stage's deploy role."""
    roles = [config.terraform_role_arn]
    if config.name in WORKLOAD_ENVIRONMENTS:
        roles.append(config.values.get("registry_terraform_role_arn"))
        partition = config.terraform_role_arn.split(":")[1]
        deploy = f"{config.values['name_prefix']}-{config.name}-ci-deploy"
        roles.append(f"arn:{partition}:iam::{config.account_id}:role/{deploy}")
    return [role for role in roles if role]


def _ci_user_keys(emulator: Emulator, role_arn: str, region: str) -> dict[str, str]:
    """The CI role, made once per run of the emulator, and the keys of the user that assumes it
    (`administrators.user_keys`; a set-up cut short is completed by the next call)."""
    made = _folder(emulator) / "ci-role"
    account, partition = role_arn.split(":")[4], role_arn.split(":")[1]
    with locked(_folder(emulator) / "ci.lock"):
        if made.is_file() and made.read_text() != role_arn:
            raise MlopsError(
                f"the local platform runs as {made.read_text()}; these tfvars name "
                f"{role_arn}: one local AWS serves one CI principal (to change it, "
                "`mlops local down` then `mlops local up`)"
            )
        if not made.is_file():
            trust = {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
            iam = client(as_aws(emulator, account, region), "iam", emulator)
            with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
                iam.create_role(
                    RoleName=role_arn.rsplit("/", 1)[1],
                    Path=role_arn.split(":role", 1)[1].rsplit("/", 1)[0] + "/",
                    AssumeRolePolicyDocument=_policy(trust),
                )
            write_whole(made, role_arn.encode())
    return _ci_user(emulator, role_arn, region)


def _ci_user(emulator: Emulator, role_arn: str, region: str) -> dict[str, str]:
    """The keys of the user that assumes the CI role (allowed that and nothing else)."""
    assume = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
    policy = {"Version": "2012-10-17", "Statement": [assume]}
    return administrators.user_keys(emulator, role_arn.split(":")[4], CI_USER, policy, region)


def _allow_assuming(emulator: Emulator, config: EnvironmentConfig, role_arn: str) -> None:
    """The CI role may assume the environment's roles (`assumable_roles`)."""
    policy = f"assume-the-roles-of-{config.values['name_prefix']}-{config.name}"
    with _LOCK:
        if (emulator.instance, policy) in _ALLOWED:
            return
    iam = client(as_aws(emulator, role_arn.split(":")[4], config.region), "iam", emulator)
    iam.put_role_policy(
        RoleName=role_arn.rsplit("/", 1)[1],
        PolicyName=policy,
        PolicyDocument=_policy(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": assumable_roles(config)}
        ),
    )
    with _LOCK:
        _ALLOWED.add((emulator.instance, policy))


def credentials(emulator: Emulator, region: str) -> dict[str, str]:
    """The CI role's session (as environment variables), once per process and run of the
    emulator (the local AWS does not expire sessions)."""
    with _LOCK:
        if emulator.instance in _SESSIONS:
            return _SESSIONS[emulator.instance]
    made = _folder(emulator) / "ci-role"
    if not made.is_file():
        raise MlopsError(
            "the local AWS has no CI principal yet (it is made by the first command that "
            "reads tfvars): run `mlops plan --env registry` first"
        )
    role_arn = made.read_text()
    sts = client(session_with(region, _ci_user(emulator, role_arn, region)), "sts", emulator)
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=CI_SESSION)
    with _LOCK:
        return _SESSIONS.setdefault(emulator.instance, as_variables(answer["Credentials"]))


# Who signs, set for a block of code (the demo's people; the local platform doing what AWS or CI
# would do after a person's command, e.g. delivering the events it caused: "" is the CI
# principal). Unset, MLOPS_LOCAL_AS decides.
_PERSON: contextvars.ContextVar[str | None] = contextvars.ContextVar("person", default=None)


@contextlib.contextmanager
def acting_as(person: str) -> Iterator[None]:
    """Sign as the person (an IAM user name; "" is the CI principal) within the block."""
    token = _PERSON.set(person)
    try:
        yield
    finally:
        _PERSON.reset(token)


def acting_as_ci():
    return acting_as("")


def person_among(principals: list[str], role: str) -> str:
    """The local person to act as one of `principals` (the tfvars' ARNs): the first IAM user
    (made in the CI principal's account, where the local platform's people sign in)."""
    users = [arn.rsplit("/", 1)[1] for arn in principals if ":user/" in arn]
    if not users:
        raise MlopsError(
            f"the local platform acts as {role} through an IAM user: name one (of the CI "
            "principal's account) in the registry's tfvars"
        )
    return users[0]


def approver(registry: EnvironmentConfig, stage: str) -> str:
    """The stage's first approver the registry's tfvars name (the demo's people)."""
    return person_among(registry.values["model_approvers"][stage], f"{stage}'s approver")


def reader(registry: EnvironmentConfig) -> str:
    """The first governance reader the registry's tfvars name."""
    readers = registry.values.get("governance_readers") or []
    return person_among(readers, "the governance reader")


def ambient_credentials(emulator: Emulator, region: str) -> dict[str, str]:
    """What a command signs with on the local AWS: the person MLOPS_LOCAL_AS names (made in the
    CI principal's account the first time), else the CI principal."""
    name = _PERSON.get()
    if name is None:
        name = os.environ.get(PERSON_ENV)
    if not name:
        return credentials(emulator, region)
    if not _USER_NAME.fullmatch(name):
        raise MlopsError(
            f"{PERSON_ENV}={name!r}: an IAM user name (1-64 letters, digits or _ + = , . @ -)"
        )
    made = _folder(emulator) / "ci-role"
    if not made.is_file():
        raise MlopsError(
            "the local AWS has no people yet (they join the CI principal's account, made by "
            "the first command that reads tfvars): run `mlops plan --env registry` first"
        )
    account = made.read_text().split(":")[4]
    return administrators.user_keys(emulator, account, name, PERSON_POLICY, region)


def ci_credentials(config: EnvironmentConfig, emulator: Emulator) -> dict[str, str]:
    """The session of the CI principal the tfvars name, made first if need be (no account need
    be bootstrapped: it may assume nothing until one is)."""
    _ci_user_keys(emulator, ci_role_arn(config), config.region)
    return credentials(emulator, config.region)


# --- the bootstraps ---------------------------------------------------------------------------


def _markers(config: EnvironmentConfig, emulator: Emulator) -> dict[str, Path]:
    """The files of the bootstrap of the environment's Terraform role (a platform of another
    name prefix in the same account has a Terraform role of its own): `lock`, held by the
    process applying it from before it starts; `ready` once the role can be assumed; `done`
    when the apply ended; `failed` (its error) when it failed; `pid`; `log` (its output)."""
    role = str(config.terraform_role_arn).replace(":", "_").replace("/", "_")
    kinds = ("lock", "ready", "done", "failed", "pid", "log")
    return {kind: _folder(emulator) / f"{role}.{kind}" for kind in kinds}


def _held(lock: Path) -> bool:
    """Does a process hold the lock (a bootstrap is being applied)?"""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def start(config: EnvironmentConfig, emulator: Emulator) -> None:
    """Begin bootstrapping the environment's account for the CI principal, unless it was or is
    being bootstrapped (once per run of the emulator; a failed one again), in a process of its
    own: it finishes the apply whatever becomes of the command that started it (an interrupt
    included). The lock is taken here and handed to that process, so no second one starts."""
    role = ci_role_arn(config)
    _ci_user_keys(emulator, role, config.region)
    _allow_assuming(emulator, config, role)
    markers = _markers(config, emulator)
    if markers["done"].is_file():
        return
    lock = markers["lock"].open("a")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # being applied
        if markers["done"].is_file():
            return
        for kind in ("ready", "failed"):
            markers[kind].unlink(missing_ok=True)
        arguments = [config.name, str(config.tfvars_file), emulator.instance, str(lock.fileno())]
        with markers["log"].open("a") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", __name__, *arguments],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(lock.fileno(),),
            )
        write_whole(markers["pid"], str(child.pid).encode())
    finally:
        lock.close()  # the child holds the lock from here on


def bootstrapped(config: EnvironmentConfig, emulator: Emulator) -> None:
    """The environment's account bootstrapped for the CI principal; returns as soon as its
    Terraform role can be assumed (the apply goes on in the background)."""
    start(config, emulator)
    markers = _markers(config, emulator)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not markers["ready"].is_file():
        if markers["failed"].is_file() or not _held(markers["lock"]):
            if markers["ready"].is_file():  # written just before it ended
                return
            raise MlopsError(
                f"the bootstrap of {config.name} for the local platform failed: "
                f"{_why(markers)} (the next command tries again; its output: {markers['log']})"
            )
        if time.monotonic() > deadline:
            raise MlopsError(
                f"the bootstrap of {config.name} for the local platform did not make its "
                f"Terraform role within {READY_TIMEOUT_SECONDS:.0f}s: see {markers['log']}"
            )
        time.sleep(0.2)


def _why(markers: dict[str, Path]) -> str:
    if markers["failed"].is_file():
        return markers["failed"].read_text().strip() or "interrupted"
    return "it ended without saying why"


def _started(emulator: Emulator) -> list[Path]:
    """The bootstraps started against the emulator (their pid files)."""
    folder = state_dir() / "operator" / emulator.instance
    return sorted(folder.glob("*.pid")) if folder.is_dir() else []


def finish(emulator: Emulator) -> None:
    """Wait for the bootstraps started against the emulator to end; a failure is raised."""
    for pid_file in _started(emulator):
        while _held(pid_file.with_suffix(".lock")):
            time.sleep(0.2)
        if not pid_file.with_suffix(".done").is_file():
            failed = pid_file.with_suffix(".failed")
            why = failed.read_text().strip() if failed.is_file() else "it ended without saying why"
            raise MlopsError(f"a bootstrap of the local platform failed: {why or 'interrupted'}")


def stop(emulator: Emulator) -> None:
    """End the bootstraps still applying against the emulator (before it stops: else their
    Terraform would go on against nothing)."""
    for pid_file in _started(emulator):
        lock = pid_file.with_suffix(".lock")
        if lock.is_file() and _held(lock):
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)


def _bootstrap(name: str, tfvars: str, instance: str, lock_fd: str) -> int:
    """The bootstrap process: applies the environment's bootstrap, holding the lock it was
    handed (released when it ends, however it ends)."""
    from glue import bootstrap
    from glue.config import load
    from glue.local.emulator import control

    config = load(name, Path(tfvars))
    emulator = control.find()
    if emulator is None or emulator.instance != instance:
        print(f"the local AWS it was started for ({instance}) is gone", file=sys.stderr)
        return 1
    markers = _markers(config, emulator)

    def progress(message: str) -> None:
        if message.startswith(_READY) and "complete" in message:
            markers["ready"].touch()

    with os.fdopen(int(lock_fd), "a"):
        try:
            bootstrap.bootstrap(config, emulator, progress=progress)
        except BaseException as error:
            markers["failed"].write_text(f"{error}\n")
            markers["ready"].unlink(missing_ok=True)
            raise
        markers["ready"].touch()
        markers["done"].touch()
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(_bootstrap(*sys.argv[1:]))

"""Safe by construction: the reviewed plan, the emulator's identity and every error as one line.

Each test here is a case a new user or a tester met: a failed plan replacing the reviewed one,
`local down` signalling a process that merely reused the emulator's pid, tracebacks, a lock
nobody could name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from glue import aws, config, deploy, saved_plans, state_store
from glue.aws import AWS, client
from glue.errors import MlopsError
from glue.local.emulator import control
from glue.local.target import Emulator, record_applied
from tests import accounts
from tests.test_cli import PROJECT_ROOT, mlops, one_line, started

pytestmark = pytest.mark.emulator


def _tfvars(folder: Path, environment: str, **changes) -> Path:
    """The shipped tfvars of an environment with changes (its own name_prefix: its own state
    and Terraform role; the tests here share one, `safety`, which none of them applies, so that
    each account is bootstrapped for it once)."""
    values = json.loads((PROJECT_ROOT / f"{environment}.tfvars.json").read_text())
    if "name_prefix" in changes:
        values = accounts.own_platform(values, changes.pop("name_prefix"))
    values.update({"protect_from_destroy": False, **changes})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{environment}.tfvars.json"
    path.write_text(json.dumps(values))
    return path


def _plan_files(plan_file: Path) -> dict[str, bytes]:
    files = [plan_file, saved_plans.stamp_for(plan_file)]
    return {path.name: path.read_bytes() for path in files}


def _failing_terraform(folder: Path) -> Path:
    """A terraform that fails every plan after writing an errored plan file, as Terraform
    does when a variable or the provider refuses; everything else is the real one."""
    real = subprocess.run(["which", "terraform"], capture_output=True, text=True).stdout.strip()
    script = folder / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = plan ]; then\n'
        '  for argument; do case "$argument" in -out=*) echo errored > "${argument#-out=}";; '
        "esac; done\n"
        '  echo "Error: Invalid value for variable" >&2; exit 1\n'
        "fi\n"
        f'exec {real} "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_a_failed_plan_leaves_the_reviewed_plan_and_stale_plans_are_refused(
    emulator, tmp_path, monkeypatch
):
    reviewed = config.load("registry", _tfvars(tmp_path, "registry", name_prefix="safety"))
    plan_file = tmp_path / "plans" / "registry.tfplan"
    deploy.plan(reviewed, emulator, plan_file)
    saved = _plan_files(plan_file)

    with monkeypatch.context() as patched:
        patched.setenv("MLOPS_TERRAFORM", str(_failing_terraform(tmp_path)))
        with pytest.raises(MlopsError, match="Invalid value for variable"):
            deploy.plan(reviewed, emulator, plan_file)
    assert _plan_files(plan_file) == saved
    assert sorted(p.name for p in plan_file.parent.iterdir()) == sorted(saved)  # no leftovers

    # The reviewed plan applies as reviewed (dry run) ...
    assert deploy.apply(reviewed, emulator, plan_file, dry_run=True).add > 0
    # ... but not with other tfvars, another environment, or after the local AWS restarted.
    edited = config.load(
        "registry",
        _tfvars(tmp_path / "edited", "registry", name_prefix="safety", tags={"owner": "x"}),
    )
    with pytest.raises(MlopsError, match="planned from other tfvars"):
        deploy.apply(edited, emulator, plan_file, dry_run=True)
    dev = config.load("dev", _tfvars(tmp_path, "dev", name_prefix="safety"))
    with pytest.raises(MlopsError, match="planned for environment 'registry'"):
        deploy.apply(dev, emulator, plan_file, dry_run=True)
    restarted = dataclasses.replace(emulator, instance="another-run")
    with pytest.raises(MlopsError, match="the local AWS was restarted since it was planned"):
        deploy.apply(reviewed, restarted, plan_file, dry_run=True)
    with pytest.raises(MlopsError) as elsewhere:
        deploy.apply(reviewed, AWS, plan_file, dry_run=True)
    assert str(elsewhere.value) == (
        f"{plan_file} was planned against local AWS instance {emulator.instance}, not aws: plan "
        "again against the target you mean"
    )

    # What CI runs on the same files: scan and report refuse what the stamp does not vouch for.
    scan = mlops(
        "scan", "--env", "registry", "--var-file", str(edited.tfvars_file),
        "--plan-file", str(plan_file),
    )  # fmt: skip
    assert scan.returncode == 1 and "planned from other tfvars" in one_line(scan.stderr)
    # The JSON checkov reads is produced from the checked plan once, and again if it was altered.
    shown = saved_plans.SavedPlan.load(plan_file).plan_json(reviewed)
    produced = shown.read_bytes()
    assert json.loads(produced)["resource_changes"]
    assert saved_plans.SavedPlan.load(plan_file).stamp["plan_json_sha256"]
    shown.write_text("{}")
    assert saved_plans.SavedPlan.load(plan_file).plan_json(reviewed).read_bytes() == produced
    plan_file.write_bytes(plan_file.read_bytes() + b"altered")
    report = mlops("report", "--plans", str(plan_file.parent), "--out", str(tmp_path / "r.md"))
    # The report still reaches reviewers, naming the refused plan instead of summarizing it.
    assert report.returncode == 0
    assert "registry.tfplan" in report.stderr and "do not match" in one_line(report.stderr)
    markdown = (tmp_path / "r.md").read_text()
    assert "### Plans refused (not summarized)" in markdown and "| registry |" not in markdown
    with pytest.raises(MlopsError, match="not a complete plan saved by `mlops plan`"):
        deploy.apply(reviewed, emulator, plan_file, dry_run=True)


def _reviewed_on_aws(tmp_path: Path) -> Path:
    """dev's plan `b"the reviewed plan"`, stamped as `mlops plan` made it on AWS."""
    plan_file = tmp_path / "dev.tfplan"
    plan_file.write_bytes(b"the reviewed plan")
    origin = saved_plans.made_from(config.load("dev"), AWS)
    saved_plans.stamp_for(plan_file).write_text(
        saved_plans.stamp(origin, False, b"the reviewed plan", ())
    )
    return plan_file


def test_a_plan_made_on_aws_is_not_applied_to_the_local_aws(tmp_path):
    env, plan_file = config.load("dev"), _reviewed_on_aws(tmp_path)
    local = Emulator(pid=0, host="127.0.0.1", port=1, instance="r")
    with pytest.raises(MlopsError) as elsewhere:
        saved_plans.SavedPlan.load(plan_file).check_made_from(env, local)
    assert str(elsewhere.value) == (
        f"{plan_file} was planned against aws, not local AWS instance r: plan again against the "
        "target you mean"
    )
    saved_plans.SavedPlan.load(plan_file).check_made_from(env, None)  # a scan: wherever


def test_apply_applies_the_plan_it_checked_even_if_the_file_changes_meanwhile(
    tmp_path, monkeypatch
):
    env, plan_file = config.load("dev"), _reviewed_on_aws(tmp_path)
    applied = []

    class Terraform:
        def apply(self, path: Path, progress: object) -> None:
            plan_file.write_bytes(b"a plan saved meanwhile")  # another `mlops plan` finishes
            applied.append(path.read_bytes())

    monkeypatch.setattr(deploy, "init", lambda *_: Terraform())
    deploy.apply(env, AWS, plan_file)
    assert applied == [b"the reviewed plan"]


def test_a_state_lock_names_its_holder_and_how_to_release_it(emulator, tmp_path):
    locked = config.load("registry", _tfvars(tmp_path, "registry", name_prefix="safety"))
    store = state_store.ensure_state_bucket(locked, emulator)
    lock = {
        "ID": "5e2a7a1c-0000-4000-8000-000000000001",
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": "jenkins@ci-agent-7",
        "Version": "1.11.0",
        "Created": "2026-11-23T06:00:00Z",
        "Path": f"{store.bucket}/registry/terraform.tfstate",
    }
    s3 = client(aws.session_for(locked, emulator), "s3", emulator)
    s3.put_object(
        Bucket=store.bucket, Key="registry/terraform.tfstate.tflock", Body=json.dumps(lock)
    )
    files = ["--env", "registry", "--var-file", str(locked.tfvars_file)]
    planned = mlops("plan", *files, "--out", str(tmp_path / "p.tfplan"))
    assert planned.returncode == 1
    line = one_line(planned.stderr)
    assert "the state is locked by jenkins@ci-agent-7" in line
    assert f"mlops unlock --lock-id {lock['ID']}" in line
    unlocked = mlops("unlock", *files, "--lock-id", lock["ID"])
    assert unlocked.returncode == 0, unlocked.stderr
    state = "registry/terraform.tfstate"  # (the bootstrap's state is beside it)
    assert "Contents" not in s3.list_objects_v2(Bucket=store.bucket, Prefix=state)


def test_the_state_bucket_is_encrypted_with_its_own_key_and_tls_only(emulator, tmp_path):
    env = config.load("registry", _tfvars(tmp_path, "registry", name_prefix="safety"))
    store = state_store.ensure_state_bucket(env, emulator)
    assert state_store.ensure_state_bucket(env, emulator) == store  # idempotent
    session = aws.session_for(env, emulator)
    s3, kms = client(session, "s3", emulator), client(session, "kms", emulator)
    rule = s3.get_bucket_encryption(Bucket=store.bucket)["ServerSideEncryptionConfiguration"]
    default = rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert default == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": store.kms_key_arn}
    assert kms.get_key_rotation_status(KeyId=store.kms_key_arn)["KeyRotationEnabled"]
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=store.bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    backend = state_store.write_backend_config(env, emulator, store).read_text()
    assert f'kms_key_id = "{store.kms_key_arn}"' in backend

    # A set-up interrupted after the bucket was created is completed by the next run.
    halfway = config.load("registry", _tfvars(tmp_path / "halfway", "registry", name_prefix="half"))
    inside = accounts.client_in(emulator, halfway.account_id, "s3")  # (its own platform's)
    inside.create_bucket(Bucket=state_store.state_bucket_name(halfway))
    # (by whoever sets it up: the bootstrap, as the account's administrator)
    completed = state_store.ensure_state_bucket(
        halfway, emulator, accounts.session(emulator, halfway.account_id)
    )
    assert inside.get_bucket_policy(Bucket=completed.bucket)["Policy"]
    assert inside.get_bucket_versioning(Bucket=completed.bucket)["Status"] == "Enabled"
    blocked = inside.get_public_access_block(Bucket=completed.bucket)
    assert all(blocked["PublicAccessBlockConfiguration"].values())
    encryption = inside.get_bucket_encryption(Bucket=completed.bucket)
    assert (
        encryption["ServerSideEncryptionConfiguration"]["Rules"][0][
            "ApplyServerSideEncryptionByDefault"
        ]["KMSMasterKeyID"]
        == completed.kms_key_arn
    )


def test_a_state_key_whose_alias_cannot_be_made_is_not_left_behind():
    class Kms:
        scheduled: list[str] = []

        def describe_key(self, KeyId):  # noqa: N803 (boto3's parameter names)
            raise ClientError({"Error": {"Code": "NotFoundException"}}, "DescribeKey")

        def create_key(self, Description):  # noqa: N803
            return {"KeyMetadata": {"KeyId": "k-1", "Arn": "arn:aws:kms:eu-west-1:1:key/k-1"}}

        def enable_key_rotation(self, KeyId):  # noqa: N803
            pass

        def create_alias(self, AliasName, TargetKeyId):  # noqa: N803
            raise ClientError({"Error": {"Code": "LimitExceededException"}}, "CreateAlias")

        def schedule_key_deletion(self, KeyId, PendingWindowInDays):  # noqa: N803
            self.scheduled.append(KeyId)

    kms = Kms()
    with pytest.raises(MlopsError, match="cannot create the state key alias/mammo-tfstate"):
        state_store._state_key(config.load("registry"), kms)
    assert kms.scheduled == ["k-1"]


def test_local_down_never_signals_a_process_that_is_not_the_emulator(tmp_path):
    # Its command line names the server module and this state file, but it is not the server.
    mentions = ["glue.local.emulator.server", "--state-file", str(tmp_path / "emulator.json")]
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *mentions])
    try:
        (tmp_path / "emulator.json").write_text(
            json.dumps({"pid": bystander.pid, "host": "127.0.0.1", "port": 9, "instance": "x"})
        )
        env = {"MLOPS_STATE_DIR": str(tmp_path)}
        status = mlops("local", "status", env=env)
        assert status.returncode == 1 and "not running" in one_line(status.stderr)
        (tmp_path / "emulator.json").write_text(
            json.dumps({"pid": bystander.pid, "host": "127.0.0.1", "port": 9, "instance": "x"})
        )
        down = mlops("local", "down", env=env)
        assert down.returncode == 0 and "nothing to stop" in down.stdout
        assert bystander.poll() is None, "local down signalled an unrelated process"
        assert not (tmp_path / "emulator.json").exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_two_local_ups_at_once_start_one_emulator_and_both_succeed(tmp_path):
    env = {**os.environ, "MLOPS_STATE_DIR": str(tmp_path)}
    both = [started("local", "up", env=env) for _ in range(2)]
    try:
        answers = [run.communicate(timeout=60) for run in both]
        assert [run.returncode for run in both] == [0, 0], answers
        assert answers[0][0] == answers[1][0] and "running at http://127.0.0.1:" in answers[0][0]
        state_file = str(tmp_path / "emulator.json")
        servers = [
            process
            for process in Path("/proc").glob("[0-9]*")
            if {state_file, control.SERVER_MODULE} <= set(control._arguments(int(process.name)))
        ]
        assert len(servers) == 1, "a second emulator was started, and left running"
    finally:
        assert mlops("local", "down", env=env).returncode == 0


def test_the_demo_on_a_local_aws_that_holds_a_platform_says_what_to_do(tmp_path, monkeypatch):
    """A demo kept with --keep (or applies of one's own): the demo's lifecycle starts from an
    empty registry, so it would stop at its first promotion. It says so and changes nothing."""
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    emulator = control.up(watch_pid=os.getpid())
    try:
        record_applied("registry", emulator)  # as the kept demo's registry apply did
        demo = mlops("demo", env={"MLOPS_STATE_DIR": str(tmp_path)})
        assert demo.returncode == 1
        line = one_line(demo.stderr)
        assert f"the local AWS at {emulator.endpoint} already holds a platform" in line
        assert "`mlops local down`" in line
        assert control.find() == emulator and not (tmp_path / "operator").exists()
    finally:
        control.down()


def test_an_emulator_whose_state_folder_is_deleted_stops_itself(tmp_path):
    """No command could find it any more (`make clean`, a deleted state folder): it would run
    until the machine stops."""
    state = tmp_path / "state"
    up = mlops("local", "up", env={"MLOPS_STATE_DIR": str(state)})
    assert up.returncode == 0
    pid = json.loads((state / "emulator.json").read_text())["pid"]
    shutil.rmtree(state)
    assert _wait_for(lambda: not _running(pid), 10), "the emulator outlived its state folder"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Started by this test's `mlops local up` in a session of its own: a zombie until reaped
    # by init, which counts as ended.
    try:
        stat_fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # reaped meanwhile
        return False
    return stat_fields[0] != "Z"


def test_local_env_unsets_what_would_send_aws_calls_elsewhere(emulator):
    exports = mlops("local", "env").stdout.splitlines()
    exported = {line.split("=", 1)[0] for line in exports if line.startswith("export ")}
    assert "export AWS_PROFILE" not in exported
    # The CI principal's session: its token is exported, so it is not unset after.
    assert "export AWS_SESSION_TOKEN" in exported
    assert exports[-1] == "unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SECURITY_TOKEN"


def _undecodable(folder: Path) -> Path:
    path = folder / "latin1.tfvars.json"
    path.write_bytes('{"name_prefix": "caf\u00e9"}'.encode("latin-1"))
    return path


@pytest.mark.parametrize(
    ("arguments", "code", "expected"),
    [
        (["models", "list", "--env", "registry"], 2, "models belong to a stage (dev, prod)"),
        (["models", "latest", "--env", "registry"], 2, "models belong to a stage"),
        (["models", "promote", "--env", "prod", "--to", "prod", "--version", "1"], 2, "one way"),
        (["models", "promote", "--env", "prod", "--to", "dev", "--version", "1"], 2, "one way"),
        (["models", "promote", "--env", "dev", "--to", "registry", "--version", "1"], 2, "one way"),
        (["models", "rollback", "--env", "registry", "--comment", "x"], 2, "belong to a stage"),
        (["pipelines", "start", "--env", "registry", "train"], 1, "'registry' is not a stage"),
        (["pipelines", "start", "--env", "dev", "retrain"], 2, "invalid choice: 'retrain'"),
        (["models", "rollback", "--env", "prod", "--comment", " "], 1, "a comment is required"),
        (["outputs", "--env", "dev", "--var-file", "{unapplied}"], 1, "it is not applied"),
        (["scan", "README.md"], 2, "README.md: not in a module or a root"),
        (["governance", "report", "--format", "pdf"], 2, "invalid choice: 'pdf'"),
        # CI is no governance reader (nor is anyone, in a registry not applied): refused by STS.
        pytest.param(
            ["governance", "report", "--var-file", "{unapplied_registry}"],
            1,
            "may not act as",
            marks=pytest.mark.refuses("sts:AssumeRole"),
        ),
        (["scan", "--env", "dev", "modules/naming"], 2, "give --env (a saved plan) or paths"),
        (["plan", "--env", "dev", "--var-file", "{folder}"], 1, "cannot read it"),
        (["plan", "--env", "dev", "--var-file", "{latin1}"], 1, "not UTF-8 text"),
        (["apply", "--env", "dev", "--plan-file", "{folder}/none"], 1, "no saved plan at"),
    ],
)
def test_bad_input_is_one_line_never_a_traceback(emulator, tmp_path, arguments, code, expected):
    values = {
        "folder": str(tmp_path),
        "latin1": str(_undecodable(tmp_path)),
        "unapplied": str(_tfvars(tmp_path, "dev", name_prefix="safety")),
        "unapplied_registry": str(_tfvars(tmp_path, "registry", name_prefix="safety")),
    }
    result = mlops(*(argument.format(**values) for argument in arguments))
    assert result.returncode == code, result.stderr
    assert expected in one_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_state_files_that_are_not_what_mlops_wrote_are_one_line(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = mlops("local", "status", env={"MLOPS_STATE_DIR": str(not_a_folder)})
    assert result.returncode == 1 and "is a file, not a folder" in one_line(result.stderr)
    (tmp_path / "emulator.json").write_text("{}")
    result = mlops("local", "down", env={"MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "is not an emulator state file" in one_line(result.stderr)


def test_a_reader_that_goes_away_is_one_line(emulator):
    """`mlops ... | head`: the pipe closes before mlops is done writing."""
    program = (
        "import os, sys\n"
        "read, write = os.pipe()\n"
        "os.close(read)\n"
        "os.dup2(write, 1)\n"
        "from glue.cli import main\n"
        "sys.exit(main(['local', 'env']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=PROJECT_ROOT
    )
    assert result.returncode == 1
    assert "output closed before the command finished" in one_line(result.stderr)


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _apply_until(
    files: list[str],
    env: dict[str, str],
    completions: int,
    then: Callable[[subprocess.Popen], None],
) -> tuple[subprocess.Popen, str, str]:
    """`mlops apply`, cut short by `then` once Terraform has created `completions` resources."""
    applying = started("apply", *files, env={**os.environ, **env})
    said = []
    for line in applying.stdout or ():
        said.append(line)
        if sum("Creation complete" in line for line in said) == completions:
            then(applying)
            break
    out, err = applying.communicate(timeout=300)
    return applying, "".join(said) + out, err


def _apply_in_a_terminal_until(
    files: list[str], env: dict[str, str], completions: int
) -> tuple[int, str]:
    """`mlops apply` in a terminal (a pty), given Ctrl-C once Terraform has created
    `completions` resources: its exit code and what the terminal showed."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: mlops in the terminal's foreground
        os.chdir(PROJECT_ROOT)
        arguments = [sys.executable, "-m", "glue.cli", "apply", *files]
        os.execve(sys.executable, arguments, {**os.environ, **env})
    shown = bytearray()
    interrupted = False
    try:
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the other side closed: mlops ended
                break
            if not chunk:
                break
            shown.extend(chunk)
            if not interrupted and shown.count(b"Creation complete") >= completions:
                os.write(terminal, b"\x03")
                interrupted = True
    finally:
        os.close(terminal)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def _to_add(planned: subprocess.CompletedProcess) -> int:
    assert planned.returncode == 0, planned.stderr
    return int(re.search(r"(\d+) to add", planned.stdout).group(1))


@pytest.fixture()
def registry_on_a_local_aws(tmp_path) -> Iterator[tuple[dict[str, str], list[str]]]:
    """A local AWS of the test's own (its state directory `state` in the test's folder), up,
    and the arguments of the registry, protected (protect_from_destroy), to plan and apply on
    it; the local AWS is stopped at the end, whatever state the test left it in."""
    env = {"MLOPS_STATE_DIR": str(tmp_path / "state")}
    tfvars = _tfvars(tmp_path, "registry", protect_from_destroy=True)
    assert mlops("local", "up", env=env).returncode == 0
    try:
        yield env, ["--env", "registry", "--var-file", str(tfvars)]
    finally:
        mlops("local", "down", env=env)


def test_an_apply_cut_short_loses_no_state_and_converges_with_clear_messages(
    tmp_path, registry_on_a_local_aws, say
):
    """Cut short by its emulator's end (the state is in memory: every command says so) or by
    mlops being killed (Terraform goes on alone and saves it: planning again converges, nothing
    left behind)."""
    env, files = registry_on_a_local_aws
    assert mlops("plan", *files, env=env).returncode == 0
    applying = started("apply", *files, env={**os.environ, **env})
    say("cut short: the registry's apply, then its emulator stopped")
    # Terraform has started creating resources once the state lock is taken.
    assert _wait_for(lambda: _locked(tmp_path / "state"), 60), "the apply never started"
    assert mlops("local", "down", env=env).returncode == 0
    _, err = applying.communicate(timeout=300)
    assert applying.returncode == 1
    assert "the local AWS stopped (or restarted) during the apply of registry" in one_line(err)
    assert not (PROJECT_ROOT / "environments/registry/errored.tfstate").exists()

    assert mlops("local", "up", env=env).returncode == 0
    stale = mlops("apply", *files, "--dry-run", env=env)
    assert stale.returncode == 1
    assert "the local AWS was restarted since it was planned" in one_line(stale.stderr)
    assert _to_add(mlops("plan", *files, env=env)) > 0
    say("cut short: a killed mlops")
    killed, _, _ = _apply_until(files, env, 2, lambda applying: applying.kill())
    assert killed.returncode == -signal.SIGKILL
    assert _wait_for(lambda: not _locked(tmp_path / "state"), 240), "Terraform never ended"
    # What Terraform did alone stays where mlops had it write (mlops removes it once read).
    [alone] = (tmp_path / "state" / "terraform" / "registry").glob("apply-*.json")
    errors = [
        m["diagnostic"]
        for m in map(json.loads, alone.read_text().splitlines())
        if m.get("type") == "diagnostic" and m["diagnostic"]["severity"] == "error"
    ]
    assert '"type":"apply_complete"' in alone.read_text().replace(" ", "")
    again = mlops("plan", *files, env=env)
    assert again.returncode == 0 and "0 to add, 0 to change, 0 to destroy" in again.stdout, errors
    for left_alone in alone.parent.glob("apply-*"):  # its output and its stderr
        left_alone.unlink()
    say("cut short: converged; the protected registry's destroy")
    # Protected (protect_from_destroy), the registry's destroy is refused whole: its plan
    # names the obstacle, its apply deletes nothing.
    destroy = mlops("plan", *files, "--destroy", env=env)
    assert destroy.returncode == 0 and "blocked: AWS would refuse 1 of" in destroy.stdout
    assert "DynamoDB refuses to delete table" in destroy.stdout
    refused = mlops("apply", *files, env=env)
    assert refused.returncode == 1 and "was not applied: AWS would refuse 1 of" in refused.stderr
    kept = mlops("plan", *files, env=env)
    assert kept.returncode == 0 and "0 to add, 0 to change, 0 to destroy" in kept.stdout
    # Reading a name needs no Terraform: outputs come from the state object (and the tfvars
    # were checked above: a check passed is remembered).
    read = mlops("outputs", *files, env={**env, "MLOPS_TERRAFORM": "/nonexistent"})
    assert read.returncode == 0 and "artifacts_bucket_name" in json.loads(read.stdout)

    assert mlops("local", "down", env=env).returncode == 0
    assert mlops("local", "up", env=env).returncode == 0
    outputs = mlops("outputs", *files, env=env)
    assert outputs.returncode == 1
    assert "the local AWS was restarted since registry was applied" in one_line(outputs.stderr)
    # A stage reads the registry's key when it plans: it says the registry is gone, and why.
    dev = ["--env", "dev", "--var-file", str(_tfvars(tmp_path, "dev"))]
    planned = mlops("plan", *dev, env=env)
    assert planned.returncode == 1
    assert "restarted since the registry was applied" in one_line(planned.stderr)


def test_an_interrupted_apply_saves_what_it_made_and_says_so(
    tmp_path, registry_on_a_local_aws, say
):
    """Cut short by an interrupt, then by a terminal's Ctrl-C: Terraform finishes what it
    started and saves its state, so the next plan adds only the rest (a create the interrupt
    cancelled in flight may have been made without Terraform hearing of it, as on AWS, so
    convergence after an interrupt is not claimed: README, "Interrupting a command")."""
    env, files = registry_on_a_local_aws
    say("cut short: an interrupt, then a Ctrl-C in a terminal")
    everything = _to_add(mlops("plan", *files, env=env))
    interrupted, said, err = _apply_until(
        files, env, 3, lambda applying: applying.send_signal(signal.SIGINT)
    )
    assert interrupted.returncode == 130, err
    # A long apply says what it does as it goes, resource by resource.
    assert "Creation complete after" in said
    lines = err.strip().splitlines()
    assert lines[0].startswith("mlops: interrupted: waiting for Terraform to finish")
    assert "it finished what it had started, saved its state and released its lock" in lines[1]
    # The lock is free and the state holds what was created: the next plan adds the rest
    # (and replaces what Terraform marked tainted: a creation the interrupt cut off).
    left = _to_add(mlops("plan", *files, env=env))
    assert left < everything
    # A terminal's Ctrl-C, later in the apply: the same, Terraform hearing it once.
    code, shown = _apply_in_a_terminal_until(files, env, 2)
    assert code == 130, shown
    assert "mlops: interrupted: waiting for Terraform to finish" in shown
    assert "it finished what it had started, saved its state and released its lock" in shown
    assert _to_add(mlops("plan", *files, env=env)) < everything
    # An apply mlops saw to its end keeps no output file (a killed one's stays: above).
    assert not list((tmp_path / "state" / "terraform" / "registry").glob("apply-*"))


def test_a_reservation_the_account_cannot_hold_stops_the_plan_in_one_line(tmp_path):
    """A new account's Lambda concurrency quota (10) cannot spare the governance recorder's
    reservation (Lambda keeps 100 unreserved): the plan says which quota to raise, before
    anything is applied, and saves nothing."""
    env = {"MLOPS_STATE_DIR": str(tmp_path / "state"), "MLOPS_EMULATOR_LAMBDA_CONCURRENCY": "10"}
    files = ["--env", "registry", "--var-file", str(_tfvars(tmp_path, "registry"))]
    try:
        assert mlops("local", "up", env=env).returncode == 0
        planned = mlops("plan", *files, env=env)
        assert planned.returncode == 1
        line = one_line(planned.stderr)
        assert "account 111111111111 cannot reserve 2 concurrent executions for the" in line
        assert "governance_recorder_concurrency" in line
        assert "its Lambda quota is 10 concurrent executions, 10 unreserved" in line
        assert "L-B99A9384" in line
        assert not (tmp_path / "state" / "plans" / "registry.tfplan").exists()
    finally:
        mlops("local", "down", env=env)


def _locked(state: Path) -> bool:
    """Is the registry's state lock held in the emulator of this state directory? (Not the
    account's bootstrap's, whose apply may still be ending in the background after the plan:
    the lock of `registry/bootstrap.tfstate`.)"""
    with_state = {**os.environ, "MLOPS_STATE_DIR": str(state)}
    probe = (
        "from glue.aws import client, session_with\n"
        "from glue.local.emulator import control\n"
        "e = control.require()\n"
        "keys = control.root_credentials(e, '111111111111')\n"
        "session = session_with('us-east-1', keys)\n"
        "s3 = client(session, 's3', e)\n"
        "print(any(o['Key'] == 'registry/terraform.tfstate.tflock'\n"
        "    for b in s3.list_buckets()['Buckets']\n"
        "    for o in s3.list_objects_v2(Bucket=b['Name']).get('Contents', [])))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=with_state
    )
    return result.stdout.strip() == "True"


def test_the_roots_provider_selections_are_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "environments/*/.terraform.lock.hcl"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    ).stdout.split()
    assert sorted(tracked) == [
        f"environments/{root}/.terraform.lock.hcl"
        for root in sorted({*config.ROOTS.values(), "bootstrap"})
    ]
    # The mirror here holds linux_amd64 only (one h1: hash); the zh: hashes are the registry's
    # checksums of every platform's package of the same release (as `terraform providers
    # lock` records them), so a Mac or an arm64 agent installs the provider against this file
    # instead of refusing it.
    for lock in tracked:
        hashes = re.findall(r'"(h1|zh):[^"]+"', (PROJECT_ROOT / lock).read_text())
        assert hashes.count("zh") >= 14 and "h1" in hashes, lock


def _commands_taking_tfvars() -> list[list[str]]:
    """Every command of the parser that reads an environment's tfvars, with what it requires."""
    from glue.cli import build_parser

    required = {"--version": "1", "--comment": "why", "--lock-id": "x", "--payload": "rows.csv"}
    found = []

    def walk(parser, prefix):
        for action in parser._actions:
            if action.choices and isinstance(action.choices, dict):
                for name, child in action.choices.items():
                    walk(child, [*prefix, name])
        options = {o for a in parser._actions for o in a.option_strings}
        if "--var-file" in options and not any(
            a.choices and isinstance(a.choices, dict) for a in parser._actions
        ):
            extra = [x for o, v in required.items() if o in options for x in (o, v)]
            # A required positional with choices (pipelines start's kind): its first choice.
            chosen = [
                a.choices[0]
                for a in parser._actions
                if not a.option_strings and a.choices and not isinstance(a.choices, dict)
            ]
            env = ["--env", "dev"] if "--env" in options else []  # governance: the registry
            found.append([*prefix, *env, *chosen, *extra])

    walk(build_parser(), [])
    return found


def test_every_command_reading_tfvars_refuses_a_bad_file_in_one_line(tmp_path):
    commands = _commands_taking_tfvars()
    assert len(commands) >= 12  # validate, plan, apply, outputs, unlock, upsert, models x5, scan
    for command in commands:
        result = mlops(
            *command, "--var-file", str(tmp_path), env={"MLOPS_STATE_DIR": str(tmp_path)}
        )
        assert result.returncode == 1, (command, result.stderr)
        assert "cannot read it" in one_line(result.stderr), command

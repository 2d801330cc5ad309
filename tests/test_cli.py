"""The command line as a person meets it: one clear line and a non-zero exit on every error."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from glue import terraform_setup
from glue.errors import MlopsError
from tests import accounts

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def mlops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "glue.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def started(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`mlops args...` running, with exactly `env` (default: this process's environment)."""
    return subprocess.Popen(
        [sys.executable, "-m", "glue.cli", *args],
        cwd=PROJECT_ROOT,
        env=env if env is not None else dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {text!r}"
    return lines[0]


def test_unknown_command_is_one_line_and_exit_2():
    result = mlops("deploy-everything")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "invalid choice: 'deploy-everything'" in line
    assert "mlops --help" in line


def test_unknown_local_subcommand():
    result = mlops("local", "restart")
    assert result.returncode == 2
    assert "invalid choice: 'restart'" in one_line(result.stderr)


def test_local_up_status_env_down(tmp_path):
    env = {"MLOPS_STATE_DIR": str(tmp_path)}
    try:
        up = mlops("local", "up", env=env)
        assert up.returncode == 0, up.stderr
        assert "running at http://127.0.0.1:" in up.stdout
        status = mlops("local", "status", env=env)
        assert status.returncode == 0 and status.stdout == up.stdout
        exports = mlops("local", "env", env=env).stdout
        assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in exports
        # Signed as the local platform's CI principal: the role the tfvars name, in its account.
        variables = dict(
            line.removeprefix("export ").split("=", 1)
            for line in exports.splitlines()
            if line.startswith("export ")
        )
        identity = subprocess.run(
            [
                sys.executable,
                "-c",
                "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, **variables, "AWS_CONFIG_FILE": os.devnull},
        )
        assert identity.stdout.strip() == (
            "arn:aws:sts::444444444444:assumed-role/jenkins/mlops-local-ci"
        ), identity.stderr
    finally:
        down = mlops("local", "down", env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    status = mlops("local", "status", env=env)
    assert status.returncode == 1
    assert "not running" in one_line(status.stderr)


def test_port_taken_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = mlops("local", "up", "--port", str(port), env={"MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert f"port 127.0.0.1:{port} is already in use" in line


def test_doctor_finds_terraform_and_mirror(tmp_path):
    result = mlops("doctor", env={"MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "terraform: " in result.stdout
    assert "AWS provider: installed from the filesystem mirror " in result.stdout


def test_terraform_missing_is_one_line(tmp_path):
    result = mlops("doctor", env={"PATH": str(tmp_path), "MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "mlops: terraform not found: looked on PATH; install Terraform >= 1.11 "
        "or set MLOPS_TERRAFORM to its path"
    )


def _fake_terraform(folder: Path, says: str, name: str = "terraform") -> Path:
    """A terraform that answers `version` with `says` and does nothing else, successfully."""
    fake = folder / name
    fake.write_text(f"#!/bin/sh\n[ \"$1\" = version ] && echo '{says}'\nexit 0\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize(
    "says",
    ['{"terraform_version": "1.5.0", "platform": "linux_amd64"}', "Terraform v1.5.0"],
)
def test_a_terraform_older_than_the_roots_require_is_one_line(tmp_path, says):
    """Its own refusal would come at init only, and a binary that merely prints a version would
    never give one (it `validate`d and `plan`ned nothing, successfully)."""
    env = {
        "MLOPS_STATE_DIR": str(tmp_path),
        "MLOPS_TERRAFORM": str(_fake_terraform(tmp_path, says)),
    }
    for command in (["validate", "--env", "dev"], ["doctor"]):
        result = mlops(*command, env=env)
        assert result.returncode == 1
        line = one_line(result.stderr)
        assert "terraform 1.5.0 (" in line and "requires >= 1.11" in line, line


def test_a_plan_terraform_did_not_write_is_never_stamped(tmp_path, monkeypatch):
    """A binary that says it is Terraform but plans nothing (no change summary, no plan file's
    zip) is refused before mlops stamps the plan it would vouch for."""
    from glue import terraform

    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    fake = _fake_terraform(tmp_path, '{"terraform_version": "1.11.4"}')
    monkeypatch.setenv(terraform_setup.TERRAFORM_ENV, str(fake))
    runner = terraform.TerraformRunner(PROJECT_ROOT / "environments/workload", "fake-plan")
    plan_file = tmp_path / "dev.tfplan"
    plan_file.write_bytes(b"")
    with pytest.raises(MlopsError, match="wrote no plan: its output has no change summary"):
        runner.plan(plan_file)


def test_init_runs_again_when_another_terraform_runs_the_root(tmp_path):
    """The init marker records which binary initialized: another (a new install, another
    path) inits again rather than trusting what the first one set up."""
    real = shutil.which("terraform")
    calls = tmp_path / "calls"
    wrappers = []
    for name in ("terraform-a", "terraform-b"):
        wrapper = tmp_path / name
        wrapper.write_text(f'#!/bin/sh\necho "{name} $1" >> {calls}\nexec {real} "$@"\n')
        wrapper.chmod(0o755)
        wrappers.append(wrapper)
    env = {"MLOPS_STATE_DIR": str(tmp_path / "state"), "MLOPS_CACHE_DIR": str(tmp_path / "cache")}
    # Without the endpoint: the tfvars' check then inits nothing (it plans the variables alone).
    tfvars = accounts.batch_only_dev_tfvars(tmp_path)
    for wrapper in (wrappers[0], wrappers[0], wrappers[1]):
        validated = mlops(
            "validate",
            "--env",
            "dev",
            f"--var-file={tfvars}",
            env={**env, "MLOPS_TERRAFORM": str(wrapper)},
        )
        assert validated.returncode == 0, validated.stderr
    inits = [line for line in calls.read_text().splitlines() if line.endswith(" init")]
    assert inits == ["terraform-a init", "terraform-b init"]


def test_two_commands_on_one_root_init_it_once_not_both_at_once(tmp_path, monkeypatch):
    """`mlops validate --env dev` and `--env prod` side by side (the walkthrough, a CI job's
    parallel stages) share the workload root's Terraform folder: two inits at once in one
    folder make Terraform fail to install the provider. The second waits for the first, then
    finds the root initialized."""
    from concurrent.futures import ThreadPoolExecutor

    from glue import terraform

    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))
    calls = tmp_path / "calls"
    fake = tmp_path / "terraform"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then echo \'{"terraform_version": "1.11.4"}\'; exit 0; fi\n'
        f'echo "start $1" >> {calls}; sleep 1; echo "end $1" >> {calls}\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv(terraform_setup.TERRAFORM_ENV, str(fake))
    root = PROJECT_ROOT / "environments/workload"

    def validated() -> None:
        terraform.TerraformRunner(root, "workload-validate").validate()

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(validated) for _ in range(2)]:
            done.result()
    assert calls.read_text().splitlines() == [
        "start init", "end init", "start validate", "end validate",
    ]  # fmt: skip


def test_without_a_mirror_terraform_installs_the_provider(tmp_path, monkeypatch):
    """On a machine with no mirror, Terraform's own configuration and registry are used: no CLI
    configuration is imposed. A fake terraform records what it is given (nothing leaves the
    machine)."""
    from glue import terraform

    monkeypatch.setattr(terraform_setup, "MIRROR_CANDIDATES", (tmp_path / "no-mirror",))
    monkeypatch.delenv(terraform_setup.MIRROR_ENV, raising=False)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "users-own.tfrc"))
    recorded = tmp_path / "recorded"
    fake = tmp_path / "terraform"
    fake.write_text(f'#!/bin/sh\necho "$TF_CLI_CONFIG_FILE $*" >> {recorded}\n')
    fake.chmod(0o755)
    monkeypatch.setenv(terraform_setup.TERRAFORM_ENV, str(fake))

    assert terraform_setup.provider_installation().startswith("by Terraform from its registry")
    terraform.TerraformRunner(tmp_path, "no-mirror").init()
    assert recorded.read_text() == (
        f"{tmp_path / 'users-own.tfrc'} init -no-color -input=false -backend=false\n"
    )


@pytest.mark.parametrize(
    ("users", "given"),
    [
        ({}, {"GOGC": "400", "GOMEMLIMIT": ""}),
        ({"GOGC": "100"}, {"GOGC": "100", "GOMEMLIMIT": ""}),
        ({"GOMEMLIMIT": "4GiB"}, {"GOGC": "", "GOMEMLIMIT": "4GiB"}),
    ],
)
def test_terraform_collects_garbage_less_often_unless_the_user_tuned_it(
    tmp_path, monkeypatch, users, given
):
    """Terraform's commands mostly load the provider's schema and end: Go's collector runs at
    4x the live heap (a quarter less CPU), unless the user set either of Go's variables."""
    from glue import terraform

    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    for name in ("GOGC", "GOMEMLIMIT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in users.items():
        monkeypatch.setenv(name, value)
    recorded = tmp_path / "recorded"
    fake = tmp_path / "terraform"
    fake.write_text(f'#!/bin/sh\necho "GOGC=$GOGC GOMEMLIMIT=$GOMEMLIMIT" > {recorded}\n')
    fake.chmod(0o755)
    monkeypatch.setenv(terraform_setup.TERRAFORM_ENV, str(fake))

    terraform.TerraformRunner(tmp_path, "go-tuning").run("version")
    assert recorded.read_text() == f"GOGC={given['GOGC']} GOMEMLIMIT={given['GOMEMLIMIT']}\n"


@pytest.mark.parametrize("mirror", ["/nonexistent/mirror"])
def test_provider_mirror_missing_is_one_line(tmp_path, mirror):
    result = mlops(
        "doctor", env={"MLOPS_TF_PLUGIN_MIRROR": mirror, "MLOPS_STATE_DIR": str(tmp_path)}
    )
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("mlops: AWS provider mirror not found: looked for ")
    assert mirror in line and "MLOPS_TF_PLUGIN_MIRROR" in line


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["pipelines", "upsert", "--env", "qa"], "unknown environment 'qa'"),
        (
            ["models", "approve", "--env", "staging", "--version", "1", "--comment", "ok"],
            "unknown environment 'staging'",
        ),
        (["models", "promote", "--env", "dev", "--version", "x"], "invalid int value: 'x'"),
        (["models", "approve", "--env", "dev", "--version", "1"], "--comment"),
        # Usage before reach: no emulator runs, and still the wrong stage is what is said.
        (["models", "list", "--env", "registry"], "models belong to a stage"),
        (["models", "promote", "--env", "prod", "--version", "1"], "is not a promotion"),
    ],
)
def test_bad_governance_and_upsert_arguments(tmp_path, arguments, expected):
    result = mlops(*arguments, env={"MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert expected in one_line(result.stderr)
    assert not (tmp_path / "emulator.json").exists()


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"auc_threshold": None}, "auc_threshold"),
        ({"model_name": "bad_model!"}, "model_name"),
        ({"model_name": "m" * 60}, "model_name"),
    ],
)
def test_upsert_rejects_bad_tfvars_before_any_call(tmp_path, change, key):

    values = json.loads((PROJECT_ROOT / "dev.tfvars.json").read_text())
    for name, value in change.items():
        if value is None:
            del values[name]
        else:
            values[name] = value
    path = tmp_path / "dev.tfvars.json"
    path.write_text(json.dumps(values))
    result = mlops(
        "pipelines",
        "upsert",
        "--env",
        "dev",
        "--var-file",
        str(path),
        env={"MLOPS_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 1
    assert f"key {key!r}" in one_line(result.stderr)
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["plan", "--aws", "--env", "dev", "--account", "111111111111"],
            "dev.tfvars.json: key 'account_id' is 222222222222, but this run targets account "
            "111111111111 (--account)",
        ),
        (
            ["apply", "--aws", "--env", "prod", "--account", "33333333333"],
            "--account: expected a 12-digit AWS account ID such as 123456789012, got",
        ),
        (["scan", "--env", "dev", "--account", "dev"], "--account: expected a 12-digit"),
    ],
)
def test_a_job_configured_for_another_account_changes_nothing(tmp_path, arguments, expected):
    """CI passes its account parameters as --account: a mismatch stops before any AWS call."""
    result = mlops(*arguments, env={"MLOPS_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert expected in one_line(result.stderr)
    assert not any(tmp_path.iterdir())


def test_aws_without_credentials_is_one_clear_line(tmp_path):
    no_credentials = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SESSION_TOKEN": "",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "MLOPS_STATE_DIR": str(tmp_path),
    }
    result = mlops("plan", "--aws", "--env", "dev", env=no_credentials)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "cannot assume arn:aws:iam::222222222222:role/mlops-terraform" in line
    assert "Unable to locate credentials" in line
    assert not (tmp_path / "plans").exists()
    unknown_profile = mlops(
        "plan", "--aws", "--env", "dev", env={**no_credentials, "AWS_PROFILE": "ci"}
    )
    assert unknown_profile.returncode == 1
    assert "The config profile (ci) could not be found" in one_line(unknown_profile.stderr)


def test_help_works_without_docstrings():
    """`python -OO` strips docstrings: the parser's description does not come from one."""
    ran = subprocess.run(
        [sys.executable, "-OO", "-m", "glue.cli", "--help"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "the one command-line entry point" in ran.stdout


def test_a_run_started_on_sagemaker_reads_nothing_more(monkeypatch, capsys):
    """`pipelines start --aws`: the run goes on on SageMaker, so none of its events are there
    to deliver yet, and the registry's tfvars (which the stage's CI job may not hold) are not
    read: the command ends once the run started."""
    from types import SimpleNamespace

    from glue import aws, cli, config, people, state_store
    from glue.cli import pipelines

    stage = config.load("dev")
    started_runs, loaded = [], []

    class OnSageMaker:
        name = "aws"

        def start_pipeline(self, config_, session, name, parameters):
            started_runs.append((config_.name, session, name, dict(parameters)))
            return aws.PipelineRun("arn:run", "started (it runs on SageMaker)")

        def deliver_events(self, registry_config):
            raise AssertionError("a run on SageMaker has nothing delivered here")

    real_load = config.load

    def load(name, var_file=None):
        loaded.append(name)
        return real_load(name, var_file)

    platform = SimpleNamespace(deploy_role_arn="arn:aws:iam::444444444444:role/deploy",
                               training_pipeline="mammo-dev-training",
                               inference_pipeline="mammo-dev-inference")  # fmt: skip
    monkeypatch.setattr(config, "load", load)
    monkeypatch.setattr(pipelines, "config_of", lambda args: stage)
    monkeypatch.setattr(pipelines, "target_of", lambda args: OnSageMaker())
    monkeypatch.setattr(
        people,
        "caller_arn",
        lambda target, region: "arn:aws:sts::444444444444:assumed-role/jenkins/b-7",
    )
    monkeypatch.setattr(state_store, "workload_platform", lambda config_, target: platform)
    monkeypatch.setattr(aws, "assumed_session", lambda *args: "deploy-role-session")
    monkeypatch.setattr(aws, "client", lambda session, service, target: None)
    assert cli.main(["pipelines", "start", "--env", "dev", "--aws", "train"]) == 0
    assert started_runs == [
        ("dev", "deploy-role-session", "mammo-dev-training", {"TrainedBy": "b-7"})
    ]
    assert capsys.readouterr().out == "arn:run: started (it runs on SageMaker)\n"
    assert "registry" not in loaded

"""Bad tfvars are rejected before any plan, naming the file, the key and what is expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glue import config
from glue.errors import MlopsError
from tests.test_cli import mlops, one_line

ROOT = Path(__file__).resolve().parent.parent


def tfvars(environment: str) -> dict:
    return json.loads((ROOT / f"{environment}.tfvars.json").read_text())


def write(tmp_path: Path, values: dict, name: str = "bad.tfvars.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(values))
    return path


@pytest.mark.parametrize("environment", config.ENVIRONMENTS)
def test_shipped_tfvars_are_valid(environment):
    assert config.load(environment).values["environment"] == environment


# (environment, key, bad value or None to delete the key, words the message must contain)
BAD_VALUES = [
    ("prod", "account_id", "33333333333", "a 12-digit AWS account ID"),
    ("prod", "account_id", "abcdefghijkl", "a 12-digit AWS account ID"),
    ("dev", "registry_account_id", 111111111111, "a 12-digit AWS account ID"),
    ("prod", "inference_schedule", "cron(0 6 * * *)", "6 fields"),
    ("prod", "inference_schedule", "cron(0 25 * * ? *)", "valid hours field"),
    ("prod", "inference_schedule", "cron(0 6 * * * *)", "'?' in exactly one"),
    ("prod", "inference_schedule", "every day at six", "cron(minutes hours"),
    ("dev", "inference_schedule", "rate(1 days)", "rate(N unit)"),
    ("prod", "notification_emails", ["ml-alerts@example.com", "not-an-email"], "not-an-email"),
    ("prod", "notification_emails", "ml-alerts@example.com", "a list of e-mail addresses"),
    ("prod", "ci_role_arn", "arn:aws:iam::444444444444:user/jenkins", "an IAM role ARN"),
    ("prod", "terraform_role_arn", "jenkins", "an IAM role ARN"),
    ("prod", "auc_threshold", 1.5, "greater than 0 and at most 1"),
    ("dev", "auc_threshold", 0, "greater than 0 and at most 1"),
    ("dev", "auc_threshold", "0.8", "greater than 0 and at most 1"),
    ("prod", "environment", "staging", "one of"),
    ("prod", "region", "useast1", "an AWS region"),
    ("prod", "auc_threshold", None, "required key is missing"),
    ("registry", "workload_account_ids", None, "required key is missing"),
    ("registry", "workload_account_ids", {}, "both workload accounts"),
    ("registry", "workload_account_ids", {"dev": "222222222222"}, "both workload accounts"),
    ("registry", "workload_account_ids", {"dev": "2", "prod": "333333333333"}, "12-digit"),
    ("prod", "create_governance_table", "yes", "true or false"),
    ("prod", "name_prefix", "Mammo_Prod", "lowercase letters"),
    ("prod", "model_name", "x" * 50, "1-41 letters"),
]


@pytest.mark.parametrize(("environment", "key", "value", "expected"), BAD_VALUES)
def test_bad_value_is_rejected_with_file_key_and_expectation(
    tmp_path, environment, key, value, expected
):
    values = tfvars(environment)
    if value is None:
        del values[key]
    else:
        values[key] = value
    path = write(tmp_path, values)
    with pytest.raises(MlopsError) as error:
        config.load(environment, path)
    message = str(error.value)
    assert str(path) in message
    assert f"key {key!r}" in message
    assert expected in message


def test_role_in_another_account_is_rejected(tmp_path):
    values = tfvars("prod") | {"terraform_role_arn": "arn:aws:iam::222222222222:role/tf"}
    with pytest.raises(MlopsError, match="key 'terraform_role_arn': a role in account 3333"):
        config.load("prod", write(tmp_path, values))


def test_unknown_key_is_rejected(tmp_path):
    values = tfvars("dev") | {"auc_treshold": 0.9}
    with pytest.raises(MlopsError, match="key 'auc_treshold': unknown key"):
        config.load("dev", write(tmp_path, values))


def test_tfvars_of_another_environment_is_rejected():
    with pytest.raises(MlopsError, match="key 'environment': expected 'dev' for --env dev"):
        config.load("dev", ROOT / "prod.tfvars.json")


def test_every_problem_is_reported_at_once(tmp_path):
    values = tfvars("prod") | {"account_id": "1", "auc_threshold": 7}
    with pytest.raises(MlopsError) as error:
        config.load("prod", write(tmp_path, values))
    assert "key 'account_id'" in str(error.value) and "key 'auc_threshold'" in str(error.value)


def test_unknown_environment():
    with pytest.raises(MlopsError, match="unknown environment 'staging': expected one of"):
        config.load("staging")


def test_missing_file_and_bad_json(tmp_path):
    with pytest.raises(MlopsError, match="file not found"):
        config.load("prod", tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(MlopsError, match="not valid JSON"):
        config.load("prod", broken)


def test_plan_with_bad_tfvars_fails_before_terraform(tmp_path):
    """No emulator is running for this state dir: the tfvars error must come first."""
    values = tfvars("prod") | {"inference_schedule": "cron(0 6 * * *)"}
    path = write(tmp_path, values)
    result = mlops(
        "plan",
        "--env",
        "prod",
        "--var-file",
        str(path),
        env={"MLOPS_STATE_DIR": str(tmp_path / "state")},
    )
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"mlops: {path}: invalid tfvars: key 'inference_schedule'")
    assert not (tmp_path / "state").exists(), "nothing may be written for rejected input"


def test_validate_command(tmp_path):
    result = mlops("validate", "--env", "prod")
    assert result.returncode == 0
    assert "valid tfvars for environment prod" in result.stdout
    result = mlops("validate", "--env", "qa")
    assert result.returncode == 1
    assert "unknown environment 'qa'" in one_line(result.stderr)

"""Bad tfvars are rejected before any plan, naming the file, the key and what is expected."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from glue import config
from glue.errors import MlopsError
from glue.terraform import TerraformRunner
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
    ("prod", "inference_schedule", "cron(0 6 * * *)", "cron(minutes hours day-of-month"),
    ("prod", "inference_schedule", "cron(0 25 * * ? *)", "an EventBridge schedule"),
    ("prod", "inference_schedule", "cron(0 6 * * * *)", "'?' in exactly one"),
    ("prod", "inference_schedule", "every day at six", "cron(minutes hours"),
    ("dev", "inference_schedule", "rate(1 days)", "rate(N unit)"),
    (
        "prod",
        "notification_emails",
        ["ml-alerts@example.com", "nope"],
        "a list of e-mail addresses",
    ),
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
    ("registry", "workload_account_ids", {}, 'a map of exactly "dev" and "prod"'),
    ("registry", "workload_account_ids", {"dev": "222222222222"}, "12-digit AWS account IDs"),
    ("registry", "workload_account_ids", {"dev": "2", "prod": "333333333333"}, "12-digit"),
    ("prod", "retrain_on_failed_inference", "yes", "true or false"),
    ("prod", "name_prefix", "Mammo_Prod", "lowercase letters"),
    ("prod", "model_name", "x" * 50, "1-41 letters"),
    # Issue 11: values Python once let through and Terraform refused.
    ("dev", "account_id", "222222222222\n", "a 12-digit AWS account ID"),
    ("dev", "account_id", "\u0662" * 12, "a 12-digit AWS account ID"),
    ("prod", "registry_account_id", "\uff11" * 12, "a 12-digit AWS account ID"),
    ("prod", "region", "us-east-1\n", "an AWS region"),
    ("prod", "region", "us-east-\u0661", "an AWS region"),
    ("prod", "ci_role_arn", "arn:aws:iam::444444444444:role/jenkins\n", "an IAM role ARN"),
    ("prod", "ci_role_arn", "arn:aws:iam::444444444444:role/" + "j" * 65, "1-64 letters"),
    ("prod", "ci_role_arn", "arn:aws:iam::444444444444:role/caf\u00e9", "an IAM role ARN"),
    ("prod", "model_name", "a" + "-" * 50 + "b", "1-41 letters, digits or hyphens"),
    ("prod", "name_prefix", "mammo\n", "lowercase letters"),
    ("prod", "inference_schedule", "cron(0 6 * * ? *)\n", "cron(minutes hours"),
    ("prod", "inference_schedule", "cron(0  6 * * ? *)", "an EventBridge schedule"),
    ("prod", "inference_schedule", "cron(\u0660 6 * * ? *)", "an EventBridge schedule"),
    ("prod", "inference_schedule", "cron(*/0 6 * * ? *)", "an EventBridge schedule"),
    ("prod", "inference_schedule", "rate(\u0665 minutes)", "rate(N unit)"),
    ("prod", "notification_emails", ["ml-alerts@example.com\n"], "a list of e-mail addresses"),
    ("prod", "notification_emails", ["ml@ex\u00e4mple.com"], "ASCII"),
    ("prod", "tags", {"aws:owner": "me"}, "not starting with aws:"),
    ("prod", "tags", {"owner": "a;b"}, "what SageMaker accepts"),
    ("prod", "tags", {"owner": "x" * 257}, "what SageMaker accepts"),
    ("prod", "tags", {"e\u0301quipe": "x"}, "object keys in Unicode NFC"),
    ("registry", "access_log_bucket", "logs..example", "an S3 bucket name"),
    ("registry", "access_log_bucket", "192.168.1.1", "not an IP address"),
    ("registry", "access_log_bucket", "xn--logs", "reserved prefix"),
    ("registry", "noncurrent_version_expiration_days", 1.5, "a whole number from 1 to 3650"),
    ("registry", "aws_max_retries", 0, "a whole number from 1 to 100"),
    ("registry", "protect_from_destroy", "true", "true or false"),
    ("dev", "allow_self_approval", "yes", "true or false"),
    ("prod", "environment", "dev", "'prod' for --env prod"),
    ("registry", "feature_branches", "better-features", "a list of distinct branch names"),
    ("registry", "feature_branches", ["Better"], "lowercase letters, digits or hyphens"),
    ("registry", "feature_branches", ["fix/42"], "lowercase letters, digits or hyphens"),
    ("registry", "feature_branches", ["b" * 54], "of 1-53 lowercase"),
    ("registry", "feature_branches", ["a", "b", "a"], "a list of distinct branch names"),
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
    with pytest.raises(
        MlopsError, match="key 'terraform_role_arn': expected a role in account_id's account, 3333"
    ):
        config.load("prod", write(tmp_path, values))


def test_self_approval_is_allowed_in_dev_only(tmp_path):
    """Four eyes decide what serves in prod: a trainer approving their own version is for dev."""
    dev = tfvars("dev") | {"allow_self_approval": True}
    assert config.load("dev", write(tmp_path, dev)).values["allow_self_approval"] is True
    prod = tfvars("prod") | {"allow_self_approval": True}
    with pytest.raises(MlopsError, match="key 'allow_self_approval': expected false outside dev"):
        config.load("prod", write(tmp_path, prod))


def test_a_feature_branch_too_long_for_its_group_name_is_rejected(tmp_path):
    """A branch valid alone, whose group `<model_name>-feature-<branch>` passes SageMaker's 63
    characters (mammo-severity: 14 + 9 + 40 = 63)."""
    values = tfvars("registry") | {"feature_branches": ["ok", "b" * 41]}
    with pytest.raises(MlopsError) as error:
        config.load("registry", write(tmp_path, values))
    assert (
        "key 'feature_branches': expected branches of at most 40 characters, so that "
        "mammo-severity-feature-<branch> is a model package group name of at most 63 "
        f'(too long: ["{"b" * 41}"])'
    ) in str(error.value)
    values["feature_branches"] = ["ok", "b" * 40]
    assert (
        config.load("registry", write(tmp_path, values)).values["feature_branches"][1] == "b" * 40
    )


def test_an_endpoint_is_checked_by_the_rules_of_the_module_it_is_handed_to(tmp_path):
    """A stage's `endpoint` goes to modules/realtime-endpoint, whose rules hold its attributes
    to SageMaker's limits: `mlops validate` reports them with the root's, naming the
    attribute; an attribute misspelt is refused by name (Terraform would drop it)."""
    endpoint = {"serving": {"mode": "instances"}, "traffic_shift": {"type": "CANARY"}}
    values = tfvars("dev") | {"endpoint": endpoint}
    assert config.load("dev", write(tmp_path, values)).values["endpoint"] == endpoint
    for attributes, said in (
        (
            {"traffic_shift": {"type": "CANARY", "step_percent": 75}},
            "endpoint.traffic_shift.step_percent must be a whole number from 1 to 50",
        ),
        (
            {"serving": {"mode": "serverless", "memory_size_mb": 1000}},
            "endpoint.serving.memory_size_mb must be 1024, 2048",
        ),
        (
            {"rollback_alarms": {"period_seconds": 90}},
            "endpoint.rollback_alarms.period_seconds must be a multiple of 60",
        ),
        ({"trafic_shift": {"type": "CANARY"}}, "(trafic_shift is not an attribute)"),
    ):
        values = tfvars("dev") | {"endpoint": endpoint | attributes}
        with pytest.raises(MlopsError) as error:
            config.load("dev", write(tmp_path, values))
        assert "key 'endpoint': " in str(error.value) and said in str(error.value), error.value


def _module_call(root: str, module: str) -> dict[str, str]:
    """The arguments of a root's call of a module (its main.tf), each as written (a value
    spread over lines: its first line)."""
    text = (config.PROJECT_ROOT / "environments" / root / "main.tf").read_text()
    block = text.split(f'module "{module}" {{\n', 1)[1].split("\n}\n", 1)[0]
    found = re.findall(r"^  ([a-z_]+)\s+= (.+)$", block, re.MULTILINE)
    return dict(found)


def test_the_validation_calls_a_handed_module_as_its_root_does():
    """`mlops validate` plans a key's module with the root's call rebuilt (glue/config.py's
    _MODULE_RULES): each argument it gives is one the root gives, what comes from the key is
    the root's very expression, and each input the module requires is given."""
    for root, (key, module, arguments) in config._MODULE_RULES.items():
        call = _module_call(root, module.replace("-", "_"))
        assert set(arguments) <= set(call), sorted(set(arguments) - set(call))
        from_key = {
            name: expression
            for name, expression in call.items()
            if re.search(rf"\bvar\.{key}\b", expression) and not expression.endswith("{")
        }
        assert from_key and all(arguments[n] == f"${{{e}}}" for n, e in from_key.items()), from_key
        variables = (config.PROJECT_ROOT / "modules" / module / "variables.tf").read_text()
        required = {
            name
            for name, body in re.findall(r'variable "([a-z_]+)" \{(.*?)\n\}', variables, re.S)
            if "default" not in body
        }
        assert required <= set(arguments), sorted(required - set(arguments))


def test_unknown_key_is_rejected(tmp_path):
    values = tfvars("dev") | {"auc_treshold": 0.9}
    with pytest.raises(MlopsError, match="key 'auc_treshold': unknown key"):
        config.load("dev", write(tmp_path, values))


def test_tfvars_of_another_environment_is_rejected():
    with pytest.raises(MlopsError, match="key 'environment': expected 'dev' for --env dev"):
        config.load("dev", ROOT / "prod.tfvars.json")


def test_every_problem_is_reported_at_once(tmp_path):
    """Python's and Terraform's, of one variable and between variables, in one line."""
    values = tfvars("prod") | {
        "account_id": "1",
        "auc_threshold": 7,
        "allow_self_approval": True,  # outside dev
        "registry_terraform_role_arn": "arn:aws:iam::999999999999:role/tf",  # another account
        "tags": {"owner": 5},  # of another type
        "auc_treshold": 0.9,
    }
    with pytest.raises(MlopsError) as error:
        config.load("prod", write(tmp_path, values))
    said = str(error.value)
    for key in values.keys() - tfvars("prod").keys() | {"account_id", "auc_threshold"}:
        assert f"key {key!r}" in said, key
    assert said.count("key '") == 6, said


def test_a_number_too_large_for_python_is_refused(tmp_path):
    path = tmp_path / "big.tfvars.json"
    path.write_text(
        json.dumps(tfvars("dev")).replace('"auc_threshold": 0.8', '"auc_threshold": 1e400')
    )
    with pytest.raises(MlopsError, match="not valid JSON .1e400 is too large a number"):
        config.load("dev", path)


def test_the_callers_terraform_variables_and_arguments_do_not_decide(tmp_path, monkeypatch):
    """TF_VAR_* would set what the file leaves unset, TF_CLI_ARGS_plan would change the plan:
    the check is of the file alone."""
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TF_VAR_weekly_training", "every day")
    monkeypatch.setenv("TF_CLI_ARGS_plan", "-var=challenger_auc_tolerance=7")
    assert config.load("dev").values["environment"] == "dev"


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
    assert result.returncode == 2
    assert "unknown environment 'qa'" in one_line(result.stderr)


def test_a_root_is_validated_again_only_when_its_configuration_changed(tmp_path, monkeypatch):
    """Once per configuration on the machine, whatever the state directory: a new one (a
    test's, another workspace's) neither inits nor validates an unchanged root again; a module
    renamed, its bytes unchanged, is another configuration."""
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "environments" / "root"
    root.mkdir(parents=True)
    (root / "main.tf").write_text('variable "name" {\n  type = string\n}\n')
    (tmp_path / "modules" / "a").mkdir(parents=True)
    (tmp_path / "modules" / "a" / "main.tf").write_text('variable "x" {\n  type = string\n}\n')
    runner = TerraformRunner(root, "root-validate")
    commands: list[str] = []
    real_run = TerraformRunner.run
    monkeypatch.setattr(
        TerraformRunner,
        "run",
        lambda self, command, *args, **kw: (
            commands.append(command) or real_run(self, command, *args, **kw)
        ),
    )
    runner.validate()
    runner.validate()
    assert commands == ["init", "validate"]
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "another-state"))
    TerraformRunner(root, "root-validate").validate()
    assert commands == ["init", "validate"]
    (tmp_path / "modules" / "a").rename(tmp_path / "modules" / "b")
    runner.validate()
    assert commands == ["init", "validate", "init", "validate"]
    (root / "main.tf").write_text('variable "name" {\n  type = strin\n}\n')
    with pytest.raises(MlopsError, match="Invalid type specification"):
        runner.validate()
    with pytest.raises(MlopsError):  # a failed validation is never remembered as passed
        runner.validate()


def test_issue_values_are_refused_with_one_clear_message(tmp_path):
    """A trailing newline or Arabic-Indic digits: one problem, the account ID, nothing else (the
    role's account is not compared with an invalid account ID)."""
    for bad in ("222222222222\n", "\u0662" * 12):
        values = tfvars("dev") | {"account_id": bad}
        with pytest.raises(MlopsError) as error:
            config.load("dev", write(tmp_path, values))
        message = str(error.value)
        assert message.count("key '") == 1, message
        assert (
            "key 'account_id': expected a 12-digit AWS account ID such as 123456789012, "
            f"got {json.dumps(bad)}" in message
        )


def test_whole_numbers_written_as_floats_are_whole_numbers(tmp_path):
    """Terraform's numbers do not tell 25 from 25.0: neither does the validator."""
    values = tfvars("registry") | {
        "aws_max_retries": 25.0,
        "noncurrent_version_expiration_days": 9e1,
    }
    assert config.load("registry", write(tmp_path, values)).values["aws_max_retries"] == 25


def test_strings_are_read_in_unicode_nfc_as_terraform_reads_them(tmp_path):
    """Terraform turns "e" + a combining accent into "é" (and the Kelvin sign into K) before its
    validations: the validator checks, and keeps, the same strings."""
    values = tfvars("prod") | {"tags": {"owner": "e\u0301quipe"}, "model_name": "\u212aappa"}
    loaded = config.load("prod", write(tmp_path, values))
    assert loaded.values["tags"] == {"owner": "\u00e9quipe"}
    assert loaded.values["model_name"] == "Kappa"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"environment": "prod", "environment": "prod"}', 'key "environment" twice'),
        ('{"tags": {"caf\\u00e9": "1", "cafe\\u0301": "2"}}', "twice in an object"),
        ('{"auc_threshold": NaN}', "NaN is not a JSON number"),
        ('{"aws_max_retries": Infinity}', "Infinity is not a JSON number"),
    ],
)
def test_json_that_terraform_cannot_read_is_refused(tmp_path, text, expected):
    path = tmp_path / "odd.tfvars.json"
    path.write_text(text)
    with pytest.raises(MlopsError, match="not valid JSON") as error:
        config.load("prod", path)
    assert expected in str(error.value)


def test_null_optional_keys_are_unset(tmp_path):
    values = tfvars("prod") | {
        key: None for key, variable in config.declared("workload").items() if not variable.required
    }
    assert config.load("prod", write(tmp_path, values)).values["terraform_role_arn"] is None


def _logging_terraform(folder: Path, plan: str | None = None) -> tuple[Path, Path]:
    """A terraform that logs each command, then runs the real one (or, for a plan, prints
    `plan` and exits 0 when given)."""
    log, script = folder / "commands", folder / "terraform"
    real = shutil.which("terraform")
    fake_plan = f'[ "$1" = plan ] && printf %s {shlex.quote(plan)} && exit 0\n' if plan else ""
    script.write_text(f'#!/bin/sh\necho "$1" >> {log}\n{fake_plan}exec {real} "$@"\n')
    script.chmod(0o755)
    return script, log


def test_tfvars_are_planned_once_per_content_and_failures_every_time(tmp_path, monkeypatch):
    """A pass is remembered by the variable files and the values: the same tfvars are not
    planned again, even without Terraform (a command that only reads the state needs none); a
    refusal is never remembered."""
    terraform, log = _logging_terraform(tmp_path)
    monkeypatch.setenv("MLOPS_TERRAFORM", str(terraform))
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))
    config.load("dev")
    config.load("dev")
    assert log.read_text().split().count("plan") == 1
    config.load("prod")
    assert log.read_text().split().count("plan") == 2
    bad = write(tmp_path, tfvars("dev") | {"auc_threshold": 2})
    for _ in range(2):
        with pytest.raises(MlopsError, match="key 'auc_threshold'"):
            config.load("dev", bad)
    assert log.read_text().split().count("plan") == 4
    monkeypatch.setenv("MLOPS_TERRAFORM", str(tmp_path / "nonexistent"))
    assert config.load("dev").values["environment"] == "dev"
    other = write(tmp_path, tfvars("dev") | {"auc_threshold": 0.9})
    with pytest.raises(MlopsError, match="terraform not found"):
        config.load("dev", other)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("", "checked no tfvars: its plan of the variables of workload said neither"),
        (
            '{"type": "diagnostic", "diagnostic": {"severity": "error", "summary": "Unsupported '
            'argument", "detail": "An argument named x is not expected here."}}',
            "could not check tfvars against the variables of workload: Unsupported argument: "
            "An argument named x is not expected here.",
        ),
    ],
)
def test_a_check_that_says_nothing_or_fails_otherwise_is_one_line(
    tmp_path, monkeypatch, said, expected
):
    """A binary that plans nothing, or a plan that fails for another reason than a rule, is not
    taken for a pass."""
    terraform, _ = _logging_terraform(tmp_path, plan=said + "\n")
    monkeypatch.setenv("MLOPS_TERRAFORM", str(terraform))
    monkeypatch.setenv("MLOPS_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(MlopsError, match=re.escape(expected)):
        config.load("dev")

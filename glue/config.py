"""Read and validate an environment's JSON tfvars before Terraform sees them.

Every problem is reported at once, each naming the file, the key and what is expected, so a bad
value is rejected before any plan and nothing is changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from glue.errors import MlopsError
from glue.settings import PROJECT_ROOT

ENVIRONMENTS = ("registry", "dev", "prod")
WORKLOAD_ENVIRONMENTS = ("dev", "prod")

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
MODEL_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}$")
# The strictest tag value alphabet of the services tagged here (SageMaker's TagValue pattern in
# botocore's model): tfvars tags reach every resource through the providers' default_tags.
TAG_VALUE = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}")

# EventBridge cron fields: minutes hours day-of-month month day-of-week year.
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
_CRON_FIELDS = (
    ("minutes", r"[0-5]?\d"),
    ("hours", r"[01]?\d|2[0-3]"),
    ("day-of-month", r"[1-9]|[12]\d|3[01]|L|LW|([1-9]|[12]\d|3[01])W"),
    ("month", rf"[1-9]|1[0-2]|{_MONTHS}"),
    ("day-of-week", rf"[1-7]|{_DAYS}|[1-7]L|[1-7]#[1-5]"),
    ("year", r"19[7-9]\d|2[01]\d\d"),
)
RATE = re.compile(r"^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$")


def _cron_field_ok(value: str, atom: str, allow_question: bool) -> bool:
    if value == "?":
        return allow_question
    if value == "*":
        return True
    item = rf"(\*|({atom})(-({atom}))?)(/\d+)?"
    return re.fullmatch(rf"{item}(,{item})*", value) is not None


def schedule_problem(expression: str) -> str | None:
    """Why an EventBridge schedule expression is invalid, or None when it is valid."""
    if RATE.match(expression):
        return None
    match = re.fullmatch(r"cron\((.*)\)", expression)
    if match is None:
        return "cron(minutes hours day-of-month month day-of-week year) or rate(N unit)"
    fields = match.group(1).split()
    if len(fields) != len(_CRON_FIELDS):
        names = " ".join(name for name, _ in _CRON_FIELDS)
        return f"a cron with 6 fields ({names}), got {len(fields)}"
    for value, (name, atom) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field_ok(value, atom, allow_question=name in ("day-of-month", "day-of-week")):
            return f"a valid {name} field in the cron, got {value!r}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "'?' in exactly one of day-of-month and day-of-week (EventBridge cron rule)"
    return None


Check = Callable[[Any], str | None]


def _pattern(regex: re.Pattern[str], expected: str) -> Check:
    return lambda v: None if isinstance(v, str) and regex.match(v) else expected


def _role_arn(v: Any) -> str | None:
    if isinstance(v, str) and ROLE_ARN.match(v):
        return None
    return "an IAM role ARN such as arn:aws:iam::123456789012:role/NAME"


def _integer(low: int, high: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and low <= v <= high
        return None if ok else f"a whole number from {low} to {high}"

    return check


def _boolean(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _threshold(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1
    return None if ok else "a number greater than 0 and at most 1 (an AUC)"


def _schedule(v: Any) -> str | None:
    if not isinstance(v, str):
        return "an EventBridge schedule such as cron(0 6 * * ? *)"
    return schedule_problem(v)


def _emails(v: Any) -> str | None:
    if not isinstance(v, list):
        return "a list of e-mail addresses such as ml-alerts@example.com"
    bad = [e for e in v if not (isinstance(e, str) and EMAIL.match(e))]
    return f"a list of e-mail addresses (invalid: {bad})" if bad else None


def _tags(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(
        isinstance(k, str) and TAG_KEY.match(k) and isinstance(t, str) and TAG_VALUE.fullmatch(t)
        for k, t in v.items()
    )
    if ok:
        return None
    return (
        "an object of tag names to values of at most 256 letters, digits, spaces "
        "or _ . : / = + - @ (what SageMaker accepts)"
    )


def _workload_accounts(v: Any) -> str | None:
    if not isinstance(v, dict) or set(v) != set(WORKLOAD_ENVIRONMENTS):
        return 'both workload accounts: {"dev": "<12 digits>", "prod": "<12 digits>"}'
    bad = {k: a for k, a in v.items() if not (isinstance(a, str) and ACCOUNT_ID.match(a))}
    return f"12-digit AWS account IDs (invalid: {bad})" if bad else None


_ACCOUNT = _pattern(ACCOUNT_ID, "a 12-digit AWS account ID such as 123456789012")


@dataclass(frozen=True)
class Key:
    check: Check
    required: bool = True


_COMMON = {
    "environment": Key(lambda v: None if v in ENVIRONMENTS else f"one of {ENVIRONMENTS}"),
    "region": Key(_pattern(REGION, "an AWS region such as us-east-1")),
    "account_id": Key(_ACCOUNT),
    "terraform_role_arn": Key(_role_arn, required=False),
    "aws_max_retries": Key(_integer(1, 100), required=False),
    "name_prefix": Key(
        _pattern(NAME_PREFIX, "2-21 lowercase letters, digits or '-', starting with a letter")
    ),
    "model_name": Key(_pattern(MODEL_NAME, "1-41 letters, digits or single hyphens")),
    "protect_from_destroy": Key(_boolean, required=False),
    "tags": Key(_tags, required=False),
}

SCHEMAS: dict[str, dict[str, Key]] = {
    "registry": {
        **_COMMON,
        "workload_account_ids": Key(_workload_accounts),
        "noncurrent_version_expiration_days": Key(_integer(1, 3650), required=False),
        "access_log_bucket": Key(
            _pattern(BUCKET, "an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"),
            required=False,
        ),
    },
    **{
        env: {
            **_COMMON,
            "registry_account_id": Key(_ACCOUNT),
            "registry_terraform_role_arn": Key(_role_arn, required=False),
            "ci_role_arn": Key(_role_arn),
            "inference_schedule": Key(_schedule),
            "auc_threshold": Key(_threshold),
            "notification_emails": Key(_emails, required=False),
            "create_governance_table": Key(_boolean, required=False),
            "retrain_on_failed_inference": Key(_boolean, required=False),
        }
        for env in WORKLOAD_ENVIRONMENTS
    },
}


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    tfvars_file: Path
    values: dict[str, Any]

    @property
    def terraform_dir(self) -> Path:
        return PROJECT_ROOT / "environments" / self.name

    @property
    def account_id(self) -> str:
        return self.values["account_id"]

    @property
    def region(self) -> str:
        return self.values["region"]

    @property
    def terraform_role_arn(self) -> str | None:
        return self.values.get("terraform_role_arn")


def default_tfvars_file(environment: str) -> Path:
    return PROJECT_ROOT / f"{environment}.tfvars.json"


def _cross_checks(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems between keys: a role must live in the account it is used for."""
    problems = []
    pairs = [("terraform_role_arn", values.get("account_id"))]
    pairs.append(("registry_terraform_role_arn", values.get("registry_account_id")))
    for key, account in pairs:
        arn = values.get(key)
        match = ROLE_ARN.match(arn) if isinstance(arn, str) else None
        if match and account and match.group(1) != account:
            problems.append((key, f"a role in account {account}, got one in {match.group(1)}"))
    return problems


def load(environment: str, tfvars_file: Path | None = None) -> EnvironmentConfig:
    """Read and validate the tfvars of an environment; raise with every problem found."""
    if environment not in SCHEMAS:
        raise MlopsError(
            f"unknown environment {environment!r}: expected one of {', '.join(ENVIRONMENTS)}"
        )
    path = (tfvars_file or default_tfvars_file(environment)).resolve()
    try:
        values = json.loads(path.read_text())
    except FileNotFoundError:
        raise MlopsError(
            f"{path}: file not found (the tfvars of environment {environment})"
        ) from None
    except json.JSONDecodeError as error:
        raise MlopsError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(values, dict):
        raise MlopsError(f"{path}: expected a JSON object of variable names to values")

    schema = SCHEMAS[environment]
    problems: list[tuple[str, str]] = []
    for key, spec in schema.items():
        if key not in values:
            if spec.required:
                problems.append((key, "required key is missing"))
            continue
        if values[key] is None and not spec.required:
            continue
        expected = spec.check(values[key])
        if expected:
            problems.append((key, f"expected {expected}, got {json.dumps(values[key])}"))
    problems += [(key, "unknown key") for key in values if key not in schema]
    if values.get("environment") in ENVIRONMENTS and values["environment"] != environment:
        problems.append(("environment", f"expected {environment!r} for --env {environment}"))
    problems += _cross_checks(values)
    if problems:
        details = "; ".join(f"key {key!r}: {message}" for key, message in problems)
        raise MlopsError(f"{path}: invalid tfvars: {details}")
    return EnvironmentConfig(name=environment, tfvars_file=path, values=values)


def require_account(config: EnvironmentConfig, account: str) -> None:
    """A guard for CI: the tfvars must target the account the job was configured for."""
    expected = _ACCOUNT(account)
    if expected:
        raise MlopsError(f"--account: expected {expected}, got {json.dumps(account)}")
    if config.account_id != account:
        raise MlopsError(
            f"{config.tfvars_file}: key 'account_id' is {config.account_id}, but this run "
            f"targets account {account} (--account): fix the tfvars or the job's parameter"
        )

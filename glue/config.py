"""Read and validate an environment's JSON tfvars before Terraform sees them.

Every problem is reported at once, each naming the file, the key and what is expected, so a bad
value is rejected before any plan and nothing is changed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from glue.errors import MlopsError, UsageError
from glue.settings import PROJECT_ROOT

ENVIRONMENTS = ("registry", "dev", "prod")
WORKLOAD_ENVIRONMENTS = ("dev", "prod")
# One Terraform root per kind of account, varied by tfvars: the stages share the workload root.
ROOTS = {"registry": "registry", **{stage: "workload" for stage in WORKLOAD_ENVIRONMENTS}}

# The rules below are also the `validation` blocks of environments/*/variables.tf, which Terraform
# applies to the same values: tests/test_tfvars_agreement.py holds both to the same verdicts.
# Like Terraform's RE2 patterns (anchored there), patterns here match whole values (fullmatch: `$`
# would accept a trailing newline) and spell their classes in ASCII ([0-9], not \d, which also
# matches the digits of other scripts); only tags take Unicode letters, digits and spaces, as AWS
# does. Strings are checked in Unicode NFC, the form Terraform gives every string it reads.
ACCOUNT_ID = re.compile(r"[0-9]{12}")
# arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME. IAM allows a name of 1-64 characters after a path of
# at most 512 (of any printable ASCII): here the path keeps the names' alphabet, and path and name
# together are at most 512 characters.
ROLE_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:iam::(?P<account>[0-9]{12}):role/"
    r"(?P<path_and_name>([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64})"
)
ROLE_PATH_AND_NAME_MAX = 512
# A person: an IAM user or a role (e.g. an SSO permission set's) whose sessions name the person.
PRINCIPAL_ARN = re.compile(
    r"arn:aws(-[a-z]+)*:iam::(?P<account>[0-9]{12}):(user|role)/"
    r"(?P<path_and_name>([a-zA-Z0-9+=,.@_-]+/)*[a-zA-Z0-9+=,.@_-]{1,64})"
)
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]")
NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]{1,20}")
MODEL_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
MODEL_NAME_MAX = 41
# A feature branch names its model package group `<model_name>-feature-<branch>`: lowercase, so
# two branches never name groups that differ in case only, and within SageMaker's 63 characters.
FEATURE_BRANCH = re.compile(r"[a-z0-9](-*[a-z0-9])*")
FEATURE_GROUP_INFIX = "-feature-"
GROUP_NAME_MAX = 63
FEATURE_BRANCH_MAX = GROUP_NAME_MAX - len(FEATURE_GROUP_INFIX) - 1  # after a 1-character model
_EMAIL_ATOM = r"[a-zA-Z0-9!#&'*+/=?^_|~-]+"
_DOMAIN_LABEL = r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?"
EMAIL = re.compile(rf"{_EMAIL_ATOM}(\.{_EMAIL_ATOM})*@({_DOMAIN_LABEL}\.)+[a-zA-Z]{{2,63}}")
EMAIL_LOCAL_MAX, EMAIL_MAX = 64, 254
# S3's rules for general purpose bucket names.
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# The strictest tag alphabet of the services tagged here (SageMaker's TagKey and TagValue patterns
# in botocore's model): tfvars tags reach every resource through the providers' default_tags.
_TAG_CHARACTER = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]"
TAG_KEY = regex.compile(rf"{_TAG_CHARACTER}{{1,128}}")
TAG_VALUE = regex.compile(rf"{_TAG_CHARACTER}{{0,256}}")
TAG_KEY_RESERVED = re.compile(r"[aA][wW][sS]:")  # a prefix AWS keeps for its own tags

# EventBridge cron fields: minutes hours day-of-month month day-of-week year.
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
_CRON_FIELDS = (
    ("minutes", r"[0-5]?[0-9]"),
    ("hours", r"[01]?[0-9]|2[0-3]"),
    ("day-of-month", r"[1-9]|[12][0-9]|3[01]|L|LW|([1-9]|[12][0-9]|3[01])W"),
    ("month", rf"[1-9]|1[0-2]|{_MONTHS}"),
    ("day-of-week", rf"[1-7]|{_DAYS}|[1-7]L|[1-7]#[1-5]"),
    ("year", r"19[7-9][0-9]|2[01][0-9][0-9]"),
)
RATE = re.compile(r"rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)")
# The weekly training run, "DAY HH:MM" in UTC (Terraform turns it into an EventBridge cron), or
# "off": none on schedule.
WEEKLY = re.compile(r"off|(MON|TUE|WED|THU|FRI|SAT|SUN) ([01][0-9]|2[0-3]):[0-5][0-9]")


def _cron_field_ok(value: str, atom: str, allow_question: bool) -> bool:
    if value == "?":
        return allow_question
    item = rf"(\*|({atom})(-({atom}))?)(/[1-9][0-9]*)?"
    return re.fullmatch(rf"({item})(,{item})*", value) is not None


def schedule_problem(expression: str) -> str | None:
    """Why an EventBridge schedule expression is invalid, or None when it is valid."""
    if RATE.fullmatch(expression):
        return None
    match = re.fullmatch(r"cron\((.*)\)", expression)
    if match is None:
        return "cron(minutes hours day-of-month month day-of-week year) or rate(N unit)"
    fields = match.group(1).split(" ")
    names = " ".join(name for name, _ in _CRON_FIELDS)
    if "" in fields:
        return f"a cron of 6 fields ({names}) separated by single spaces"
    if len(fields) != len(_CRON_FIELDS):
        return f"a cron with 6 fields ({names}), got {len(fields)}"
    for value, (name, atom) in zip(fields, _CRON_FIELDS, strict=True):
        if not _cron_field_ok(value, atom, allow_question=name in ("day-of-month", "day-of-week")):
            return f"a valid {name} field in the cron, got {value!r}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "'?' in exactly one of day-of-month and day-of-week (EventBridge cron rule)"
    return None


Check = Callable[[Any], str | None]


class NotTerraformJson(ValueError):
    """JSON that Python reads but Terraform refuses: NaN or Infinity, a key twice in an object
    (also two keys that differ only before Unicode NFC)."""


def _keys_not_in_nfc(value: Any) -> list[str]:
    """Object keys not in Unicode NFC: Terraform's jsondecode() refuses them, and tfvars keep them
    as written while normalizing every string value (a key and its value would differ in form)."""
    if isinstance(value, list):
        return [key for item in value for key in _keys_not_in_nfc(item)]
    if isinstance(value, dict):
        odd = [key for key in value if unicodedata.normalize("NFC", key) != key]
        return odd + [key for item in value.values() for key in _keys_not_in_nfc(item)]
    return []


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = set()
    for key, _ in pairs:
        if unicodedata.normalize("NFC", key) in keys:
            raise NotTerraformJson(f"key {json.dumps(key)} twice in an object (compared in NFC)")
        keys.add(unicodedata.normalize("NFC", key))
    return dict(pairs)


def _constant(name: str) -> Any:
    raise NotTerraformJson(f"{name} is not a JSON number")


def terraform_form(value: Any) -> Any:
    """The value as Terraform reads it from tfvars: every string value in Unicode NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [terraform_form(item) for item in value]
    if isinstance(value, dict):
        return {key: terraform_form(item) for key, item in value.items()}
    return value


def _pattern(pattern: re.Pattern[str], expected: str) -> Check:
    return lambda v: None if isinstance(v, str) and pattern.fullmatch(v) else expected


def _environment(name: str) -> Check:
    def check(v: Any) -> str | None:
        if v == name:
            return None
        if v in ENVIRONMENTS:
            return f"{name!r} for --env {name}"
        return f"{name!r} for --env {name} (an environment is one of {', '.join(ENVIRONMENTS)})"

    return check


def _role_arn(v: Any) -> str | None:
    match = ROLE_ARN.fullmatch(v) if isinstance(v, str) else None
    if match and len(match["path_and_name"]) <= ROLE_PATH_AND_NAME_MAX:
        return None
    return (
        "an IAM role ARN such as arn:aws:iam::123456789012:role/NAME (a name of 1-64 letters, "
        "digits or + = , . @ _ -, after an optional path; at most 512 characters after role/)"
    )


def _role_arns(v: Any) -> str | None:
    expected = (
        "a non-empty list of distinct IAM role ARNs such as arn:aws:iam::123456789012:role/NAME"
    )
    if not isinstance(v, list) or not v:
        return expected
    bad = [a for a in v if _role_arn(a)]
    if bad:
        return f"{expected}; invalid: {json.dumps(bad)}"
    twice = sorted({a for a in v if v.count(a) > 1})
    return f"{expected}; given twice: {json.dumps(twice)}" if twice else None


def _principal_arns(v: Any, non_empty: bool = False) -> str | None:
    expected = (
        f"a{' non-empty' if non_empty else ''} list of distinct IAM user or role ARNs such as "
        "arn:aws:iam::123456789012:user/NAME"
    )
    if not isinstance(v, list) or (non_empty and not v):
        return expected
    bad = [
        a
        for a in v
        if not (isinstance(a, str) and (m := PRINCIPAL_ARN.fullmatch(a)))
        or len(m["path_and_name"]) > ROLE_PATH_AND_NAME_MAX
    ]
    if bad:
        return f"{expected}; invalid: {json.dumps(bad)}"
    twice = sorted({a for a in v if v.count(a) > 1})
    return f"{expected}; given twice: {json.dumps(twice)}" if twice else None


def _approvers(v: Any) -> str | None:
    if not isinstance(v, dict) or set(v) != set(WORKLOAD_ENVIRONMENTS):
        return 'the approvers of both stages: {"dev": [ARNs], "prod": [ARNs]}'
    for stage, principals in sorted(v.items()):
        problem = _principal_arns(principals, non_empty=True)
        if problem:
            return f"{stage}: {problem}"
    return None


def _integer(low: int, high: int) -> Check:
    def check(v: Any) -> str | None:
        # 90.0 is the whole number 90 to Terraform, whose numbers do not tell them apart.
        whole = isinstance(v, int) and not isinstance(v, bool)
        whole = whole or (isinstance(v, float) and v.is_integer())
        return None if whole and low <= v <= high else f"a whole number from {low} to {high}"

    return check


def _boolean(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def _threshold(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1
    return None if ok else "a number greater than 0 and at most 1 (an AUC)"


def _tolerance(v: Any) -> str | None:
    ok = isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 1
    return None if ok else "a number from 0 up to (not including) 1 (an AUC difference)"


def _schedule(v: Any) -> str | None:
    if not isinstance(v, str):
        return "an EventBridge schedule such as cron(0 6 * * ? *)"
    return schedule_problem(v)


def _email_ok(v: Any) -> bool:
    return (
        isinstance(v, str)
        and EMAIL.fullmatch(v) is not None
        and len(v) <= EMAIL_MAX
        and len(v.partition("@")[0]) <= EMAIL_LOCAL_MAX
    )


def _emails(v: Any) -> str | None:
    if not isinstance(v, list):
        return "a list of e-mail addresses such as ml-alerts@example.com"
    bad = [e for e in v if not _email_ok(e)]
    if not bad:
        return None
    return (
        f"a list of e-mail addresses (ASCII, at most {EMAIL_LOCAL_MAX} characters before the @ "
        f"and {EMAIL_MAX} in all; invalid: {json.dumps(bad)})"
    )


def _tags(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(
        isinstance(k, str)
        and TAG_KEY.fullmatch(k)
        and not TAG_KEY_RESERVED.match(k)
        and isinstance(t, str)
        and TAG_VALUE.fullmatch(t)
        for k, t in v.items()
    )
    if ok:
        return None
    return (
        "an object of tag names of 1-128 characters (not starting with aws:) to values of at "
        "most 256, both of letters, digits, spaces or _ . : / = + - @ (what SageMaker accepts)"
    )


def _bucket(v: Any) -> str | None:
    ok = (
        isinstance(v, str)
        and BUCKET.fullmatch(v)
        and ".." not in v
        and not IP_ADDRESS.fullmatch(v)
        and not v.startswith(BUCKET_RESERVED_PREFIXES)
        and not v.endswith(BUCKET_RESERVED_SUFFIXES)
    )
    if ok:
        return None
    return (
        "an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with "
        "a letter or digit, without '..', not an IP address, without a reserved prefix "
        f"({', '.join(BUCKET_RESERVED_PREFIXES)}) or suffix ({', '.join(BUCKET_RESERVED_SUFFIXES)})"
    )


def _model_name(v: Any) -> str | None:
    if isinstance(v, str) and MODEL_NAME.fullmatch(v) and len(v) <= MODEL_NAME_MAX:
        return None
    return (
        f"1-{MODEL_NAME_MAX} letters, digits or hyphens, starting and ending with a letter or digit"
    )


def _feature_branches(v: Any) -> str | None:
    expected = (
        f"a list of distinct branch names of 1-{FEATURE_BRANCH_MAX} lowercase letters, digits or "
        'hyphens, starting and ending with a letter or digit (e.g. "better-features")'
    )
    if not isinstance(v, list):
        return expected
    bad = [
        b
        for b in v
        if not (isinstance(b, str) and FEATURE_BRANCH.fullmatch(b) and len(b) <= FEATURE_BRANCH_MAX)
    ]
    if bad:
        return f"{expected}; invalid: {json.dumps(bad)}"
    twice = sorted({b for b in v if v.count(b) > 1})
    return f"{expected}; given twice: {json.dumps(twice)}" if twice else None


def _workload_accounts(v: Any) -> str | None:
    if not isinstance(v, dict) or set(v) != set(WORKLOAD_ENVIRONMENTS):
        return 'both workload accounts: {"dev": "<12 digits>", "prod": "<12 digits>"}'
    bad = {k: a for k, a in v.items() if not (isinstance(a, str) and ACCOUNT_ID.fullmatch(a))}
    return f"12-digit AWS account IDs (invalid: {json.dumps(bad)})" if bad else None


_ACCOUNT = _pattern(ACCOUNT_ID, "a 12-digit AWS account ID such as 123456789012")


@dataclass(frozen=True)
class Key:
    rule: Check
    required: bool = True

    def check(self, value: Any) -> str | None:
        """What is expected instead of the value, or None when it is valid (read as Terraform
        reads it: an optional key may also be null, which `load` accepts before any check)."""
        odd = _keys_not_in_nfc(value)
        if odd:
            return f"object keys in Unicode NFC, as Terraform decodes them (not: {json.dumps(odd)})"
        return self.rule(terraform_form(value))


def _common(environment: str) -> dict[str, Key]:
    return {
        "environment": Key(_environment(environment)),
        "region": Key(_pattern(REGION, "an AWS region such as us-east-1")),
        "account_id": Key(_ACCOUNT),
        "terraform_role_arn": Key(_role_arn, required=False),
        # Who may assume terraform_role_arn (the CI principal, named administrators): read by
        # `mlops bootstrap`, which creates that role.
        "terraform_principal_arns": Key(_role_arns, required=False),
        "aws_max_retries": Key(_integer(1, 100), required=False),
        "name_prefix": Key(
            _pattern(NAME_PREFIX, "2-21 lowercase letters, digits or '-', starting with a letter")
        ),
        "model_name": Key(_model_name),
        "protect_from_destroy": Key(_boolean, required=False),
        "tags": Key(_tags, required=False),
    }


SCHEMAS: dict[str, dict[str, Key]] = {
    "registry": {
        **_common("registry"),
        "workload_account_ids": Key(_workload_accounts),
        "noncurrent_version_expiration_days": Key(_integer(1, 3650), required=False),
        # Read by `mlops plan` too (glue/quotas.py): the account must spare it.
        "governance_recorder_concurrency": Key(_integer(1, 10)),
        "access_log_bucket": Key(_bucket, required=False),
        "feature_branches": Key(_feature_branches, required=False),
        # Who decides what serves (glue/people.py): each stage's approvers, and who reads.
        "model_approvers": Key(_approvers),
        "governance_readers": Key(_principal_arns, required=False),
    },
    **{
        env: {
            **_common(env),
            "registry_account_id": Key(_ACCOUNT),
            "registry_terraform_role_arn": Key(_role_arn, required=False),
            "ci_role_arn": Key(_role_arn),
            "inference_schedule": Key(_schedule),
            "weekly_training": Key(
                _pattern(WEEKLY, '"off" or "DAY HH:MM" in UTC, such as "MON 03:00"'),
                required=False,
            ),
            "auc_threshold": Key(_threshold),
            "challenger_auc_tolerance": Key(_tolerance, required=False),
            "notification_emails": Key(_emails, required=False),
            "retrain_on_failed_inference": Key(_boolean, required=False),
            # Who starts training as themselves (glue/people.py).
            "data_scientists": Key(_principal_arns, required=False),
            # Read by `mlops models approve`; true in dev only (a cross-check below).
            "allow_self_approval": Key(_boolean, required=False),
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
        return PROJECT_ROOT / "environments" / ROOTS[self.name]

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


def _cross_checks(values: dict[str, Any], invalid: set[str]) -> list[tuple[str, str]]:
    """Problems between keys valid on their own: a role must live in the account it is used for."""
    problems = []
    pairs = [("terraform_role_arn", "account_id")]
    pairs.append(("registry_terraform_role_arn", "registry_account_id"))
    for key, account_key in pairs:
        arn, account = values.get(key), values.get(account_key)
        if arn is None or account is None or {key, account_key} & invalid:
            continue
        role_account = ROLE_ARN.fullmatch(arn)["account"]
        if role_account != account:
            problems.append((key, f"a role in account {account}, got one in {role_account}"))
    if values.get("allow_self_approval") is True and values.get("environment") != "dev":
        problems.append(("allow_self_approval", "false outside dev: four eyes decide what serves"))
    if not {"feature_branches", "model_name"} & invalid and values.get("feature_branches"):
        room = GROUP_NAME_MAX - len(values["model_name"]) - len(FEATURE_GROUP_INFIX)
        long = [b for b in values["feature_branches"] if len(b) > room]
        if long:
            problems.append(
                (
                    "feature_branches",
                    f"branches of at most {room} characters, so that "
                    f"{values['model_name']}{FEATURE_GROUP_INFIX}<branch> is a model package "
                    f"group name of at most {GROUP_NAME_MAX} (too long: {json.dumps(long)})",
                )
            )
    return problems


def load(environment: str, tfvars_file: Path | None = None) -> EnvironmentConfig:
    """Read and validate the tfvars of an environment; raise with every problem found."""
    if environment not in SCHEMAS:
        raise UsageError(
            f"unknown environment {environment!r}: expected one of {', '.join(ENVIRONMENTS)}"
        )
    path = (tfvars_file or default_tfvars_file(environment)).resolve()
    try:
        values = json.loads(path.read_text(), object_pairs_hook=_object, parse_constant=_constant)
    except FileNotFoundError:
        raise MlopsError(
            f"{path}: file not found (the tfvars of environment {environment})"
        ) from None
    except (json.JSONDecodeError, NotTerraformJson) as error:
        raise MlopsError(f"{path}: not valid JSON ({error})") from None
    except UnicodeDecodeError:
        raise MlopsError(f"{path}: not UTF-8 text (tfvars are JSON in UTF-8)") from None
    except RecursionError:
        raise MlopsError(f"{path}: nested too deeply to be tfvars (arrays or objects)") from None
    except OSError as error:
        raise MlopsError(f"{path}: cannot read it ({error.strerror or error})") from None
    if not isinstance(values, dict):
        raise MlopsError(f"{path}: expected a JSON object of variable names to values")
    values = terraform_form(values)

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
    problems += _cross_checks(values, invalid={key for key, _ in problems})
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

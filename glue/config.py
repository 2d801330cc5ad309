"""Read an environment's JSON tfvars and check them before any plan.

The rules are Terraform's: the `validation` blocks of the root's variables
(environments/<root>/shared_variables.tf and variables.tf), which a plan of those two files alone
evaluates (`_failed_rules`). Python checks only what Terraform cannot, or would not report with
the others: JSON that Terraform reads otherwise (NaN, a key twice, keys not in Unicode NFC),
unknown and missing keys, values of another JSON type than the variable's (Terraform converts
"5" to 5 and 5 to "5"), and that the file is the one of the environment named on the command
line. Every problem is reported at once, each naming the file, the key and
what is expected, so a bad value is rejected before any plan and nothing is changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glue.errors import Interrupted, MlopsError, UsageError
from glue.files import keep_newest, mark_used, write_whole
from glue.settings import PROJECT_ROOT, cache_dir
from glue.terraform import TerraformRunner, interrupted
from glue.terraform_output import messages
from glue.terraform_setup import check_version, find_terraform

ENVIRONMENTS = ("registry", "dev", "prod")
WORKLOAD_ENVIRONMENTS = ("dev", "prod")
# One Terraform root per kind of account, varied by tfvars: the stages share the workload root.
ROOTS = {"registry": "registry", **{stage: "workload" for stage in WORKLOAD_ENVIRONMENTS}}
# A root's variables: those every root shares (one file, the same in each) and its own.
VARIABLE_FILES = ("shared_variables.tf", "variables.tf")
ACCOUNT_ID = re.compile(r"[0-9]{12}")  # of --account, which no tfvars rule checks
# Passed checks of tfvars remembered (each an empty file named by its fingerprint): every
# environment's, a test's and a branch's.
TFVARS_CHECKS_KEPT = 64

# A variable's type as mlops checks JSON values against it: "string", "number", "bool",
# ("list", T), ("map", T), or ("object", {attribute: (T, optional)}).
TypeSpec = str | tuple


def parse_type(text: str) -> TypeSpec:
    """A Terraform type constraint of the roots (primitives, list(), map(), object() whose
    attributes may be optional(T) or optional(T, default)); ValueError for another."""
    tokens = re.findall(r'[A-Za-z_][A-Za-z0-9_]*|"(?:[^"\\]|\\.)*"|-?[0-9.]+|[(){}\[\],=]', text)
    position = 0

    def take(expected: str | None = None) -> str:
        nonlocal position
        if position >= len(tokens) or (expected is not None and tokens[position] != expected):
            raise ValueError(f"a type mlops cannot read: {text}")
        position += 1
        return tokens[position - 1]

    def skip_expression() -> None:  # an optional attribute's default, whatever it is
        depth = 0
        while position < len(tokens):
            token = tokens[position]
            if token in "({[":
                depth += 1
            elif token in ")}]":
                if depth == 0:
                    return
                depth -= 1
            take()

    def one() -> TypeSpec:
        name = take()
        if name in ("string", "number", "bool"):
            return name
        if name in ("list", "map"):
            take("(")
            inner = one()
            take(")")
            return (name, inner)
        if name == "object":
            take("(")
            take("{")
            attributes: dict[str, tuple[TypeSpec, bool]] = {}
            while tokens[position] != "}":
                attribute = take()
                take("=")
                if tokens[position] == "optional":
                    take("optional")
                    take("(")
                    attributes[attribute] = (one(), True)
                    if tokens[position] == ",":
                        take(",")
                        skip_expression()
                    take(")")
                else:
                    attributes[attribute] = (one(), False)
                if tokens[position] == ",":
                    take(",")
            take("}")
            take(")")
            return ("object", attributes)
        raise ValueError(f"a type mlops cannot read: {text}")

    try:
        parsed = one()
    except IndexError:  # the text ended inside the type
        raise ValueError(f"a type mlops cannot read: {text}") from None
    if position != len(tokens):
        raise ValueError(f"a type mlops cannot read: {text}")
    return parsed


def type_problems(spec: TypeSpec, value: Any, where: str = "") -> list[str]:
    """How a JSON value is not of the type (empty: it is): the JSON types Terraform would
    convert (5 to "5"), and an object's attributes missing or unknown (Terraform would drop an
    unknown one, a misspelt optional one silently)."""
    if spec == "string":
        ok = isinstance(value, str)
    elif spec == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif spec == "bool":
        ok = isinstance(value, bool)
    elif spec[0] == "list":
        if not isinstance(value, list):
            return [f"{where or 'the value'} is not a list"]
        return [
            p for i, item in enumerate(value) for p in type_problems(spec[1], item, f"{where}[{i}]")
        ]
    elif spec[0] == "map":
        if not isinstance(value, dict):
            return [f"{where or 'the value'} is not an object"]
        return [
            p for k, item in value.items() for p in type_problems(spec[1], item, f"{where}.{k}")
        ]
    else:
        if not isinstance(value, dict):
            return [f"{where or 'the value'} is not an object"]
        problems = [
            f"{where}.{k}".lstrip(".") + " is not an attribute" for k in value if k not in spec[1]
        ]
        for attribute, (inner, optional) in spec[1].items():
            path = f"{where}.{attribute}".lstrip(".")
            if value.get(attribute) is None:
                if not optional:
                    problems.append(f"{path} is required")
                continue
            problems += type_problems(inner, value[attribute], path)
        return problems
    return [] if ok else [f"{where or 'the value'} is not a {spec}"]


@dataclass(frozen=True)
class Variable:
    """A variable of a root, as its declaration says: its type, whether it has a default, and
    what its first validation rule expects (its error_message after "<name> must be ")."""

    name: str
    type: str  # as declared, each run of blanks one space
    required: bool
    expected: str

    @property
    def spec(self) -> TypeSpec:
        return parse_type(self.type)

    @property
    def type_expected(self) -> str:
        """What a value of another JSON type is told: a bool's whole rule is its type."""
        return "true or false" if self.type == "bool" else self.expected


_DECLARATION = re.compile(r'^variable "(?P<name>\w+)" \{\n(?P<body>.*?)^\}', re.M | re.S)


def expectation(name: str, rule: str) -> str:
    """What a rule's error_message says is expected: "NAME must be X." is X."""
    prefix = f"{name} must be "
    if rule.startswith(prefix) and rule.endswith("."):
        return rule[len(prefix) : -1]
    return rule


def _declared_type(body: str) -> str | None:
    """The type of a variable's body, on one line or several (to its closing parenthesis), blanks
    removed."""
    start = re.search(r"^  type\s*=\s*", body, re.M)
    if start is None:
        return None
    text, depth = "", 0
    for character in body[start.end() :]:
        if character == "\n" and depth == 0:
            break
        depth += (character in "({[") - (character in ")}]")
        text += character
    return re.sub(r"\s+", " ", text).strip()


@functools.cache
def declared(root: str) -> dict[str, Variable]:
    """The variables of a root, in the order its files declare them (formatted by terraform
    fmt, which `make lint` checks: one attribute per line, nested blocks indented)."""
    found = {}
    for file_name in VARIABLE_FILES:
        path = PROJECT_ROOT / "environments" / root / file_name
        for block in _DECLARATION.finditer(path.read_text()):
            name, body = block["name"], block["body"]
            kind = _declared_type(body)
            rule = re.search(r'^    error_message\s*=\s*(".*")\s*$', body, re.M)
            try:
                parse_type(kind or "")
            except ValueError:
                raise MlopsError(f"{path}: variable {name!r}: a type mlops cannot check") from None
            found[name] = Variable(
                name=name,
                type=kind,
                required=re.search(r"^  default\s*=", body, re.M) is None,
                expected=(
                    expectation(name, json.loads(rule[1]))
                    if rule
                    else ("true or false" if kind == "bool" else f"a {kind}")
                ),
            )
    return found


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


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent, which Python reads as a float: one too large
    for one (1e400) would be infinity, which no rule could be given."""
    number = float(text)
    if not math.isfinite(number):
        raise NotTerraformJson(f"{text} is too large a number for mlops to check")
    return number


def terraform_form(value: Any) -> Any:
    """The value as Terraform reads it from tfvars: every string value in Unicode NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [terraform_form(item) for item in value]
    if isinstance(value, dict):
        return {key: terraform_form(item) for key, item in value.items()}
    return value


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


def load(environment: str, tfvars_file: Path | None = None) -> EnvironmentConfig:
    """Read and validate the tfvars of an environment; raise with every problem found."""
    if environment not in ROOTS:
        raise UsageError(
            f"unknown environment {environment!r}: expected one of {', '.join(ENVIRONMENTS)}"
        )
    path = (tfvars_file or default_tfvars_file(environment)).resolve()
    try:
        values = json.loads(
            path.read_text(),
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_finite,
        )
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

    return EnvironmentConfig(
        name=environment, tfvars_file=path, values=_checked(environment, path, values)
    )


def _checked(environment: str, path: Path, values: dict[str, Any]) -> dict[str, Any]:
    """The values, or an error naming every problem: first Python's, then Terraform's rules on
    the keys Python found nothing wrong with (unless a required key is missing or unreadable to
    Terraform: then Terraform would check nothing else)."""
    variables = declared(ROOTS[environment])
    problems: dict[str, str] = {}
    unreadable = set()  # keys Terraform cannot be given as they are
    for name, variable in variables.items():
        value = values.get(name)
        if name not in values:
            if variable.required:
                problems[name] = "required key is missing"
                unreadable.add(name)
        elif value is None and not variable.required:
            continue  # an unset optional key
        elif odd := _keys_not_in_nfc(value):
            problems[name] = (
                f"expected object keys in Unicode NFC, as Terraform decodes them (not: "
                f"{json.dumps(odd)}), got {json.dumps(value)}"
            )
            unreadable.add(name)
        elif wrong := type_problems(variable.spec, value):
            # An object's problems are named; another type's whole rule says it.
            aside = f" ({'; '.join(wrong)})" if variable.spec[0] == "object" else ""
            problems[name] = f"expected {variable.type_expected}{aside}, got {json.dumps(value)}"
            unreadable.add(name)
        elif name == "environment" and value != environment:
            known = ", ".join(ENVIRONMENTS)
            aside = "" if value in ENVIRONMENTS else f" (an environment is one of {known})"
            problems[name] = (
                f"expected {environment!r} for --env {environment}{aside}, got {json.dumps(value)}"
            )
    problems |= {key: "unknown key" for key in values if key not in variables}
    if not any(variables[key].required for key in unreadable):
        checked = {
            key: value
            for key, value in values.items()
            if key in variables and key not in unreadable and value is not None
        }
        root = ROOTS[environment]
        for name, rule in _failed_rules(root, checked):
            # A root's own rule says what the key must be; a module's, what an attribute must.
            said = (
                f"expected {expectation(name, rule)}"
                if rule.startswith(f"{name} must be ")
                else rule.rstrip(".")
            )
            problem = f"{said}, got {json.dumps(values.get(name))}"
            problems[name] = f"{problems[name]}; {problem}" if name in problems else problem
    if problems:
        order = [*variables, *values]
        details = "; ".join(
            f"key {key!r}: {problems[key]}" for key in sorted(problems, key=order.index)
        )
        raise MlopsError(f"{path}: invalid tfvars: {details}")
    return values


# A tfvars key a root hands to a module, whose own rules check it: (the key, the module, the
# call's arguments). The root's main.tf makes the same call with its own names where these
# give valid stand-ins (environments/workload: module "realtime_endpoint"); here the module's
# variables are planned with the rest, so `mlops validate` reports their rules too.
_MODULE_RULES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "workload": (
        "endpoint",
        "realtime-endpoint",
        {
            "count": "${var.endpoint == null ? 0 : 1}",
            "serving": "${var.endpoint.serving}",
            "traffic_shift": "${var.endpoint.traffic_shift}",
            "rollback_alarms": "${var.endpoint.rollback_alarms}",
            "data_capture": (
                '${var.endpoint.serving.mode == "serverless" ? null : {destination_s3_uri = '
                '"s3://stand-in/capture", kms_key_arn = "arn:aws:kms:us-east-1:111111111111:'
                'key/stand-in", sampling_percent = var.endpoint.capture_percent}}'
            ),
            "endpoint_name": "stand-in",
            "model_package_group_arn": (
                "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/stand-in"
            ),
            "execution_role_arn": "arn:aws:iam::111111111111:role/stand-in",
            "kms_key_arn": "arn:aws:kms:us-east-1:111111111111:key/stand-in",
            "package": {
                "path": "stand-in.zip",
                "base64sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                "handler": "stand_in.handler",
                "runtime": "python3.12",
            },
        },
    )
}


# Settings of the caller's that would change a plan of the variables alone: values of variables
# (TF_VAR_*), extra arguments, a workspace.
_CALLERS_SETTINGS = ("TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_WORKSPACE")


def _failed_rules(root: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each (variable, its rule's error_message) of the validation rules of a root's variables
    that `values` fail. The root's variable files are planned alone in a folder of their own (no
    provider, no state: about 0.05 s), so every failing rule is reported at once. A pass is
    remembered in the shared cache by what it depends on, the files and the values, so a
    command run again on the same tfvars neither plans them again nor needs Terraform (reading
    a name from the state needs none); the cache is an aid, and a cache that cannot be read or
    written only means planning again. Not by the binary: the rules are written to evaluate
    alike under every Terraform the roots' versions.tf admits (no part of a condition can fail,
    whether or not `||` evaluates both sides), which the check of a miss enforces."""
    folder = PROJECT_ROOT / "environments" / root
    sources = {name: (folder / name).read_bytes() for name in VARIABLE_FILES}
    handed = _MODULE_RULES.get(root)
    if handed is not None and handed[0] not in values:
        handed = None  # not given: nothing to hand the module
    if handed is not None:
        key, module, arguments = handed
        sources[f"{module}/variables.tf"] = (
            PROJECT_ROOT / "modules" / module / "variables.tf"
        ).read_bytes()
        call = {"module": {"handed": {"source": f"./{module}", **arguments}}}
        sources["handed.tf.json"] = json.dumps(call).encode()
    digest = hashlib.sha256()
    for name, content in sources.items():
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    digest.update(json.dumps(values, sort_keys=True).encode())
    passed = cache_dir() / "tfvars-checked" / digest.hexdigest()
    with contextlib.suppress(OSError):
        if mark_used(passed):
            return []
    binary = find_terraform()
    check_version(binary, folder)
    try:
        with tempfile.TemporaryDirectory(prefix="mlops-tfvars-") as scratch:
            work = Path(scratch)
            for name, content in sources.items():
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                (work / name).write_bytes(content)
            (work / "values.tfvars.json").write_text(json.dumps(values))
            runner = TerraformRunner(
                work,
                "tfvars-check",
                environment={"TF_DATA_DIR": str(work / ".terraform")},
                unset=(*_CALLERS_SETTINGS, *(n for n in os.environ if n.startswith("TF_VAR_"))),
                installs_providers=False,
            )
            if handed is not None:  # the module's folder, known to Terraform (no provider)
                runner.run("init", "-input=false", "-backend=false", check=False)
            arguments = ("-input=false", "-lock=false", "-json", "-var-file=values.tfvars.json")
            output = runner.run("plan", *arguments, check=False)
    except Interrupted:
        output = ""
    except OSError as error:
        said = error.strerror or error
        raise MlopsError(
            f"cannot check the tfvars: no folder for Terraform to plan in ({said})"
        ) from None
    if interrupted():  # heard while Terraform ran, whether or not it then ended well
        raise Interrupted("interrupted while Terraform checked the tfvars: nothing changed")
    variables = declared(root)
    failed, other, summarized = [], [], False
    for message in messages(output):
        summarized = summarized or message.get("type") == "change_summary"
        diagnostic = message.get("diagnostic") or {}
        if message.get("type") != "diagnostic" or diagnostic.get("severity") != "error":
            continue
        detail = str(diagnostic.get("detail", ""))
        rule = detail.split("\n\n")[0]  # then "This was checked by the validation rule at"
        name = next((n for n in variables if rule.startswith(f"{n} must be ")), None)
        within = str(diagnostic.get("range", {}).get("filename", "")).startswith(
            ("handed.tf.json", f"{handed[1] if handed else ''}/")
        )
        if handed is not None and name is None and within:
            # A rule of the module the key is handed to: of an attribute of the key.
            name, rule = handed[0], f"{handed[0]}.{rule}"
        if diagnostic.get("summary") == "Invalid value for variable" and name is not None:
            failed.append((name, rule))
        else:
            other.append(f"{diagnostic.get('summary', '')}: {' '.join(detail.split())}")
    if other:
        raise MlopsError(
            f"terraform could not check tfvars against the variables of {root}: " + "; ".join(other)
        )
    if not failed:
        if not summarized:
            raise MlopsError(
                f"{binary} checked no tfvars: its plan of the variables of {root} said "
                "neither a summary nor an error (is it Terraform?)"
            )
        with contextlib.suppress(OSError):
            write_whole(passed, b"")
            keep_newest(passed.parent, TFVARS_CHECKS_KEPT)
    return failed


def require_account(config: EnvironmentConfig, account: str) -> None:
    """A guard for CI: the tfvars must target the account the job was configured for."""
    if not ACCOUNT_ID.fullmatch(account):
        raise MlopsError(
            "--account: expected a 12-digit AWS account ID such as 123456789012, "
            f"got {json.dumps(account)}"
        )
    if config.account_id != account:
        raise MlopsError(
            f"{config.tfvars_file}: key 'account_id' is {config.account_id}, but this run "
            f"targets account {account} (--account): fix the tfvars or the job's parameter"
        )

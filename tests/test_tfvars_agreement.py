"""The tfvars validator of `mlops validate` (glue/config.py) and the `validation` blocks of
environments/*/variables.tf accept and reject exactly the same values.

Hypothesis draws near-valid values for every key (valid ones mutated: blanks and newlines around
them, digits of other scripts, fullwidth letters, case, lengths at and one past each limit, missing
and doubled separators, other keys' values), Python checks each, and one Terraform run evaluates
every key's validation conditions on all of them, read from variables.tf: for each value they
must agree. Values of another JSON type than the variable's are Python's alone to refuse (Terraform
converts "5" to a number and 5 to a string): test_values_of_another_type_are_refused. So are object
keys not in Unicode NFC, which jsondecode() here refuses, but a tfvars file passes on as written.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from glue import config
from glue.errors import MlopsError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_PER_KEY = 500  # distinct values of every key, at least
DRAWS_PER_KIND = 750  # Hypothesis draws some values more than once
MAX_ROUNDS = 4
BOOLEANS = ("protect_from_destroy", "retrain_on_failed_inference", "allow_self_approval")
REFUSED = object()  # Terraform refuses the input before any validation (a null required value)

# (environment, key) of every tfvars key of every environment.
KEYS = [(env, key) for env in config.ENVIRONMENTS for key in config.SCHEMAS[env]]


def tfvars(environment: str) -> dict:
    return json.loads((ROOT / f"{environment}.tfvars.json").read_text())


# A root's variables: those every root shares (one file, the same in each) and its own.
VARIABLE_FILES = ("shared_variables.tf", "variables.tf")


def variables(environment: str) -> dict[str, dict]:
    found = {}
    for name in VARIABLE_FILES:
        with (ROOT / "environments" / config.ROOTS[environment] / name).open() as handle:
            parsed = hcl2.load(handle)
        found |= {n.strip('"'): body for block in parsed["variable"] for n, body in block.items()}
    return found


# --- Valid values to start from: the shipped tfvars, and values at each limit. ---

ROLE = "arn:aws:iam::123456789012:role/"
STRING_SEEDS: dict[str, list[str]] = {
    "environment": list(config.ENVIRONMENTS),
    "region": ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "cn-north-1"],
    "account_id": ["111111111111", "123456789012", "000000000009"],
    "role_arn": [
        "arn:aws:iam::111111111111:role/mlops-terraform",
        "arn:aws:iam::444444444444:role/jenkins",
        "arn:aws-us-gov:iam::123456789012:role/service-role/ci.bot@example,x=y+z",
        "arn:aws-iso-b:iam::123456789012:role/a/b/c/R_1",
        ROLE + "n" * 64,
        ROLE + "p" * 447 + "/" + "n" * 64,
        ROLE + "p/" * 224 + "n" * 64,
    ],
    "principal_arn": [
        "arn:aws:iam::444444444444:user/dana",
        "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Approver_1a",
        "arn:aws-cn:iam::123456789012:user/ops/jane.doe@example.com",
        "arn:aws:iam::123456789012:user/" + "u" * 64,
        ROLE + "p" * 447 + "/" + "n" * 64,
    ],
    "name_prefix": ["mammo", "ab", "a" + "b1-" * 6 + "zz", "x-"],
    "model_name": ["mammo-severity", "a", "A" * 41, "a--b", "a" + "-" * 39 + "b", "X9-y8-Z7"],
    "inference_schedule": [
        "cron(0 6 * * ? *)",
        "cron(0/15 8-17 ? * MON-FRI *)",
        "cron(5,35 14 * * ? 2024-2030)",
        "cron(0 12 L * ? *)",
        "cron(30 2 ? JAN,JUL 2#1 *)",
        "cron(0 0 15W * ? *)",
        "cron(59 23 31 12 ? 2199)",
        "cron(0 18 ? * 6L 1970)",
        "cron(*/5 * LW DEC ? */2)",
        "rate(1 day)",
        "rate(5 minutes)",
        "rate(10 hours)",
        "rate(1 minute)",
    ],
    "weekly_training": ["MON 03:00", "SUN 23:59", "WED 00:00", "FRI 12:30", "SAT 19:05", "off"],
    "email": [
        "ml-alerts@example.com",
        "first.last+tag@sub.example.co.uk",
        "o'brien_1@x-y.io",
        "l" * 64 + "@example.com",
        "a@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + "." + "g" * 57 + ".io",
    ],
    "feature_branch": ["better-features", "a", "0", "x" * 53, "fix-42", "a--b", "v2-1-9z"],
    "bucket": ["mammo-access-logs", "abc", "a" * 63, "logs.example.com", "a-b.c-d", "1-2-3"],
    "tag_key": ["project", "owner", "cost center", "a:b/c=d+e-f@g_h.i", "k" * 128, "Équipe"],
    "tag_value": ["mammography-mlops", "ml-platform", "", "v" * 256, "données ٢٠٢٤", "東京 1"],
}
SEEDS_OF_KEY = {
    "terraform_role_arn": "role_arn",
    "registry_terraform_role_arn": "role_arn",
    "ci_role_arn": "role_arn",
    "registry_account_id": "account_id",
    "access_log_bucket": "bucket",
}
# Lengths around each limit, for the string keys whose limit is on the whole value.
LIMITS = {
    "account_id": (11, 12, 13),
    "name_prefix": (1, 2, 3, 20, 21, 22),
    "model_name": (1, 2, 40, 41, 42),
    "bucket": (2, 3, 4, 62, 63, 64),
    "feature_branch": (52, 53, 54),
    "email": (253, 254, 255),
    "tag_key": (127, 128, 129),
    "tag_value": (0, 1, 255, 256, 257),
    "region": (8, 9, 10),
}

# Characters that look or match like the ones of valid values, or that text in a file can hide.
LOOKALIKES = (
    "\n\t\r\x00\x0b\x0c\x1c\x85\u00a0\u1680\u2028\u2029\u3000\u200b\u00ad\ufeff"  # blanks
    "\u0660\u0662\u06f3\u0966\u09e8\u0e52\uff10\uff12\u00b2\u2163\u2460"  # digits of other scripts
    "\uff21\uff41\uff4d\u212a\u017f\u0131\u0130\u00e9\u00c5\u212b\u00df\u01c5\u00aa\u4e2d"
    "\u0301\u0308\u037e\u1fef\u2010\u2212\uff0d\u02d0\uff1a\uff0f\u2215"  # marks, punctuation
    "\U0001d400\U0001f600"
)
PUNCTUATION = " -.:/@_=+,#?*()[]{}$%&'\"!~^|;<>`\\"
DIGITS_OF = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "devanagari": "०१२३४५६७८९",
    "fullwidth": "０１２３４５６７８９",
}

# Random other characters are of Unicode 3.2 already (its table ships with every Python): the
# regex module, Go (Terraform) and this Python know different later versions, and the categories of
# characters one knows and another does not differ (Terraform 1.11 is at Unicode 15.0).
OTHER_CATEGORIES = ("L", "M", "N", "P", "S", "Z", "Cc", "Cf")


def _character(rnd: random.Random) -> str:
    pool = rnd.randrange(4)
    if pool == 0:
        return rnd.choice(LOOKALIKES)
    if pool == 1:
        return rnd.choice(PUNCTUATION)
    if pool == 2:
        return chr(rnd.randrange(32, 127))
    while True:
        char = chr(rnd.randrange(0x80, rnd.choice([0x800, 0x3400, 0x10000, 0x30000])))
        category = unicodedata.ucd_3_2_0.category(char)
        if category in OTHER_CATEGORIES or category[0] in OTHER_CATEGORIES:
            return char


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def mutate(text: str, kind: str, rnd: random.Random) -> str:
    """The text with one to three edits of the kinds that slip past a loose pattern."""
    for _ in range(rnd.choice([1, 2, 3])):
        at = rnd.randint(0, len(text))
        inside = min(at, len(text) - 1)
        edit = rnd.randrange(13)
        if edit == 0:  # insert a character
            text = text[:at] + _character(rnd) + text[at:]
        elif edit == 1 and text:  # delete one
            text = text[:inside] + text[inside + 1 :]
        elif edit == 2 and text:  # replace one
            text = text[:inside] + _character(rnd) + text[inside + 1 :]
        elif edit == 3 and text:  # double one (separators, digits)
            text = text[:inside] + text[inside] + text[inside:]
        elif edit == 4:  # blanks around
            blank = rnd.choice([" ", "\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2028"])
            where = rnd.choice(["before", "after", "both"])
            text = (blank if where != "after" else "") + text + (blank if where != "before" else "")
        elif edit == 5:  # digits of another script, one or all
            digits = DIGITS_OF[rnd.choice(sorted(DIGITS_OF))]
            positions = [i for i, c in enumerate(text) if c in "0123456789"]
            if positions:
                chosen = [rnd.choice(positions)] if rnd.random() < 0.5 else positions
                chars = list(text)
                for i in chosen:
                    chars[i] = digits[int(chars[i])]
                text = "".join(chars)
        elif edit == 6:  # fullwidth letters and digits
            text = text[:at] + _fullwidth(text[at:]) if rnd.random() < 0.5 else _fullwidth(text)
        elif edit == 7:  # case
            text = rnd.choice([str.upper, str.lower, str.swapcase, str.title])(text)
        elif edit == 8 and text:  # length at and around a limit
            target = rnd.choice(LIMITS.get(kind, (len(text) + 1,)))
            if target <= len(text):
                text = text[:target]
            else:
                text = text[:inside] + text[inside] * (target - len(text)) + text[inside:]
        elif edit == 9:  # a separator removed, or doubled, everywhere
            separators = [c for c in PUNCTUATION if c in text]
            if separators:
                separator = rnd.choice(separators)
                text = text.replace(separator, rnd.choice(["", separator * 2]))
        elif edit == 10:  # a prefix or suffix only
            text = text[:at] if rnd.random() < 0.5 else text[at:]
        elif edit == 11:  # another key's value, or empty
            text = rnd.choice(("", *ALL_STRINGS))
        else:  # a piece of another key's value spliced in
            other = rnd.choice(ALL_STRINGS)
            text = text[:at] + other[: rnd.randint(0, len(other))] + text[at:]
    return text


ALL_STRINGS = tuple(s for seeds in STRING_SEEDS.values() for s in seeds if len(s) < 100)


def mutated(kind: str) -> st.SearchStrategy[str]:
    """A valid value of the kind mutated by a generator Hypothesis seeds (a draw per value: a
    draw per edit takes Hypothesis ten times longer)."""
    seeds = st.sampled_from(STRING_SEEDS[kind])
    return st.builds(
        lambda seed, state: mutate(seed, kind, random.Random(state)), seeds, st.integers(0, 2**64)
    )


def near(kind: str, rnd: random.Random) -> str:
    """A part of a value (a tag, an e-mail address): valid one time in three."""
    seed = rnd.choice(STRING_SEEDS[kind])
    return seed if rnd.random() < 1 / 3 else mutate(seed, kind, rnd)


def seeded(build) -> st.SearchStrategy:
    """Values built by a generator Hypothesis seeds."""
    return st.builds(lambda state: build(random.Random(state)), st.integers(0, 2**64))


def whole_numbers(low: int, high: int) -> st.SearchStrategy:
    edges = [low - 1, low, low + 1, high - 1, high, high + 1, 0, -1, -low, 2 * high]
    ints = st.sampled_from(edges) | st.integers(low - 10, high + 10) | st.integers(-(2**70), 2**70)
    fractions = st.sampled_from([0.5, 1e-9, -1e-9, 0.999, 1e-15])
    floats = st.builds(lambda n, f: float(n) + f, st.sampled_from(edges), fractions)
    return (
        ints
        | ints.map(float)
        | floats
        | st.floats(low - 5, high + 5, allow_nan=False, allow_infinity=False)
        | st.sampled_from([1e20, -1e20, 1e300, 5e-324, -0.0])
    )


def aucs() -> st.SearchStrategy:
    edges = [0, 0.0, -0.0, 1, 1.0, 0.5, 0.8, 2, -1, 5e-324, -5e-324, 1e-300, 1e300]
    edges += [math.nextafter(1.0, 2.0), math.nextafter(1.0, 0.0), math.nextafter(0.0, 1.0)]
    return (
        st.sampled_from(edges)
        | st.floats(-2, 2, allow_nan=False, allow_infinity=False)
        | st.integers(-3, 3)
        | st.floats(0, 1, allow_nan=False, allow_infinity=False, exclude_min=True)
    )


def tag_maps(rnd: random.Random) -> dict[str, str]:
    def key() -> str:
        reserved = ["aws:x", "AWS:cost", "aWs:", "aws", "awsx:y", "ａws:x"]
        return rnd.choice(reserved) if rnd.random() < 0.1 else near("tag_key", rnd)

    tags = dict(tfvars("dev")["tags"]) if rnd.random() < 0.5 else {}
    for _ in range(rnd.choice([0, 1, 1, 2, 3])):
        tags[key()] = near("tag_value", rnd)
    return tags


def workload_maps(rnd: random.Random) -> dict[str, str]:
    accounts = {name: near("account_id", rnd) for name in ("dev", "prod")}
    if rnd.random() < 0.3:  # a name missing, mutated or added
        name = rnd.choice(["dev", "prod"])
        del accounts[name]
        if rnd.random() < 0.7:
            accounts[mutate(name, "environment", rnd)] = near("account_id", rnd)
    return accounts


def branch_lists(rnd: random.Random) -> list[str]:
    branches = [near("feature_branch", rnd) for _ in range(rnd.choice([0, 1, 1, 2, 3]))]
    if branches and rnd.random() < 0.1:  # a branch given twice
        branches.append(rnd.choice(branches))
    return branches


def role_arn_lists(rnd: random.Random) -> list[str]:
    arns = [near("role_arn", rnd) for _ in range(rnd.choice([0, 1, 1, 2, 3]))]
    if arns and rnd.random() < 0.1:  # a role given twice
        arns.append(rnd.choice(arns))
    return arns


def principal_lists(rnd: random.Random) -> list[str]:
    arns = [near("principal_arn", rnd) for _ in range(rnd.choice([0, 1, 1, 2, 3]))]
    if arns and rnd.random() < 0.1:  # a principal given twice
        arns.append(rnd.choice(arns))
    return arns


def approver_maps(rnd: random.Random) -> dict[str, list[str]]:
    approvers = {name: principal_lists(rnd) for name in ("dev", "prod")}
    if rnd.random() < 0.2:  # a stage missing, mutated or added
        name = rnd.choice(["dev", "prod"])
        del approvers[name]
        if rnd.random() < 0.7:
            approvers[mutate(name, "environment", rnd)] = principal_lists(rnd)
    return approvers


def email_lists(rnd: random.Random) -> list[str]:
    return [near("email", rnd) for _ in range(rnd.choice([0, 1, 1, 1, 2, 2, 3]))]


# Valid and invalid tokens of each cron field (minutes hours day-of-month month day-of-week year).
CRON_TOKENS = (
    (["0", "5", "00", "59", "7"], ["60", "-1", "5.5", "?"]),
    (["0", "6", "09", "23", "12"], ["24", "100", "?"]),
    (["1", "15", "31", "L", "LW", "15W"], ["32", "0", "W", "L1", "32W"]),
    (["1", "12", "JAN", "DEC", "7"], ["13", "0", "jan", "JANUARY", "?"]),
    (["1", "7", "MON", "FRI", "SUN", "6L", "2#1", "2#5"], ["8", "0", "mon", "2#6", "L", "8L"]),
    (["1970", "2199", "2024"], ["1969", "2200", "24", "?"]),
)


def crons(rnd: random.Random) -> str:
    """A cron of lists, ranges and increments of each field's tokens, most of them valid."""

    def token(field: int) -> str:
        valid, invalid = CRON_TOKENS[field]
        return rnd.choice(valid if rnd.random() < 0.9 else invalid)

    def item(field: int) -> str:
        text = "*" if rnd.random() < 0.2 else token(field)
        if rnd.random() < 0.2:
            text += "-" + token(field)
        if rnd.random() < 0.2:
            text += "/" + rnd.choice(["1", "5", "15", "0", "05"])
        return text

    fields = [",".join(item(f) for _ in range(rnd.choice([1, 1, 1, 2, 3]))) for f in range(6)]
    question = rnd.choice([2, 4, 2, 4, 2, 4, None, (2, 4)])  # "?" in exactly one, most of the time
    for at in (2, 4):
        if question == at or question == (2, 4):
            fields[at] = "?"
    if rnd.random() < 0.1:
        fields.insert(rnd.randrange(7), item(rnd.randrange(6)))
    return f"cron({' '.join(fields)})"


def kind(key: str) -> str:
    """Keys of one kind (three role ARNs, two account IDs, three booleans) share their values."""
    return "boolean" if key in BOOLEANS else SEEDS_OF_KEY.get(key, key)


def strategy(kind: str) -> st.SearchStrategy:
    """Near-valid values of the variable's own JSON type (a string for a string, ...)."""
    special = {
        "aws_max_retries": lambda: whole_numbers(1, 100),
        "noncurrent_version_expiration_days": lambda: whole_numbers(1, 3650),
        "governance_recorder_concurrency": lambda: whole_numbers(1, 10),
        "auc_threshold": aucs,
        "challenger_auc_tolerance": aucs,
        "boolean": st.booleans,
        "tags": lambda: seeded(tag_maps),
        "workload_account_ids": lambda: seeded(workload_maps),
        "notification_emails": lambda: seeded(email_lists),
        "feature_branches": lambda: seeded(branch_lists),
        "terraform_principal_arns": lambda: seeded(role_arn_lists),
        "model_approvers": lambda: seeded(approver_maps),
        "governance_readers": lambda: seeded(principal_lists),
        "data_scientists": lambda: seeded(principal_lists),
    }
    if kind == "inference_schedule":
        return mutated(kind) | seeded(crons)
    return special[kind]() if kind in special else mutated(kind)


def draw_values(values_kind: str) -> list[Any]:
    """At least EXAMPLES_PER_KEY distinct values drawn by Hypothesis in rounds of DRAWS_PER_KIND,
    each round with its own fixed seed (the same values on every run, whatever Hypothesis skips
    as duplicates), then the shipped tfvars' values and the seeds, and null."""
    plain = [
        values[key]
        for values in map(tfvars, config.ENVIRONMENTS)
        for key in values
        if config.SCHEMAS[values["environment"]].get(key) and kind(key) == values_kind
    ]
    plain += STRING_SEEDS.get(values_kind, []) + [None]
    unique: dict[str, Any] = {}
    for round_seed in range(MAX_ROUNDS):
        drawn: list[Any] = []

        @fixed_seed(round_seed)
        @settings(
            max_examples=DRAWS_PER_KIND,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy(values_kind))
        def collect(value):
            drawn.append(value)  # noqa: B023 - each round's function appends to its own list

        collect()
        for value in drawn:
            unique.setdefault(json.dumps(value, sort_keys=True), value)
        if len(unique) >= EXAMPLES_PER_KEY or values_kind == "boolean":
            break
    for value in plain:
        unique.setdefault(json.dumps(value, sort_keys=True), value)
    return list(unique.values())


# --- Terraform's verdicts: one run evaluating every condition on every value. ---

CONVERSIONS = {  # a variable's declared type: how Terraform converts a value to it
    "string": "tostring({})",
    "number": "tonumber({})",
    "bool": "tobool({})",
    "list(string)": "tolist({})",
    "map(string)": "tomap({})",
    "map(list(string))": "{{ for k, v in tomap({}) : k => tolist(v) }}",
}


def _expression(text: str) -> str:
    """The HCL of an attribute as python-hcl2 gives it: ${...} around expressions."""
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def declared_default(body: dict) -> Any:
    """A variable's default as Terraform holds it (python-hcl2 keeps a string's quotes)."""
    default = body.get("default", REFUSED)
    if isinstance(default, str) and len(default) > 1 and default[0] == default[-1] == '"':
        return json.loads(default)
    return default


def terraform_input(body: dict, value: Any) -> Any:
    """What the variable holds for a tfvars value: null is its default when not nullable."""
    if value is None and body.get("nullable", True) is False:
        return declared_default(body)
    return value


def verdict_expression(name: str, body: dict, values_ref: str) -> str:
    conditions = [_expression(v["condition"]) for v in body.get("validation", [])]
    substituted = []
    for condition in conditions:
        condition = re.sub(rf"\bvar\.{name}\b", "tfvars_input", condition)
        assert "var." not in condition, f"{name}: a condition of another variable: {condition}"
        substituted.append(f"({condition}) == true")
    check = " && ".join(substituted) or "true"
    convert = CONVERSIONS[_expression(body["type"])].format("jsondecode(tfvars_json)")
    return (
        f"[for tfvars_json in {values_ref} : "
        f"try(alltrue([for tfvars_input in [{convert}] : {check}]), false)]"
    )


def terraform_verdicts(
    values: dict[str, list[Any]], workdir: Path
) -> dict[tuple[str, str], list[bool]]:
    """Whether Terraform accepts each value of each key in each environment, in one run of
    `terraform console` in a root of locals: one per distinct condition and list of values (the
    environments share most), which Terraform evaluates in parallel."""
    inputs: dict[str, list[str]] = {}
    verdicts: dict[str, str] = {}
    local_of: dict[tuple[str, str], str] = {}
    refused: dict[tuple[str, str], list[bool]] = {}
    for env in config.ENVIRONMENTS:
        declared = variables(env)
        for key in config.SCHEMAS[env]:
            given = [terraform_input(declared[key], v) for v in values[key]]
            refused[env, key] = [v is REFUSED for v in given]
            # Each value in JSON of its own: one Terraform cannot read is refused, not fatal.
            encoded = [json.dumps(None if v is REFUSED else v) for v in given]
            name = f"values_{_digest(encoded)}"
            inputs[name] = encoded
            expression = verdict_expression(key, declared[key], f"local.values.{name}")
            local_of[env, key] = f"verdicts_{_digest(expression)}"
            verdicts[local_of[env, key]] = expression
    (workdir / "values.json").write_text(json.dumps(inputs))
    body = "\n".join(f"  {name} = {expression}" for name, expression in verdicts.items())
    (workdir / "main.tf").write_text(
        f'locals {{\n  values = jsondecode(file("${{path.module}}/values.json"))\n{body}\n}}\n'
    )
    every = ", ".join(f"{name} = local.{name}" for name in verdicts)
    result = subprocess.run(
        ["terraform", "console"],
        input=f"jsonencode({{{every}}})\n",
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"},
        check=False,
    )
    assert result.returncode == 0, f"terraform console in {workdir}:\n{result.stderr}"
    got = json.loads(json.loads(result.stdout))
    return {
        case: [ok and not no for ok, no in zip(got[name], refused[case], strict=True)]
        for case, name in local_of.items()
    }


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()[:12]


def python_accepts(env: str, key: str, value: Any) -> str | None:
    """None when `mlops validate` accepts the value of the key, else what it expects."""
    spec = config.SCHEMAS[env][key]
    if value is None and not spec.required:
        return None  # as in config.load: a null optional key is not set
    return spec.check(value)


def python_accepts_in_root(env: str, key: str, value: Any) -> bool:
    """Whether `mlops validate` accepts the value for some environment of env's root: a root
    cannot know which stage's tfvars it was given (dev or prod), so its rule for `environment`
    is the set of its stages, and mlops holds each tfvars to its own (tested in test_config)."""
    served = [e for e in config.ENVIRONMENTS if config.ROOTS[e] == config.ROOTS[env]]
    return any(python_accepts(e, key, value) is None for e in served if key in config.SCHEMAS[e])


@pytest.fixture(scope="module")
def drawn_values() -> dict[str, list[Any]]:
    by_kind = {name: draw_values(name) for name in sorted({kind(key) for _, key in KEYS})}
    return {key: by_kind[kind(key)] for _, key in KEYS}


def test_python_and_terraform_agree_on_near_valid_values(drawn_values, tmp_path):
    verdicts = terraform_verdicts(drawn_values, tmp_path)
    disagreements = []
    for env, key in KEYS:
        values = drawn_values[key]
        assert len(verdicts[env, key]) == len(values)
        for value, terraform_ok in zip(values, verdicts[env, key], strict=True):
            if python_accepts_in_root(env, key, value) != terraform_ok:
                expected = python_accepts(env, key, value)
                python = "accepts" if expected is None else f"refuses (expected {expected})"
                terraform = "accepts" if terraform_ok else "refuses"
                disagreements.append(
                    f"{env}/{key} = {json.dumps(value)}: Python {python}; Terraform {terraform}"
                )
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(
        disagreements[:60]
    )


def test_seeds_are_valid():
    """The values mutations start from are valid (an e-mail address or a tag in a value)."""
    in_values = {
        "email": lambda seed: ("notification_emails", [seed]),
        "feature_branch": lambda seed: ("feature_branches", [seed]),
        "principal_arn": lambda seed: ("governance_readers", [seed]),
        "tag_key": lambda seed: ("tags", {seed: "v"}),
        "tag_value": lambda seed: ("tags", {"k": seed}),
    }
    for seeds_kind, seeds in STRING_SEEDS.items():
        for seed in seeds:
            if seeds_kind in in_values:
                key, value = in_values[seeds_kind](seed)
            else:
                key, value = next(k for _, k in KEYS if kind(k) == seeds_kind), seed
            env = seed if key == "environment" else next(e for e, k in KEYS if k == key)
            assert config.SCHEMAS[env][key].check(value) is None, (key, value)


def test_enough_distinct_values_of_each_key_with_both_verdicts(drawn_values):
    for env, key in KEYS:
        values = drawn_values[key]
        if key in BOOLEANS:
            assert values == [False, True, None] or set(values) == {False, True, None}
            continue
        verdicts = {python_accepts(env, key, v) is None for v in values}
        assert len(values) >= EXAMPLES_PER_KEY, (env, key, len(values))
        assert verdicts == {True, False}, (env, key, verdicts)


# --- What the variables declare beyond their validations. ---


@pytest.mark.parametrize("environment", config.ENVIRONMENTS)
def test_the_same_keys_required_and_validated(environment):
    declared = variables(environment)
    schema = config.SCHEMAS[environment]
    assert set(declared) == set(schema)
    for key, spec in schema.items():
        body = declared[key]
        assert ("default" not in body) == spec.required, key
        # Null is "not set" to `mlops validate`: to Terraform too, unless null is the default.
        assert body.get("nullable", True) is (body.get("default") is None and not spec.required)
        if body.get("default") is not None:
            assert spec.check(declared_default(body)) is None, (key, body["default"])
        kind = _expression(body["type"])
        if kind != "bool":
            assert body.get("validation"), f"{environment}/{key}: no validation block"


WRONG_TYPES = {
    "string": [123456789012, 1.5, True, ["us-east-1"], {"a": "b"}],
    "number": ["5", "0.8", True, [1], {"n": 1}],
    "bool": ["true", "false", 1, 0, [True], {}],
    "list(string)": ["ml-alerts@example.com", {"a": "b"}, [1], [None], [True], [["a@b.co"]]],
    "map(string)": [[], "x", {"dev": 222222222222, "prod": "333333333333"}, {"k": None}],
    "map(list(string))": [
        [],
        "x",
        {"dev": "arn:aws:iam::444444444444:user/dana", "prod": []},
        {"dev": [123456789012], "prod": ["arn:aws:iam::444444444444:user/pat"]},
        {"dev": None, "prod": None},
    ],
}
WRONG_TAGS = [{"cost": 5}, {"k": ["v"]}, {"k": True}]


@pytest.mark.parametrize("environment", config.ENVIRONMENTS)
def test_values_of_another_type_are_refused(environment):
    """Terraform converts some of these (the number 123456789012 to a string): Python does not."""
    for key, body in variables(environment).items():
        wrong = WRONG_TYPES[_expression(body["type"])] + (WRONG_TAGS if key == "tags" else [])
        for value in wrong:
            assert config.SCHEMAS[environment][key].check(value), (key, value)


@pytest.mark.parametrize("environment", config.ENVIRONMENTS)
def test_terraform_accepts_the_shipped_tfvars_and_refuses_the_issue_values(environment, tmp_path):
    """The real variables' files, planned with only its variables: the shipped tfvars pass; with the
    issue's account IDs (a trailing newline, Arabic-Indic digits) Terraform refuses them."""
    for name in VARIABLE_FILES:
        (tmp_path / name).write_text(
            (ROOT / "environments" / config.ROOTS[environment] / name).read_text()
        )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}

    def plan(values: dict) -> subprocess.CompletedProcess:
        (tmp_path / "t.tfvars.json").write_text(json.dumps(values))
        command = ["terraform", "plan", "-input=false", "-no-color", "-var-file=t.tfvars.json"]
        return subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, env=env, check=False
        )

    values = tfvars(environment)
    # Null optional keys are unset keys to both (their defaults, or no role to assume).
    nulls = {key: None for key, spec in config.SCHEMAS[environment].items() if not spec.required}
    assert plan(values).returncode == 0
    assert plan(values | nulls).returncode == 0
    config.load(environment, _write(tmp_path, values | nulls))
    for bad in ("222222222222\n", "\u0662" * 12):
        result = plan(values | {"account_id": bad})
        assert result.returncode == 1
        assert "Invalid value for variable" in result.stderr


def _write(tmp_path: Path, values: dict) -> Path:
    path = tmp_path / "python.tfvars.json"
    path.write_text(json.dumps(values))
    return path


@pytest.mark.parametrize("bad", ["222222222222\n", "\u0662" * 12, " 222222222222", "２" * 12])
def test_issue_account_ids_are_refused_with_one_message(tmp_path, bad):
    values = tfvars("dev") | {"account_id": bad}
    with pytest.raises(MlopsError) as error:
        config.load("dev", _write(tmp_path, values))
    message = str(error.value)
    assert message.count("key '") == 1, message
    expected = "a 12-digit AWS account ID such as 123456789012"
    assert f"key 'account_id': expected {expected}, got {json.dumps(bad)}" in message

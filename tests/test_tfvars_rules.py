"""The tfvars rules: the `validation` blocks of environments/*/variables.tf and
shared_variables.tf, the only place they are written (glue/config.py plans them to check a tfvars
file, and checks in Python only what Terraform cannot: JSON, keys, types).

The rules are held to examples at and around each limit, valid and not: every example of every
key of both roots is evaluated in batched Terraform plans (a module instance per example), and
must fail exactly the rules expected of it. Values near valid ones, drawn by Hypothesis, must be
decided by the rules of their key (never an error evaluating one), and a hidden newline refused.
What Python reads from the declarations (types, required keys, what each rule expects) must be
what Terraform reads (python-hcl2's parse).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from glue import config
from tests.rules import failing_rules

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ("dev", "prod")


def root_variable_files(root: str) -> list[Path]:
    return [ROOT / "environments" / root / name for name in config.VARIABLE_FILES]


def tfvars(environment: str) -> dict:
    return json.loads((ROOT / f"{environment}.tfvars.json").read_text())


def parsed(root: str) -> dict[str, dict]:
    """A root's variable blocks as python-hcl2 parses them."""
    found = {}
    for name in config.VARIABLE_FILES:
        with (ROOT / "environments" / root / name).open() as handle:
            blocks = hcl2.load(handle).get("variable", [])
        found |= {n.strip('"'): body for block in blocks for n, body in block.items()}
    return found


def _literal(text: str) -> str:
    """A string attribute as python-hcl2 gives it (in its quotes)."""
    assert text.startswith('"') and text.endswith('"'), text
    return json.loads(text)


# --- What Python reads from the declarations. ---


@pytest.mark.parametrize("root", ["registry", "workload"])
def test_python_reads_the_declarations_as_terraform_does(root):
    declared, blocks = config.declared(root), parsed(root)
    assert list(declared) == list(blocks)
    for name, body in blocks.items():
        variable = declared[name]
        assert variable.spec == config.parse_type(body["type"].strip("${}")), name
        assert variable.required is ("default" not in body), name
        rules = body.get("validation", [])
        if variable.type == "bool" and not rules:
            assert variable.expected == "true or false"
        else:
            first = _literal(rules[0]["error_message"])
            assert variable.expected == config.expectation(name, first), name
        # Null is "not set" to mlops: to Terraform too, unless null is the default.
        assert body.get("nullable", True) is (body.get("default") is None and not variable.required)


@pytest.mark.parametrize("root", ["registry", "workload"])
def test_every_rule_says_what_it_expects_of_its_variable(root):
    """Each error_message reads "<variable> must be <what is expected>.": mlops names the key
    from it and shows the expectation; the first rule's is a plain string (a value of another
    type is refused with it before Terraform runs). Every variable but a bool has a rule."""
    for name, body in parsed(root).items():
        rules = body.get("validation", [])
        assert rules or body["type"].strip("${}") == "bool", f"{root}/{name}: no validation block"
        for number, rule in enumerate(rules):
            message = rule["error_message"]
            if number == 0:
                message = _literal(message)
                assert "${" not in message, name
            assert re.fullmatch(rf'"?{name} must be .+\."?', message, re.S), message


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


@pytest.mark.parametrize("environment", config.ENVIRONMENTS)
def test_values_of_another_type_are_refused_with_what_the_rule_expects(environment, tmp_path):
    """Terraform converts some of these (the number 123456789012 to a string): mlops does not."""
    path = tmp_path / "t.tfvars.json"
    for name, variable in config.declared(config.ROOTS[environment]).items():
        is_object = variable.spec[0] == "object"
        for value in WRONG_OBJECTS if is_object else WRONG_TYPES[variable.type]:
            path.write_text(json.dumps(tfvars(environment) | {name: value}))
            with pytest.raises(config.MlopsError) as error:
                config.load(environment, path)
            said = "true or false" if variable.type == "bool" else variable.expected
            if is_object:  # the attribute at fault is named too
                expected = f"key {name!r}: expected {said} ("
                assert f"got {json.dumps(value)}" in str(error.value), (name, value)
            else:
                expected = f"key {name!r}: expected {said}, got {json.dumps(value)}"
            assert expected in str(error.value), (name, value)


# Of an object (a stage's endpoint): another JSON type, an attribute of another type, missing or
# unknown (Terraform would drop it unseen: a misspelt optional attribute would be lost).
WRONG_OBJECTS = [
    "instances",
    1,
    [],
    {},
    {"serving": "instances"},
    {"serving": {"mode": 1}},
    {"serving": {"mode": "instances", "instance_count": "2"}},
    {"serving": {"mode": "instances"}, "trafic_shift": {"type": "CANARY"}},
    {"serving": {"mode": "instances", "instances": 2}},
    {"serving": {"mode": "instances"}, "traffic_shift": {"step_percent": 10}},
]


# --- The rules, held to examples. ---

ROLE_NAMES = [
    "mlops-terraform",
    "service-role/ci.bot@example,x=y+z",
    "a/b/c/R_1",
    "n" * 64,
    "p" * 447 + "/" + "n" * 64,  # 512 characters after role/
    "p/" * 224 + "n" * 64,
]
BAD_ROLE_NAMES = [
    "n" * 65,
    "p" * 448 + "/" + "n" * 64,  # 513
    "caf\u00e9",
    "a//b",
    "",
    "jenkins\n",
]
PEOPLE = [
    "arn:aws:iam::444444444444:user/dana",
    "arn:aws:iam::444444444444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Approver_1a",
    "arn:aws-cn:iam::123456789012:user/ops/jane.doe@example.com",
    "arn:aws:iam::123456789012:user/" + "u" * 64,
]
NOT_PEOPLE = [
    "arn:aws:iam::444444444444:group/admins",
    "arn:aws:iam::44444444444:user/dana",
    "arn:aws:sts::444444444444:assumed-role/r/dana",
    "arn:aws:iam::444444444444:user/" + "u" * 65,
    "dana",
]


def role_arns(account: str) -> list[str]:
    partitions = ["aws", "aws-us-gov", "aws-iso-b"]
    return [f"arn:{partitions[i % 3]}:iam::{account}:role/{n}" for i, n in enumerate(ROLE_NAMES)]


def bad_role_arns(account: str) -> list[str]:
    return [
        *(f"arn:aws:iam::{account}:role/{n}" for n in BAD_ROLE_NAMES),
        f"arn:aws:iam::{account}:user/jenkins",
        f"arn:AWS:iam::{account}:role/x",
        f"arn:aws:iam::{account[:-1]}:role/x",
        f" arn:aws:iam::{account}:role/x",
        "jenkins",
    ]


ACCOUNTS = (["111111111111", "000000000009"], ["11111111111", "1111111111111", "222222222222\n",
            " 222222222222", "\u0662" * 12, "\uff12" * 12, "abcdefghijkl", ""])  # fmt: skip
CRONS = [
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
]
BAD_CRONS = [
    "cron(0 6 * * *)",
    "cron(0 25 * * ? *)",
    "cron(60 6 * * ? *)",
    "cron(0 6 * * * *)",
    "cron(0 6 ? * ? *)",
    "cron(0 6 32 * ? *)",
    "cron(0 6 * 13 ? *)",
    "cron(0 6 ? * 8 *)",
    "cron(0 6 * * ? 2200)",
    "cron(0  6 * * ? *)",
    "cron(\u0660 6 * * ? *)",
    "cron(*/0 6 * * ? *)",
    "cron(0 6 * * ? *)\n",
    "every day at six",
    "rate(1 days)",
    "rate(2 minute)",
    "rate(0 minutes)",
    "rate(\u0665 minutes)",
]
EMAILS = [
    "ml-alerts@example.com",
    "first.last+tag@sub.example.co.uk",
    "o'brien_1@x-y.io",
    "l" * 64 + "@example.com",
    "a@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + "." + "g" * 57 + ".io",  # 254
]
BAD_EMAILS = [
    "not-an-email",
    "ml-alerts@example.com\n",
    "ml@ex\u00e4mple.com",
    "l" * 65 + "@example.com",
    "a@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + "." + "g" * 58 + ".io",  # 255
    "a..b@example.com",
    "a@example.c",
    "a@-example.com",
]
BUCKETS = ["mammo-access-logs", "abc", "a" * 63, "logs.example.com", "a-b.c-d", "1-2-3"]
BAD_BUCKETS = [
    "logs..example",
    "192.168.1.1",
    "xn--logs",
    "sthree-logs",
    "amzn-s3-demo-logs",
    "logs-s3alias",
    "logs--ol-s3",
    "logs.mrap",
    "logs--x-s3",
    "logs--table-s3",
    "ab",
    "a" * 64,
    "Logs",
    "-logs",
    "logs-",
    "logs_1",
]

# For each key: values it accepts and values it refuses (the others of the environment's shipped
# tfvars unchanged). Keys of both roots and of the stages are listed once.
EXAMPLES: dict[str, tuple[list[Any], list[Any]]] = {
    "account_id": ACCOUNTS,
    "registry_account_id": ACCOUNTS,
    "region": (
        ["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1", "cn-north-1"],
        ["useast1", "us-east-1\n", "us-east-\u0661", "US-EAST-1", "us-east-10", "u-east-1"],
    ),
    "name_prefix": (
        ["mammo", "ab", "a" + "b1-" * 6 + "zz", "x-"],
        ["a", "a" + "b" * 21, "Mammo", "1abc", "mammo\n", "ma_mo", "-ab"],
    ),
    "model_name": (
        ["mammo-severity", "a", "A" * 41, "a--b", "X9-y8-Z7"],
        ["A" * 42, "-a", "a-", "a_b", "a\n", "\uff41", "a" + "-" * 40 + "b"],
    ),
    "ci_role_arn": (role_arns("444444444444"), bad_role_arns("444444444444")),
    "terraform_principal_arns": (
        [role_arns("444444444444")[:1], role_arns("444444444444")],
        [
            [],
            role_arns("444444444444")[:1] * 2,
            ["arn:aws:iam::444444444444:user/jenkins"],
            *([bad] for bad in bad_role_arns("444444444444")),
        ],
    ),
    "inference_schedule": (CRONS, BAD_CRONS),
    "weekly_training": (
        ["MON 03:00", "SUN 23:59", "WED 00:00", "off"],
        ["mon 03:00", "MON 24:00", "MON 3:00", "OFF", "MON  03:00", "MON 03:00\n", "MON 03:60"],
    ),
    "auc_threshold": ([1, 0.5, 1e-9], [0, -0.1, 1.0000001, 2]),
    "challenger_auc_tolerance": ([0, 0.5, 0.999], [1, -1e-9, 1.5]),
    "aws_max_retries": ([1, 100, 25.0], [0, 101, 1.5, -1]),
    "noncurrent_version_expiration_days": ([1, 3650, 90.0], [0, 3651, 1.5]),
    "governance_recorder_concurrency": ([1, 10], [0, 11, 2.5]),
    "notification_emails": ([[], EMAILS], [[bad] for bad in BAD_EMAILS]),
    "tags": (
        [
            {},
            {"project": "x"},
            {"\u00c9quipe": "donn\u00e9es \u0662\u0660\u0662\u0664", "a:b/c=d+e-f@g_h.i": ""},
            {"k" * 128: "v" * 256},
            {"cost center": "\u6771\u4eac 1"},
        ],
        [
            {"aws:owner": "me"},
            {"AWS:x": "y"},
            {"owner": "a;b"},
            {"owner": "x" * 257},
            {"k" * 129: "v"},
            {"": "v"},
            {"k": "a\nb"},
        ],
    ),
    "access_log_bucket": (BUCKETS, BAD_BUCKETS),
    "feature_branches": (
        [[], ["better-features"], ["a", "0", "fix-42", "a--b"], ["b" * 40]],
        [["Better"], ["fix/42"], ["b" * 54], ["a", "b", "a"], ["-a"], ["a-"], [""]],
    ),
    "model_approvers": (
        [{"dev": PEOPLE[:1], "prod": PEOPLE[1:]}, {"dev": PEOPLE, "prod": PEOPLE}],
        [
            {},
            {"dev": PEOPLE[:1]},
            {"dev": [], "prod": PEOPLE[:1]},
            {"dev": PEOPLE[:1] * 2, "prod": PEOPLE[:1]},
            {"dev": PEOPLE[:1], "prod": PEOPLE[:1], "qa": PEOPLE[:1]},
            *({"dev": [bad], "prod": PEOPLE[:1]} for bad in NOT_PEOPLE),
        ],
    ),
    "governance_readers": ([[], PEOPLE[:1], PEOPLE], [PEOPLE[:1] * 2, *([b] for b in NOT_PEOPLE)]),
    "data_scientists": ([[], PEOPLE[:1], PEOPLE], [PEOPLE[:1] * 2, *([b] for b in NOT_PEOPLE)]),
    "workload_account_ids": (
        [{"dev": "222222222222", "prod": "333333333333"}, {"prod": "6" * 12, "dev": "5" * 12}],
        [
            {},
            {"dev": "222222222222"},
            {"dev": "2", "prod": "333333333333"},
            {"dev": "222222222222", "prod": "333333333333", "qa": "444444444444"},
        ],
    ),
    "protect_from_destroy": ([True, False], []),
    "endpoint": (
        [
            {"serving": {"mode": "instances"}},
            {"serving": {"mode": "serverless", "memory_size_mb": 2048}, "traffic_shift": None},
            {"serving": {"mode": "instances"}, "capture_percent": 0},
            {"serving": {"mode": "instances", "instance_count": 3}, "capture_percent": 100},
        ],
        [
            {"serving": {"mode": "batch"}},
            {"serving": {"mode": "Instances"}},
            {"serving": {"mode": "serverless"}, "capture_percent": 50},
            {"serving": {"mode": "instances"}, "capture_percent": 101},
            {"serving": {"mode": "instances"}, "capture_percent": 2.5},
        ],
    ),
    "retrain_on_failed_inference": ([True, False], []),
}


Case = tuple[dict[str, Any], set[str]]


def cases(environment: str) -> tuple[list[Case], list[Case]]:
    """(values, the variables whose rules they fail) of an environment's examples: those that
    fail the rules of one variable alone, and those that fail none or a rule between variables.
    Terraform evaluates the rules between variables of a module instance only when no instance
    failed a rule of one variable (the rules of a root's own variables, as `mlops validate`
    plans them, all at once: test_config), so each kind is planned on its own."""
    shipped = tfvars(environment)
    declared = config.declared(config.ROOTS[environment])
    alone: list[Case] = []
    found: list[Case] = [(shipped, set())]
    # An account given with the role used in it, so that the role's rule accepts the pair.
    role_of = {
        "account_id": "terraform_role_arn",
        "registry_account_id": "registry_terraform_role_arn",
    }
    for key, (good, bad) in EXAMPLES.items():
        if key in declared:
            role = role_of.get(key)
            found += [
                (shipped | {key: value} | ({role: role_arns(value)[0]} if role else {}), set())
                for value in good
            ]
            alone += [(shipped | {key: value}, {key}) for value in bad]
    found += [(shipped | {key: None}, set()) for key, v in declared.items() if not v.required]
    # The root's environments: which of them a tfvars file is for, mlops checks (test_config).
    served = [e for e in config.ENVIRONMENTS if config.ROOTS[e] == config.ROOTS[environment]]
    found += [(shipped | {"environment": e}, set()) for e in served]
    others = [e for e in config.ENVIRONMENTS if e not in served]
    for bad in [*others, "staging", f"{environment}\n"]:
        alone += [(shipped | {"environment": bad}, {"environment"})]
    account, registry = shipped["account_id"], shipped.get("registry_account_id")
    # A role in the account it is used for (each valid role of the account, or another one).
    found += [(shipped | {"terraform_role_arn": r}, set()) for r in role_arns(account)]
    found += [(shipped | {"terraform_role_arn": r}, {"terraform_role_arn"}) for r in
              role_arns("999999999999")[:1]]  # fmt: skip
    alone += [(shipped | {"terraform_role_arn": r}, {"terraform_role_arn"}) for r in
              bad_role_arns(account)]  # fmt: skip
    if registry:
        key = "registry_terraform_role_arn"
        found += [(shipped | {key: r}, set()) for r in role_arns(registry)]
        found += [(shipped | {key: r}, {key}) for r in role_arns("999999999999")[:1]]
    if environment in WORKLOAD:
        # Four eyes decide what serves outside dev.
        refused = set() if environment == "dev" else {"allow_self_approval"}
        found += [(shipped | {"allow_self_approval": True}, refused)]
        found += [(shipped | {"allow_self_approval": False}, set())]
    if environment == "registry":
        # `<model_name>-feature-<branch>` within SageMaker's 63 characters: 40 after
        # mammo-severity; a branch's own rule alone when the model name is not valid.
        room = 63 - len(shipped["model_name"] + "-feature-")
        found += [(shipped | {"feature_branches": ["ok", "b" * (room + 1)]}, {"feature_branches"})]
        found += [(shipped | {"model_name": "m", "feature_branches": ["b" * 53]}, set())]
    return alone, found


def test_every_rule_accepts_and_refuses_its_examples(tmp_path):
    """About 600 examples in four Terraform plans (of a root each, twice: cases())."""
    wrong = []
    for root in ("registry", "workload"):
        environments = [e for e in config.ENVIRONMENTS if config.ROOTS[e] == root]
        for kind in (0, 1):
            examples = [(e, *case) for e in environments for case in cases(e)[kind]]
            batch = [(values, tfvars(e)) for e, values, _ in examples]
            failing = failing_rules(root_variable_files(root), batch, tmp_path / f"{root}-{kind}")
            for (environment, values, expected), got in zip(examples, failing, strict=True):
                if got != expected:
                    shipped = tfvars(environment)
                    changed = {k: v for k, v in values.items() if shipped.get(k) != v}
                    said = f"fails {sorted(got)}, expected {sorted(expected)}"
                    wrong.append(f"{environment} {json.dumps(changed)}: {said}")
    assert not wrong, f"{len(wrong)} examples:\n" + "\n".join(wrong[:50])


def test_examples_cover_every_key_both_ways():
    """Each key of each environment has examples it accepts besides the shipped value (but a
    registry's environment) and, but for bools, examples it refuses."""
    for environment in config.ENVIRONMENTS:
        examples = [case for kind in cases(environment) for case in kind]
        shipped = tfvars(environment)
        for key, variable in config.declared(config.ROOTS[environment]).items():
            changed = [f for v, f in examples if v.get(key) != shipped.get(key)]
            if (environment, key) != ("registry", "environment"):
                assert set() in changed, (environment, key)
            if variable.type != "bool":
                assert {key} in changed, (environment, key)


# --- The rules on values near valid ones: a space, drawn by Hypothesis. ---

# Characters that look or match like those of valid values, or that text in a file can hide.
LOOKALIKES = (
    "\n\t\r\x00\x0b\x0c\x85\u00a0\u2028\u3000\u200b\u00ad\ufeff"  # blanks
    "\u0660\u0662\u06f3\u0966\uff10\uff12\u00b2\u2163"  # digits of other scripts
    "\uff21\uff41\u212a\u017f\u0131\u0130\u00e9\u00c5\u00df\u4e2d\u0301\u037e\u2010\u2212\uff1a"
    "$%{}\\\"'`"
)
DRAWS_PER_KEY = 15  # with the edited values, a plan of about 300 module instances a root
OTHER_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"


def mutated(text: str, rnd) -> str:
    """The text with one to three edits of the kinds that slip past a loose pattern."""
    for _ in range(rnd.choice([1, 2, 3])):
        at = rnd.randint(0, len(text))
        inside = min(at, max(len(text) - 1, 0))
        edit = rnd.randrange(9)
        character = rnd.choice([rnd.choice(LOOKALIKES), chr(rnd.randrange(32, 127))])
        if edit == 0 or not text:  # insert a character
            text = text[:at] + character + text[at:]
        elif edit == 1:  # delete one
            text = text[:inside] + text[inside + 1 :]
        elif edit == 2:  # replace one
            text = text[:inside] + character + text[inside + 1 :]
        elif edit == 3:  # double one (separators, digits)
            text = text[:inside] + text[inside] + text[inside:]
        elif edit == 4:  # blanks around
            text = rnd.choice(["", " ", "\n"]) + text + rnd.choice(["", " ", "\n", "\r\n"])
        elif edit == 5:  # digits of another script
            text = "".join(OTHER_DIGITS[int(c)] if c.isdigit() and c.isascii() else c for c in text)
        elif edit == 6:  # case
            text = rnd.choice([str.upper, str.lower, str.swapcase])(text)
        elif edit == 7:  # a prefix or a suffix only
            text = text[:at] if rnd.random() < 0.5 else text[at:]
        else:  # a run of one character, past a length limit
            text = text[:at] + text[inside] * rnd.choice([1, 20, 60, 300]) + text[at:]
    return text


def accepted(key: str, environment: str) -> list[Any]:
    """Accepted values of the key in the environment's tfvars (not empty lists or maps)."""
    shipped = tfvars(environment)
    if key == "environment":
        good = [e for e in config.ENVIRONMENTS if config.ROOTS[e] == config.ROOTS[environment]]
    elif key == "terraform_role_arn":
        good = role_arns(shipped["account_id"])
    elif key == "registry_terraform_role_arn":
        good = role_arns(shipped["registry_account_id"])
    else:
        good = EXAMPLES[key][0]
    return [g for g in good if g not in ([], {})]


def near_values(good: list[Any], rnd) -> list[Any]:
    """Values near accepted ones."""
    drawn = []
    for _ in range(DRAWS_PER_KEY):
        seed = rnd.choice(good)
        if isinstance(seed, str):
            drawn.append(mutated(seed, rnd))
        elif isinstance(seed, list):
            drawn.append([mutated(item, rnd) if rnd.random() < 0.7 else item for item in seed])
        elif isinstance(seed, dict):
            drawn.append(
                {
                    mutated(k, rnd) if rnd.random() < 0.3 else k: (
                        mutated(v, rnd) if isinstance(v, str) else [mutated(i, rnd) for i in v]
                    )
                    for k, v in seed.items()
                }
            )
    return drawn


def edited(value: Any, edit) -> Any:
    """The value with its first string edited."""
    if isinstance(value, str):
        return edit(value)
    if isinstance(value, list):
        return [edited(value[0], edit), *value[1:]]
    key, first = next(iter(value.items()))
    return {**value, key: edited(first, edit)}


# Letters, digits and blanks of other scripts than ASCII, in Unicode NFC as Terraform reads them
# (not the Kelvin sign, which is K): only tags take them.
FOREIGN = "\u00e9\u00c5\u0663\u06f3\u0966\uff21\uff12\u00a0\u3000\u4e2d\u0301"


@given(seed=st.integers(0, 2**64))
@settings(
    max_examples=1,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_rules_decide_near_valid_values_and_refuse_hidden_and_foreign_characters(seed, tmp_path):
    """Every rule, given values near valid ones (characters of other scripts, blanks, lengths
    past a limit, ...), refuses them as a rule of that key or accepts them: none fails to
    evaluate (a null, an index out of range: Terraform evaluates both sides of || and &&) and
    none blames another key. And each accepted value is refused with a newline after a string,
    or (but for tags) a letter, digit or blank of another script in one."""
    rnd = random.Random(seed)
    problems = []
    for root in ("registry", "workload"):
        environment = next(e for e in config.ENVIRONMENTS if config.ROOTS[e] == root)
        shipped = tfvars(environment)
        # (Not an object's: the keys drawn for it would be attributes Terraform refuses or drops
        # before any rule, which Python refuses first; its rules are held to EXAMPLES.)
        text = [
            k
            for k, v in config.declared(root).items()
            if v.type not in ("bool", "number") and v.spec[0] != "object"
        ]
        # (key, value, the verdict: None for either, else the set of keys refused)
        cases: list[tuple[str, Any, set[str] | None]] = []
        for key in text:
            good = accepted(key, environment)
            cases += [(key, value, None) for value in near_values(good, rnd)]
            cases += [(key, edited(g, lambda s: s + "\n"), {key}) for g in good]
            if key != "tags":
                foreign = [edited(g, lambda s: s[:1] + rnd.choice(FOREIGN) + s[1:]) for g in good]
                cases += [(key, value, {key}) for value in foreign]
        batch = [(shipped | {key: value}, shipped) for key, value, _ in cases]
        failing = failing_rules(root_variable_files(root), batch, tmp_path / root)
        for (key, value, verdict), got in zip(cases, failing, strict=True):
            if not got <= {key} or (verdict is not None and got != verdict):
                problems.append(f"{root} {key} = {json.dumps(value)}: fails {sorted(got)}")
    assert not problems, f"{len(problems)} values:\n" + "\n".join(problems[:40])
